package portal

import (
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/keyturn/keyturn"
	"github.com/keyturn/keyturn/internal/engine"
)

const (
	// cookieName names the cookie that holds the approver token. The
	// __Host- prefix would need Path=/, so the portal does without it.
	cookieName = "keyturn_portal"
	// cookieLifetime is how long a browser keeps the cookie.
	//
	// NOTE: only the browser enforces this limit. The token in the cookie
	// stays valid until an administrator revokes it, as it does on the
	// command line.
	cookieLifetime = 12 * time.Hour
	// maxTokenLength bounds what the sign-in form accepts. Tokens and
	// enrolment codes are about 50 characters.
	maxTokenLength = 200
	// defaultTokenLabel labels a token enrolled without a label.
	defaultTokenLabel = "approval portal"
)

// approver is the signed-in approver of a request.
type approver struct {
	engine.Voter
	User *keyturn.User
}

// signedInFunc handles a request of a signed-in approver.
type signedInFunc func(w http.ResponseWriter, r *http.Request, a *approver)

// signedIn authenticates the approver's cookie with the engine before fn
// runs. Without a cookie, a GET goes to the sign-in page and comes back
// after sign-in. A token that the engine rejects, because it was revoked or
// its user was disabled, clears the cookie and shows the engine's reason on
// the sign-in page.
func (h *Handler) signedIn(fn signedInFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// next is the page to come back to after sign-in. A POST has none,
		// because its form cannot be sent again.
		var next string
		if r.Method == http.MethodGet {
			var ok bool
			if next, ok = localPath(r.URL.EscapedPath()); !ok {
				next = Prefix
			}
		}

		cookie, err := r.Cookie(cookieName)
		if err != nil || cookie.Value == "" {
			switch {
			case r.Method != http.MethodGet:
				h.renderSignIn(w, r, http.StatusUnauthorized, "", "Sign in to continue.")
			case r.Header.Get("Sec-Fetch-Site") == "cross-site":
				// Browsers do not send a SameSite=Strict cookie with a
				// navigation from another site, such as a link in an
				// e-mail. A navigation from this page is same-site, so it
				// carries the cookie if the approver has one.
				h.render(w, r, http.StatusOK, "continue", &continuePage{
					page: page{Title: "Continue to the approval portal", RefreshURL: next},
					URL:  next,
				})
			case next == Prefix:
				h.redirect(w, r, Prefix+"sign-in")
			default:
				h.redirect(w, r, Prefix+"sign-in?next="+url.QueryEscape(next))
			}
			return
		}

		voter, user, err := h.engine.Authenticate(r.Context(), cookie.Value)
		if err != nil {
			status, message := h.describeError(r, err)
			if keyturn.Code(err) == keyturn.ErrAccessDenied {
				h.clearCookie(w, r)
				h.renderSignIn(w, r, http.StatusUnauthorized, next, message)
				return
			}
			h.renderError(w, r, status, message)
			return
		}
		fn(w, r, &approver{Voter: voter, User: user})
	})
}

func (h *Handler) setCookie(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{
		Name:     cookieName,
		Value:    token,
		Path:     Prefix,
		MaxAge:   int(cookieLifetime / time.Second),
		Expires:  time.Now().Add(cookieLifetime),
		Secure:   h.secureCookie || r.TLS != nil,
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
	})
}

func (h *Handler) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name:     cookieName,
		Path:     Prefix,
		MaxAge:   -1,
		Secure:   h.secureCookie || r.TLS != nil,
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
	})
}

// localPath returns raw as a path of the portal, or false when raw could
// lead anywhere else: another host, another scheme, a path outside
// Prefix, or a dot segment that climbs out of it. The query and fragment
// are dropped.
func localPath(raw string) (string, bool) {
	if !strings.HasPrefix(raw, Prefix) || strings.ContainsAny(raw, "\\") {
		return "", false
	}
	for _, c := range raw {
		if c < 0x20 || c == 0x7f {
			return "", false
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "", false
	}
	for segment := range strings.SplitSeq(u.Path, "/") {
		if segment == "." || segment == ".." {
			return "", false
		}
	}
	if !strings.HasPrefix(path.Clean(u.Path)+"/", Prefix) {
		return "", false
	}
	return u.EscapedPath(), true
}

// redirect sends a 303 to a path of the portal, or to the home page when
// target is empty or not a path of the portal.
func (h *Handler) redirect(w http.ResponseWriter, r *http.Request, target string) {
	if target == "" {
		target = Prefix
	}
	p, query, _ := strings.Cut(target, "?")
	location, ok := localPath(p)
	if !ok {
		h.log.WarnContext(r.Context(), "portal: redirect outside the portal replaced with the home page", "target", target)
		location, query = Prefix, ""
	}
	if query != "" {
		location += "?" + query
	}
	http.Redirect(w, r, location, http.StatusSeeOther)
}

func (h *Handler) renderSignIn(w http.ResponseWriter, r *http.Request, status int, next, message string) {
	data := &signInPage{page: page{Title: "Sign in"}}
	if p, ok := localPath(next); ok {
		data.Next = p
	}
	if status >= 400 {
		data.Error = message
	} else {
		data.Notice = message
	}
	h.render(w, r, status, "signin", data)
}

// signInPage shows the sign-in forms, or goes home when the cookie still
// holds a valid token.
func (h *Handler) signInPage(w http.ResponseWriter, r *http.Request) {
	next := r.URL.Query().Get("next")
	if cookie, err := r.Cookie(cookieName); err == nil && cookie.Value != "" {
		if _, _, err := h.engine.Authenticate(r.Context(), cookie.Value); err == nil {
			h.redirect(w, r, next)
			return
		}
	}
	h.renderSignIn(w, r, http.StatusOK, next, "")
}

// signIn checks a pasted approver token and stores it in the cookie.
func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) {
	if !h.readForm(w, r) {
		return
	}
	next := r.PostForm.Get("next")
	token := strings.TrimSpace(r.PostForm.Get("token"))
	switch {
	case token == "":
		h.renderSignIn(w, r, http.StatusBadRequest, next, "Enter your approver token.")
		return
	case len(token) > maxTokenLength:
		h.renderSignIn(w, r, http.StatusBadRequest, next,
			"The approver token is too long to be valid. Paste only the token, which starts with ktat_.")
		return
	}

	_, user, err := h.engine.Authenticate(r.Context(), token)
	if err != nil {
		status, message := h.describeError(r, err)
		h.renderSignIn(w, r, status, next, message)
		return
	}
	h.setCookie(w, r, token)
	h.log.InfoContext(r.Context(), "portal: approver signed in", "account", user.AccountID, "user_id", user.ID)
	h.redirect(w, r, next)
}

// enroll exchanges an enrolment code for a token, signs the approver in
// with it, and shows the token once so that the approver can also use it
// on the command line.
func (h *Handler) enroll(w http.ResponseWriter, r *http.Request) {
	if !h.readForm(w, r) {
		return
	}
	next := r.PostForm.Get("next")
	code := strings.TrimSpace(r.PostForm.Get("code"))
	label := strings.TrimSpace(r.PostForm.Get("label"))
	switch {
	case code == "":
		h.renderSignIn(w, r, http.StatusBadRequest, next, "Enter your enrolment code.")
		return
	case len(code) > maxTokenLength:
		h.renderSignIn(w, r, http.StatusBadRequest, next,
			"The enrolment code is too long to be valid. Paste only the code, which starts with ktec_.")
		return
	}
	if label == "" {
		label = defaultTokenLabel
	}

	token, user, err := h.engine.Enroll(r.Context(), code, label)
	if err != nil {
		status, message := h.describeError(r, err)
		h.renderSignIn(w, r, status, next, message)
		return
	}
	h.setCookie(w, r, token)
	data := &enrolledPage{
		page:  page{Title: "Your approver token", User: user},
		Token: token,
		Next:  Prefix,
	}
	if p, ok := localPath(next); ok {
		data.Next = p
	}
	h.render(w, r, http.StatusOK, "enrolled", data)
}

// signOut clears the cookie. The token itself stays valid for the command
// line until an administrator revokes it.
func (h *Handler) signOut(w http.ResponseWriter, r *http.Request) {
	h.clearCookie(w, r)
	h.renderSignIn(w, r, http.StatusOK, "", "You are signed out.")
}
