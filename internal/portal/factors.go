package portal

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/keyturn/keyturn"
	"github.com/keyturn/keyturn/internal/engine"
)

type factorsPage struct {
	page
	Factors []engine.Factor
	// TOTP is the new authenticator secret, shown once after enrolment
	// starts.
	TOTP *engine.TOTPEnrollment
	// TOTPConfirmed and TOTPWaiting tell whether an authenticator app is
	// enrolled, or waits for its first code.
	TOTPConfirmed bool
	TOTPWaiting   bool
	EmailEnrolled bool
}

// HasFactor reports whether the approver has a confirmed factor, whose code
// then proves every change of factors.
func (p *factorsPage) HasFactor() bool { return p.TOTPConfirmed || p.EmailEnrolled }

// proofForm is the data of the "proof" template: the page and a prefix that
// keeps element ids unique.
type proofForm struct {
	Page *factorsPage
	ID   string
}

// formProof returns the factor code that a form carries to prove a factor
// the approver has.
func formProof(r *http.Request) engine.Proof {
	return engine.Proof{
		Method: r.PostForm.Get("proof_method"),
		Code:   strings.Join(strings.Fields(r.PostForm.Get("proof_code")), ""),
	}
}

func (h *Handler) factorsPage(w http.ResponseWriter, r *http.Request, a *approver) {
	h.renderFactors(w, r, a, nil, http.StatusOK, "", "")
}

// renderFactors writes the factors page with the outcome of an action just
// taken. totp is the secret of an enrolment that has just started, or nil.
func (h *Handler) renderFactors(w http.ResponseWriter, r *http.Request, a *approver, totp *engine.TOTPEnrollment,
	status int, notice, errMessage string) {
	factors, err := h.engine.ListFactors(r.Context(), a.Voter)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data := &factorsPage{
		page:    page{Title: "Second factors", User: a.User, Notice: notice, Error: errMessage},
		Factors: factors,
		TOTP:    totp,
	}
	for _, f := range factors {
		switch {
		case f.Method == keyturn.MFATOTP && f.Confirmed:
			data.TOTPConfirmed = true
		case f.Method == keyturn.MFATOTP:
			data.TOTPWaiting = true
		case f.Method == keyturn.MFAEmailOTP:
			data.EmailEnrolled = true
		}
	}
	h.render(w, r, status, "factors", data)
}

// factorResult renders the factors page after an action: the notice on
// success, the engine's message on failure.
func (h *Handler) factorResult(w http.ResponseWriter, r *http.Request, a *approver, err error, notice string) {
	if err != nil {
		status, message := h.describeError(r, err)
		h.renderFactors(w, r, a, nil, status, "", message)
		return
	}
	h.renderFactors(w, r, a, nil, http.StatusOK, notice, "")
}

// enrollTOTP starts an authenticator enrolment and shows the secret once.
func (h *Handler) enrollTOTP(w http.ResponseWriter, r *http.Request, a *approver) {
	if !h.readForm(w, r) {
		return
	}
	enrollment, err := h.engine.EnrollTOTP(r.Context(), a.Voter, formProof(r))
	if err != nil {
		h.factorResult(w, r, a, err, "")
		return
	}
	h.renderFactors(w, r, a, enrollment, http.StatusOK,
		"Add this secret to your authenticator app, then enter the code the app shows to confirm it.", "")
}

func (h *Handler) confirmTOTP(w http.ResponseWriter, r *http.Request, a *approver) {
	if !h.readForm(w, r) {
		return
	}
	err := h.engine.ConfirmTOTP(r.Context(), a.Voter, formCode(r))
	h.factorResult(w, r, a, err,
		"Your authenticator app is enrolled. Sessions that require approver verification now accept its codes.")
}

func (h *Handler) enrollEmail(w http.ResponseWriter, r *http.Request, a *approver) {
	if !h.readForm(w, r) {
		return
	}
	err := h.engine.EnrollEmailOTP(r.Context(), a.Voter, formProof(r))
	h.factorResult(w, r, a, err, fmt.Sprintf("A code was sent to %s. Enter it below to confirm e-mailed codes.", a.User.Email))
}

func (h *Handler) confirmEmail(w http.ResponseWriter, r *http.Request, a *approver) {
	if !h.readForm(w, r) {
		return
	}
	err := h.engine.ConfirmEmailOTP(r.Context(), a.Voter, formCode(r))
	h.factorResult(w, r, a, err,
		fmt.Sprintf("E-mailed codes are enrolled. Sessions that require approver verification can now send a code to %s.", a.User.Email))
}

func (h *Handler) removeFactor(w http.ResponseWriter, r *http.Request, a *approver) {
	if !h.readForm(w, r) {
		return
	}
	method := r.PostForm.Get("method")
	if method != keyturn.MFATOTP && method != keyturn.MFAEmailOTP {
		h.renderFactors(w, r, a, nil, http.StatusBadRequest, "", "The form must name a factor to remove. Reload the page and try again.")
		return
	}
	err := h.engine.RemoveFactor(r.Context(), a.Voter, method, formProof(r))
	h.factorResult(w, r, a, err, fmt.Sprintf("%s removed.", methodName(method)))
}

// requestFactorCode e-mails the approver a code that proves the e-mail
// factor before factors change.
func (h *Handler) requestFactorCode(w http.ResponseWriter, r *http.Request, a *approver) {
	err := h.engine.RequestFactorCode(r.Context(), a.Voter)
	h.factorResult(w, r, a, err, fmt.Sprintf("A code was sent to %s. Enter it with the change you make.", a.User.Email))
}

// formCode returns the form's one-time code without spaces, which
// authenticator apps show inside codes.
func formCode(r *http.Request) string {
	return strings.Join(strings.Fields(r.PostForm.Get("code")), "")
}
