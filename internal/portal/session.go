package portal

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/keyturn/keyturn"
	"github.com/keyturn/keyturn/internal/engine"
)

// sessionView is a session as the portal shows it to one approver.
type sessionView struct {
	Arn string
	// URL is the session's page in the portal.
	URL                  string
	TeamName             string
	Kind                 keyturn.SessionKind
	ActionName           string
	ProtectedResourceArn string
	Description          string
	RequesterComment     string
	RequesterPrincipal   string
	RequesterService     string
	RequesterAccountID   string
	Metadata             []metadataEntry
	InitiationTime       time.Time
	ExpirationTime       time.Time
	Remaining            string
	CompletionTime       time.Time
	Status               keyturn.SessionStatus
	StatusCode           keyturn.SessionStatusCode
	StatusMessage        string
	MinApprovals         int
	Approvals            int
	Rejections           int
	Responses            []responseView
	RequiresVerification bool
	// IsApprover is false when the approver only views a session of the
	// account.
	IsApprover bool
	MyVote     *keyturn.Vote
	// CanVote is true while the approver may still vote.
	CanVote bool
}

type metadataEntry struct{ Key, Value string }

// responseView is one approver's response so far.
type responseView struct {
	Name     string
	Me       bool
	Response keyturn.Response
	Time     time.Time
}

// Baseline reports whether the session only checks that approvers respond.
func (s *sessionView) Baseline() bool { return s.Kind == keyturn.KindBaseline }

// Pending reports whether the session still takes votes.
func (s *sessionView) Pending() bool { return s.Status == keyturn.SessionPending }

// Responded counts the approvers who voted.
func (s *sessionView) Responded() int { return s.Approvals + s.Rejections }

func sessionURL(arn string) string {
	return Prefix + "sessions/" + url.PathEscape(arn)
}

func newSessionView(r *http.Request, as engine.ApproverSession, a *approver, names *userNames, now time.Time) *sessionView {
	s := as.Session
	v := &sessionView{
		Arn: s.Arn, URL: sessionURL(s.Arn), TeamName: s.TeamName, Kind: s.Kind,
		ActionName: s.ActionName, ProtectedResourceArn: s.ProtectedResourceArn,
		Description: s.Description, RequesterComment: s.RequesterComment,
		RequesterPrincipal: s.RequesterPrincipalArn, RequesterService: s.RequesterServicePrincipal,
		RequesterAccountID: s.RequesterAccountID,
		InitiationTime:     s.InitiationTime, ExpirationTime: s.ExpirationTime,
		Remaining:      remaining(now, s.ExpirationTime),
		CompletionTime: s.CompletionTime,
		Status:         s.Status, StatusCode: s.StatusCode, StatusMessage: s.StatusMessage,
		MinApprovals:         s.MinApprovals,
		RequiresVerification: s.RequiresVerification(),
		IsApprover:           s.Approver(a.UserID) != nil,
		MyVote:               as.MyVote,
	}
	v.Approvals, v.Rejections = s.Tally()
	v.CanVote = v.IsApprover && v.MyVote == nil && s.Status == keyturn.SessionPending && !s.Expired(now)

	for key, value := range s.Metadata {
		v.Metadata = append(v.Metadata, metadataEntry{key, value})
	}
	slices.SortFunc(v.Metadata, func(x, y metadataEntry) int { return strings.Compare(x.Key, y.Key) })

	for _, sa := range s.Approvers {
		resp := responseView{Name: names.name(r, sa.IdentityID), Me: sa.IdentityID == a.UserID, Response: keyturn.ResponseNoResponse}
		if vote := s.Vote(sa.ApproverID); vote != nil {
			resp.Response, resp.Time = vote.Response, vote.Time
		}
		v.Responses = append(v.Responses, resp)
	}
	return v
}

// userNames looks up the names of a session's approvers once per request.
type userNames struct {
	h      *Handler
	caller engine.Caller
	cache  map[string]string
}

func (h *Handler) newUserNames(a *approver) *userNames {
	return &userNames{
		h:      h,
		caller: engine.Caller{AccountID: a.AccountID, Region: a.Region},
		cache:  map[string]string{a.UserID: displayName(a.User)},
	}
}

// name returns the user's display and user name, or the user id when the
// user no longer exists.
func (n *userNames) name(r *http.Request, userID string) string {
	if name, ok := n.cache[userID]; ok {
		return name
	}
	name := userID
	u, err := n.h.engine.GetUser(r.Context(), n.caller, userID)
	switch {
	case err == nil:
		name = displayName(u)
	case keyturn.Code(err) != keyturn.ErrNotFound:
		n.h.log.WarnContext(r.Context(), "portal: look up an approver's name failed", "user_id", userID, "err", err)
	}
	n.cache[userID] = name
	return name
}

func displayName(u *keyturn.User) string {
	if u.DisplayName != "" && u.DisplayName != u.UserName {
		return fmt.Sprintf("%s (%s)", u.DisplayName, u.UserName)
	}
	return u.UserName
}

type sessionPage struct {
	page
	Session *sessionView
	// Methods are the approver's confirmed second-factor methods.
	Methods []string
	// Method is the method selected in the vote form.
	Method string
}

// HasMethod reports whether the approver enrolled the method.
func (p *sessionPage) HasMethod(method string) bool { return slices.Contains(p.Methods, method) }

// sessionPage shows a session. After a vote, the vote handler redirects
// here with the response in the query, so that reloading the page shows
// the outcome again instead of sending the vote again.
func (h *Handler) sessionPage(w http.ResponseWriter, r *http.Request, a *approver) {
	voted := keyturn.Response(strings.ToUpper(r.URL.Query().Get("voted")))
	if voted != keyturn.ResponseApproved && voted != keyturn.ResponseRejected {
		h.renderSession(w, r, a, nil, http.StatusOK, "", "", "")
		return
	}
	as, err := h.engine.GetApproverSession(r.Context(), a.Voter, r.PathValue("arn"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderSession(w, r, a, as, http.StatusOK, voteOutcome(as.Session, voted), "", "")
}

// renderSession writes a session's page. With a nil session it reads the
// session named in the path.
func (h *Handler) renderSession(w http.ResponseWriter, r *http.Request, a *approver, as *engine.ApproverSession,
	status int, notice, errMessage, method string) {
	ctx := r.Context()
	if as == nil {
		var err error
		if as, err = h.engine.GetApproverSession(ctx, a.Voter, r.PathValue("arn")); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	factors, err := h.engine.ListFactors(ctx, a.Voter)
	if err != nil {
		h.fail(w, r, err)
		return
	}

	data := &sessionPage{
		page:    page{Title: "Session", User: a.User, Notice: notice, Error: errMessage},
		Session: newSessionView(r, *as, a, h.newUserNames(a), h.engine.Now()),
		Methods: confirmedMethods(factors),
		Method:  method,
	}
	slices.Sort(data.Methods)
	if data.Method == "" && len(data.Methods) > 0 {
		// Sorted, EMAIL_OTP comes first; an authenticator app needs no
		// extra step, so prefer it.
		data.Method = data.Methods[len(data.Methods)-1]
	}
	data.Title = "Session: " + as.ActionName
	h.render(w, r, status, "session", data)
}

// vote casts the approver's vote and shows where it left the session.
func (h *Handler) vote(w http.ResponseWriter, r *http.Request, a *approver) {
	if !h.readForm(w, r) {
		return
	}
	arn := r.PathValue("arn")
	response := keyturn.Response(r.PostForm.Get("response"))
	method := r.PostForm.Get("method")
	code := formCode(r)
	proof := engine.Proof{}
	if code != "" {
		proof = engine.Proof{Method: method, Code: code}
	}

	s, err := h.engine.Vote(r.Context(), a.Voter, arn, response, proof)
	if err != nil {
		status, message := h.describeError(r, err)
		if status == http.StatusNotFound {
			h.renderError(w, r, status, message)
			return
		}
		h.renderSession(w, r, a, nil, status, "", message, method)
		return
	}
	target := "/portal/sessions/" + url.PathEscape(s.Arn) + "?voted=" + strings.ToLower(string(response))
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// voteOutcome describes the session after the approver's vote.
func voteOutcome(s *keyturn.Session, response keyturn.Response) string {
	recorded := "Your vote to approve is recorded."
	if response == keyturn.ResponseRejected {
		recorded = "Your vote to reject is recorded."
	}
	approvals, rejections := s.Tally()
	switch {
	case s.Status == keyturn.SessionApproved:
		return strings.TrimSpace(fmt.Sprintf("%s The session is APPROVED. %s", recorded, s.StatusMessage))
	case s.Status == keyturn.SessionFailed && s.StatusCode == keyturn.SessionRejected:
		return strings.TrimSpace(fmt.Sprintf("%s The session is REJECTED. %s", recorded, s.StatusMessage))
	case s.Status != keyturn.SessionPending:
		status := string(s.Status)
		if s.StatusCode != "" {
			status += " (" + string(s.StatusCode) + ")"
		}
		return strings.TrimSpace(fmt.Sprintf("%s The session is %s. %s", recorded, status, s.StatusMessage))
	case s.Kind == keyturn.KindBaseline:
		return fmt.Sprintf("%s The session is still PENDING: %d of %d approvers have responded.",
			recorded, approvals+rejections, len(s.Approvers))
	default:
		return fmt.Sprintf("%s The session is still PENDING with %d of %d required approvals.",
			recorded, approvals, s.MinApprovals)
	}
}

// requestVoteCode e-mails the approver a one-time code for a vote in the
// session.
func (h *Handler) requestVoteCode(w http.ResponseWriter, r *http.Request, a *approver) {
	err := h.engine.RequestVoteCode(r.Context(), a.Voter, r.PathValue("arn"))
	if err != nil {
		status, message := h.describeError(r, err)
		if status == http.StatusNotFound {
			h.renderError(w, r, status, message)
			return
		}
		h.renderSession(w, r, a, nil, status, "", message, keyturn.MFAEmailOTP)
		return
	}
	notice := fmt.Sprintf("A code was sent to %s. Enter it below, then approve or reject.", a.User.Email)
	h.renderSession(w, r, a, nil, http.StatusOK, notice, "", keyturn.MFAEmailOTP)
}
