// Package portal serves the approval portal: server-rendered web pages on
// which an approver signs in with an approver token or an enrolment code,
// responds to team invitations, votes in sessions and manages second
// factors.
//
// Approvers are identity-store users, not AWS principals. The portal keeps
// no state of its own: the approver's token travels in a cookie and is
// checked with the engine on every request. Every state-changing request is
// a POST that must pass http.CrossOriginProtection, and every response
// carries a strict Content-Security-Policy. The pages need no JavaScript.
package portal

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/keyturn/keyturn"
	"github.com/keyturn/keyturn/internal/engine"
)

// Prefix is the path under which the portal is served.
const Prefix = "/portal/"

// maxFormBytes caps a request body. The largest form, sign-in with a
// token, is well under 1 KiB.
const maxFormBytes = 64 << 10

// internalMessage is the message shown to an approver in place of an
// internal error.
var internalMessage = keyturn.Message(errors.New("internal error"))

// Config configures the portal. The zero value is valid.
type Config struct {
	// PublicURL is the base URL under which browsers reach the server, such
	// as https://keyturn.example.com. An https URL makes the session cookie
	// Secure even when TLS ends at a proxy in front of the server, and its
	// origin is trusted by the cross-origin check.
	PublicURL string
	// Logger receives request logs and internal errors. Default:
	// slog.Default().
	Logger *slog.Logger
}

// Handler serves the approval portal under Prefix.
type Handler struct {
	engine       *engine.Engine
	log          *slog.Logger
	secureCookie bool
	pages        pageTemplates
	handler      http.Handler
}

// New returns the portal's handler. It panics if the embedded templates do
// not parse, which a test catches.
func New(e *engine.Engine, cfg Config) *Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	h := &Handler{engine: e, log: cfg.Logger, pages: mustParseTemplates()}

	protection := http.NewCrossOriginProtection()
	protection.SetDenyHandler(http.HandlerFunc(h.rejectCrossOrigin))
	if u, err := url.Parse(cfg.PublicURL); err == nil && u.Scheme != "" && u.Host != "" {
		h.secureCookie = u.Scheme == "https"
		if err := protection.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
			h.log.Warn("portal: the public URL's origin cannot be trusted for cross-origin checks", "public_url", cfg.PublicURL, "err", err)
		}
	}

	mux := http.NewServeMux()
	h.routes(mux)
	h.handler = protection.Handler(mux)
	return h
}

func (h *Handler) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /portal/static/style.css", serveStylesheet)

	mux.HandleFunc("GET /portal/sign-in", h.signInPage)
	mux.HandleFunc("POST /portal/sign-in", h.signIn)
	mux.HandleFunc("POST /portal/enroll", h.enroll)
	mux.HandleFunc("POST /portal/sign-out", h.signOut)

	mux.Handle("GET /portal/{$}", h.signedIn(h.home))
	mux.Handle("POST /portal/invitations", h.signedIn(h.respondToInvitation))
	mux.Handle("GET /portal/sessions/{arn}", h.signedIn(h.sessionPage))
	mux.Handle("POST /portal/sessions/{arn}/vote", h.signedIn(h.vote))
	mux.Handle("POST /portal/sessions/{arn}/email-code", h.signedIn(h.requestVoteCode))

	mux.Handle("GET /portal/factors", h.signedIn(h.factorsPage))
	mux.Handle("POST /portal/factors/totp", h.signedIn(h.enrollTOTP))
	mux.Handle("POST /portal/factors/totp/confirm", h.signedIn(h.confirmTOTP))
	mux.Handle("POST /portal/factors/email", h.signedIn(h.enrollEmail))
	mux.Handle("POST /portal/factors/email/confirm", h.signedIn(h.confirmEmail))
	mux.Handle("POST /portal/factors/remove", h.signedIn(h.removeFactor))
	mux.Handle("POST /portal/factors/email-code", h.signedIn(h.requestFactorCode))

	mux.HandleFunc("/portal/", h.notFound)
}

// ServeHTTP sets the security headers, caps the body, and logs the request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	header := w.Header()
	header.Set("Content-Security-Policy",
		"default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	header.Set("X-Content-Type-Options", "nosniff")
	header.Set("X-Frame-Options", "DENY")
	header.Set("Referrer-Policy", "same-origin")
	// Every page shows an approver's data or a secret; the stylesheet
	// handler replaces this with a revalidating policy.
	header.Set("Cache-Control", "no-store")
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)

	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			h.log.ErrorContext(r.Context(), "portal: panic while handling request", "method", r.Method, "path", r.URL.Path, "panic", p)
			if !rec.wroteHeader {
				h.renderError(rec, r, http.StatusInternalServerError, internalMessage)
			}
		}
		h.log.InfoContext(r.Context(), "request", "api", "portal", "method", r.Method, "path", r.URL.Path,
			"status", rec.status, "duration_ms", time.Since(start).Milliseconds())
	}()
	h.handler.ServeHTTP(rec, r)
}

type statusRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (s *statusRecorder) WriteHeader(status int) {
	if !s.wroteHeader {
		s.status, s.wroteHeader = status, true
	}
	s.ResponseWriter.WriteHeader(status)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wroteHeader = true
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// describeError returns the HTTP status and the message to show for err.
// The engine writes the message of a *keyturn.Error for the approver to
// read. Any other error is logged and shown as a generic message, because
// its text may contain internal detail.
func (h *Handler) describeError(r *http.Request, err error) (int, string) {
	var kerr *keyturn.Error
	if !errors.As(err, &kerr) || kerr.Code == keyturn.ErrInternal {
		h.log.ErrorContext(r.Context(), "portal: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		return http.StatusInternalServerError, internalMessage
	}
	if kerr.Code == keyturn.ErrUnavailable {
		h.log.WarnContext(r.Context(), "portal: a dependency is unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	return statusOf(kerr.Code), kerr.Message
}

// statusOf maps an engine error code to the HTTP status of the page that
// shows it.
func statusOf(code keyturn.ErrorCode) int {
	switch code {
	case keyturn.ErrInvalid, keyturn.ErrInvalidParameter, keyturn.ErrTooManyTags:
		return http.StatusBadRequest
	case keyturn.ErrAccessDenied:
		return http.StatusForbidden
	case keyturn.ErrNotFound:
		return http.StatusNotFound
	case keyturn.ErrConflict:
		return http.StatusConflict
	case keyturn.ErrThrottled, keyturn.ErrQuotaExceeded:
		return http.StatusTooManyRequests
	case keyturn.ErrUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// readForm parses a POST body. It writes an error page and returns false
// when the body cannot be read.
func (h *Handler) readForm(w http.ResponseWriter, r *http.Request) bool {
	err := r.ParseForm()
	if err == nil {
		return true
	}
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		h.renderError(w, r, http.StatusRequestEntityTooLarge,
			fmt.Sprintf("The form is larger than %d KiB, so it was rejected.", maxFormBytes>>10))
		return false
	}
	h.renderError(w, r, http.StatusBadRequest, "The form could not be read. Reload the page and try again.")
	return false
}

func (h *Handler) rejectCrossOrigin(w http.ResponseWriter, r *http.Request) {
	h.log.WarnContext(r.Context(), "portal: cross-origin request rejected", "method", r.Method, "path", r.URL.Path,
		"origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
	h.renderError(w, r, http.StatusForbidden,
		"The request came from another site, so it was rejected. Open the approval portal directly and try again.")
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.renderError(w, r, http.StatusNotFound, "The approval portal has no page at this address.")
}
