// Package ctlapi serves Keyturn's own API: the operations that AWS keeps
// out of the public MPA API. Administrators manage identity-store users and
// start sessions for their own protected operations; approvers enrol,
// answer invitations and vote; development servers add controls for tests.
//
// It follows the MPA API's conventions: JSON bodies with PascalCase
// members, ARNs percent-encoded in path segments, ISO 8601 times, and
// errors with an X-Amzn-ErrorType header and a Message. Administrators
// sign requests with AWS Signature Version 4 like MPA API calls. Approvers,
// who are identity-store users and not AWS principals, send their approver
// token as "Authorization: Bearer <token>". On a development server an
// administrator's signed request may act as any approver with the header
// X-Keyturn-Act-As: <user id or user name>.
package ctlapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/keyturn/keyturn"
	"github.com/keyturn/keyturn/internal/engine"
	"github.com/keyturn/keyturn/internal/mpaapi"
	"github.com/keyturn/keyturn/internal/wire"
)

// Prefix is the path under which the API is served.
const Prefix = "/keyturn/v1/"

// ActAsHeader names the user that a development-mode administrator acts as.
const ActAsHeader = "X-Keyturn-Act-As"

// DevControls are the controls of a development server. Production servers
// have none.
type DevControls interface {
	ClockNow() time.Time
	ClockOffset() time.Duration
	ClockFrozen() bool
	// SetClock moves the workflow clock forward to t, or leaves it where
	// it stands when t is zero; frozen stops it there, and false lets it run
	// on.
	SetClock(ctx context.Context, t time.Time, frozen bool) (time.Time, error)
	// AdvanceClock moves the workflow clock forward by d from its reading
	// at the moment of the move.
	AdvanceClock(ctx context.Context, d time.Duration, frozen bool) (time.Time, error)
	// Reset deletes the state of one account, or of all when account is
	// empty.
	Reset(ctx context.Context, account string) error
}

// Handler serves Keyturn's own API.
type Handler struct {
	engine   *engine.Engine
	verifier mpaapi.Verifier
	dev      DevControls
	log      *slog.Logger
	mux      *http.ServeMux
}

// New returns the API handler. dev is nil on production servers.
func New(e *engine.Engine, v mpaapi.Verifier, dev DevControls, log *slog.Logger) *Handler {
	h := &Handler{engine: e, verifier: v, dev: dev, log: log, mux: http.NewServeMux()}
	h.routes()
	return h
}

func (h *Handler) routes() {
	admin := func(pattern string, fn adminFunc) { h.mux.Handle(pattern, h.admin(fn)) }
	approver := func(pattern string, fn approverFunc) { h.mux.Handle(pattern, h.approver(fn)) }
	dev := func(pattern string, fn adminFunc) { h.mux.Handle(pattern, h.admin(h.devOnly(fn))) }

	admin("POST /keyturn/v1/users", h.createUser)
	admin("GET /keyturn/v1/users", h.listUsers)
	admin("GET /keyturn/v1/users/{user}", h.getUser)
	admin("PATCH /keyturn/v1/users/{user}", h.updateUser)
	admin("DELETE /keyturn/v1/users/{user}", h.deleteUser)
	admin("POST /keyturn/v1/users/{user}/enrollment", h.issueEnrollment)
	admin("DELETE /keyturn/v1/users/{user}/tokens", h.revokeTokens)
	admin("DELETE /keyturn/v1/users/{user}/factors", h.resetFactors)

	admin("POST /keyturn/v1/sessions", h.startSession)
	admin("GET /keyturn/v1/sessions/{arn}", h.getSession)
	admin("POST /keyturn/v1/sessions/{arn}/execution", h.reportExecution)
	admin("PUT /keyturn/v1/policies", h.putPolicy)

	h.mux.HandleFunc("POST /keyturn/v1/approver/enroll", h.enroll)
	approver("GET /keyturn/v1/approver/me", h.me)
	approver("GET /keyturn/v1/approver/invitations", h.listInvitations)
	approver("POST /keyturn/v1/approver/invitations/{arn}", h.answerInvitation)
	approver("GET /keyturn/v1/approver/sessions", h.listApproverSessions)
	approver("GET /keyturn/v1/approver/sessions/{arn}", h.getApproverSession)
	approver("POST /keyturn/v1/approver/sessions/{arn}/vote", h.vote)
	approver("POST /keyturn/v1/approver/sessions/{arn}/email-code", h.requestVoteCode)
	approver("POST /keyturn/v1/approver/mfa/totp", h.enrollTOTP)
	approver("POST /keyturn/v1/approver/mfa/totp/confirm", h.confirmTOTP)
	approver("POST /keyturn/v1/approver/mfa/email", h.enrollEmail)
	approver("POST /keyturn/v1/approver/mfa/email/confirm", h.confirmEmail)
	approver("POST /keyturn/v1/approver/mfa/email-code", h.requestFactorCode)
	approver("DELETE /keyturn/v1/approver/mfa/{method}", h.removeFactor)

	dev("GET /keyturn/v1/dev/clock", h.getClock)
	dev("PUT /keyturn/v1/dev/clock", h.setClock)
	dev("POST /keyturn/v1/dev/reset", h.reset)
	dev("GET /keyturn/v1/dev/rules", h.listRules)
	dev("POST /keyturn/v1/dev/rules", h.addRule)
	dev("DELETE /keyturn/v1/dev/rules", h.deleteRules)
	dev("DELETE /keyturn/v1/dev/rules/{id}", h.deleteRule)

	admin("GET /keyturn/v1/snapshot", h.exportSnapshot)
	admin("POST /keyturn/v1/snapshot", h.importSnapshot)

	h.mux.HandleFunc("/keyturn/v1/", h.unknownOperation)
}

// unknownOperation answers a request that no route takes: 405 with the
// methods that the path accepts, or 404 when no method does.
func (h *Handler) unknownOperation(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, method := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = method
		if _, pattern := h.mux.Handler(probe); pattern != "/keyturn/v1/" {
			allowed = append(allowed, method)
		}
	}
	if len(allowed) > 0 {
		wire.WriteError(w, r, h.log, &wire.APIError{
			Status:  http.StatusMethodNotAllowed,
			Code:    "UnknownOperationException",
			Message: fmt.Sprintf("Keyturn's API has no operation %s %s. This path accepts: %s.", r.Method, r.URL.Path, strings.Join(allowed, ", ")),
			Allow:   strings.Join(allowed, ", "),
		})
		return
	}
	wire.WriteError(w, r, h.log, &wire.APIError{
		Status:  http.StatusNotFound,
		Code:    "UnknownOperationException",
		Message: fmt.Sprintf("Keyturn's API has no operation %s %s. Its operations are listed in Keyturn's API reference.", r.Method, r.URL.Path),
	})
}

// ServeHTTP handles one request of Keyturn's API.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	requestID := wire.NewRequestID()
	w.Header().Set("x-amzn-RequestId", requestID)
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		if p := recover(); p != nil {
			h.log.ErrorContext(r.Context(), "panic while handling request", "path", r.URL.Path, "request_id", requestID, "panic", p)
			wire.WriteError(rec, r, h.log, fmt.Errorf("panic: %v", p))
		}
		h.log.InfoContext(r.Context(), "request", "api", "keyturn", "method", r.Method, "path", r.URL.Path,
			"status", rec.status, "error_type", rec.Header().Get("X-Amzn-ErrorType"),
			"access_key_id", wire.AccessKeyID(r), "duration_ms", time.Since(start).Milliseconds(), "request_id", requestID)
	}()
	h.mux.ServeHTTP(rec, r)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(status int) {
	s.status = status
	s.ResponseWriter.WriteHeader(status)
}

// request is one authenticated request, with its body already read.
type request struct {
	*http.Request
	body []byte
}

// decode reads the JSON body into v. Unknown members are rejected, so that
// a misspelt member is reported instead of ignored, and so are strings that
// contain the NUL character, which PostgreSQL cannot store. An empty body
// decodes as {}.
func (r *request) decode(v any) error {
	if len(bytes.TrimSpace(r.body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if strings.HasPrefix(err.Error(), "json: unknown field ") {
			return keyturn.Errorf(keyturn.ErrInvalid, "The request body has an unknown member %s.", strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return wire.DecodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return keyturn.Errorf(keyturn.ErrInvalid, "The request body is not valid JSON: it has data after the JSON object.")
	}
	return wire.RejectNUL(r.body)
}

type adminFunc func(ctx context.Context, c engine.Caller, r *request) (any, error)

type approverFunc func(ctx context.Context, v engine.Voter, r *request) (any, error)

// admin authenticates a SigV4-signed request.
func (h *Handler) admin(fn adminFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.respond(w, r, func(req *request) (any, error) {
			c, err := h.caller(req)
			if err != nil {
				return nil, err
			}
			return fn(r.Context(), c, req)
		})
	})
}

func (h *Handler) caller(r *request) (engine.Caller, error) {
	id, err := h.verifier.Verify(r.Request, r.body)
	if err != nil {
		return engine.Caller{}, err
	}
	return engine.Caller{AccountID: id.AccountID, Region: id.Region, PrincipalArn: id.PrincipalArn, Operator: id.Operator, IdentityAdmin: id.IdentityAdmin}, nil
}

// approver authenticates an approver by token, or a development-mode
// administrator acting as one.
func (h *Handler) approver(fn approverFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.respond(w, r, func(req *request) (any, error) {
			v, err := h.voter(req)
			if err != nil {
				return nil, err
			}
			return fn(r.Context(), v, req)
		})
	})
}

func (h *Handler) voter(r *request) (engine.Voter, error) {
	if token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		v, _, err := h.engine.Authenticate(r.Context(), strings.TrimSpace(token))
		return v, err
	}
	actAs := r.Header.Get(ActAsHeader)
	if actAs == "" {
		return engine.Voter{}, keyturn.Errorf(keyturn.ErrAccessDenied,
			"Approver operations need an approver token: send \"Authorization: Bearer <token>\". Get a token with keyturn approver enroll.")
	}
	if h.dev == nil {
		return engine.Voter{}, keyturn.Errorf(keyturn.ErrAccessDenied,
			"%s works on development servers only. On this server, approvers act with their own approver token.", ActAsHeader)
	}
	c, err := h.caller(r)
	if err != nil {
		return engine.Voter{}, err
	}
	return h.engine.ActAs(r.Context(), c, actAs)
}

// devOnly refuses a development control on a production server.
func (h *Handler) devOnly(fn adminFunc) adminFunc {
	return func(ctx context.Context, c engine.Caller, r *request) (any, error) {
		if h.dev == nil {
			return nil, keyturn.Errorf(keyturn.ErrAccessDenied,
				"%s is a development control. Start the server with --dev to use it; never in production.", r.URL.Path)
		}
		return fn(ctx, c, r)
	}
}

// respond reads the body, runs fn and writes its result or error.
func (h *Handler) respond(w http.ResponseWriter, r *http.Request, fn func(*request) (any, error)) {
	body, err := wire.ReadBody(w, r)
	if err == nil {
		var out any
		out, err = fn(&request{Request: r, body: body})
		if err == nil {
			wire.WriteJSON(w, http.StatusOK, out)
			return
		}
	}
	wire.WriteError(w, r, h.log, err)
}
