package ctlapi

import (
	"context"
	"net/http"

	"github.com/keyturn/keyturn"
	"github.com/keyturn/keyturn/internal/engine"
	"github.com/keyturn/keyturn/internal/mpaapi"
	"github.com/keyturn/keyturn/internal/wire"
)

// enroll exchanges an enrolment code for an approver token. It needs no
// other authentication: the single-use code is the proof.
func (h *Handler) enroll(w http.ResponseWriter, r *http.Request) {
	h.respond(w, r, func(req *request) (any, error) {
		var in struct {
			EnrollmentCode string
			Label          string
		}
		if err := req.decode(&in); err != nil {
			return nil, err
		}
		token, u, err := h.engine.Enroll(r.Context(), in.EnrollmentCode, in.Label)
		if err != nil {
			return nil, err
		}
		return struct {
			ApproverToken string
			User          User
		}{token, userOf(u)}, nil
	})
}

func (h *Handler) me(ctx context.Context, v engine.Voter, r *request) (any, error) {
	u, err := h.engine.GetUser(ctx, engine.Caller{AccountID: v.AccountID, Region: v.Region}, v.UserID)
	if err != nil {
		return nil, err
	}
	factors, err := h.engine.ListFactors(ctx, v)
	if err != nil {
		return nil, err
	}
	type factor struct {
		Method       string
		Label        string `json:",omitempty"`
		Confirmed    bool
		CreationTime wire.Time
		LastUsedTime wire.Time `json:",omitzero"`
	}
	out := struct {
		User      User
		Factors   []factor
		AccountID string `json:"AccountId"`
		Region    string
	}{User: userOf(u), Factors: []factor{}, AccountID: v.AccountID, Region: v.Region}
	for _, f := range factors {
		out.Factors = append(out.Factors, factor{f.Method, f.Label, f.Confirmed, wire.TimeOf(f.CreationTime), wire.TimeOf(f.LastUsedTime)})
	}
	return out, nil
}

// Invitation is an open invitation to join a team.
type Invitation struct {
	ApprovalTeamArn      string
	ApprovalTeamName     string
	Description          string `json:",omitempty"`
	ApproverID           string `json:"ApproverId"`
	VersionID            string `json:"VersionId"`
	MinApprovalsRequired int
	NumberOfApprovers    int
	// Update is true for an invitation to join through a pending update.
	Update         bool
	ExpirationTime wire.Time
}

func (h *Handler) listInvitations(ctx context.Context, v engine.Voter, r *request) (any, error) {
	invs, err := h.engine.ListInvitations(ctx, v)
	if err != nil {
		return nil, err
	}
	out := struct{ Invitations []Invitation }{Invitations: []Invitation{}}
	for _, i := range invs {
		out.Invitations = append(out.Invitations, Invitation{
			ApprovalTeamArn: i.TeamArn, ApprovalTeamName: i.TeamName, Description: i.Description,
			ApproverID: i.ApproverID, VersionID: i.VersionID, MinApprovalsRequired: i.MinApprovals,
			NumberOfApprovers: i.Approvers, Update: i.Update, ExpirationTime: wire.TimeOf(i.ExpiresAt),
		})
	}
	return out, nil
}

func (h *Handler) answerInvitation(ctx context.Context, v engine.Voter, r *request) (any, error) {
	var in struct {
		// Response is ACCEPT or DECLINE.
		Response string
	}
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	if in.Response != "ACCEPT" && in.Response != "DECLINE" {
		return nil, keyturn.Errorf(keyturn.ErrInvalid, "Response %q is invalid: answer ACCEPT or DECLINE.", in.Response)
	}
	t, err := h.engine.RespondToInvitation(ctx, v, r.PathValue("arn"), in.Response == "ACCEPT")
	if err != nil {
		return nil, err
	}
	return struct {
		ApprovalTeamArn string
		Status          string
		StatusCode      string `json:",omitempty"`
		VersionID       string `json:"VersionId"`
	}{t.Arn, string(t.Status), string(t.StatusCode), t.VersionID}, nil
}

// approverSession is a session with the approver's own vote.
type approverSession struct {
	Session any
	MyVote  *myVote `json:",omitempty"`
}

type myVote struct {
	Response     string
	ResponseTime wire.Time
}

func approverSessionOf(s engine.ApproverSession) approverSession {
	out := approverSession{Session: mpaapi.SessionOutput(s.Session)}
	if s.MyVote != nil {
		out.MyVote = &myVote{string(s.MyVote.Response), wire.TimeOf(s.MyVote.Time)}
	}
	return out
}

func (h *Handler) listApproverSessions(ctx context.Context, v engine.Voter, r *request) (any, error) {
	sessions, err := h.engine.ListApproverSessions(ctx, v)
	if err != nil {
		return nil, err
	}
	out := struct{ Sessions []approverSession }{Sessions: []approverSession{}}
	for _, s := range sessions {
		out.Sessions = append(out.Sessions, approverSessionOf(s))
	}
	return out, nil
}

func (h *Handler) getApproverSession(ctx context.Context, v engine.Voter, r *request) (any, error) {
	s, err := h.engine.GetApproverSession(ctx, v, r.PathValue("arn"))
	if err != nil {
		return nil, err
	}
	return approverSessionOf(*s), nil
}

func (h *Handler) vote(ctx context.Context, v engine.Voter, r *request) (any, error) {
	var in struct {
		// Response is APPROVED or REJECTED.
		Response string
		// MfaMethod and MfaCode carry a second factor: TOTP or EMAIL_OTP.
		MfaMethod string
		MfaCode   string
	}
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	s, err := h.engine.Vote(ctx, v, r.PathValue("arn"), keyturn.Response(in.Response), engine.Proof{Method: in.MfaMethod, Code: in.MfaCode})
	if err != nil {
		return nil, err
	}
	return mpaapi.SessionOutput(s), nil
}

func (h *Handler) requestVoteCode(ctx context.Context, v engine.Voter, r *request) (any, error) {
	if err := h.engine.RequestVoteCode(ctx, v, r.PathValue("arn")); err != nil {
		return nil, err
	}
	return struct{ Sent bool }{true}, nil
}

// factorProof is the optional body of requests that change factors: a
// code from a factor the approver has, needed once the approver has one.
type factorProof struct {
	MfaMethod string
	MfaCode   string
}

func (p factorProof) proof() engine.Proof { return engine.Proof{Method: p.MfaMethod, Code: p.MfaCode} }

func (h *Handler) enrollTOTP(ctx context.Context, v engine.Voter, r *request) (any, error) {
	var in factorProof
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	e, err := h.engine.EnrollTOTP(ctx, v, in.proof())
	if err != nil {
		return nil, err
	}
	return struct {
		Secret     string
		OtpauthURL string `json:"OtpauthUrl"`
	}{e.Secret, e.URL}, nil
}

func (h *Handler) confirmTOTP(ctx context.Context, v engine.Voter, r *request) (any, error) {
	var in struct{ Code string }
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	return struct{ Confirmed bool }{true}, h.engine.ConfirmTOTP(ctx, v, in.Code)
}

func (h *Handler) enrollEmail(ctx context.Context, v engine.Voter, r *request) (any, error) {
	var in factorProof
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	return struct{ Sent bool }{true}, h.engine.EnrollEmailOTP(ctx, v, in.proof())
}

func (h *Handler) requestFactorCode(ctx context.Context, v engine.Voter, r *request) (any, error) {
	return struct{ Sent bool }{true}, h.engine.RequestFactorCode(ctx, v)
}

func (h *Handler) confirmEmail(ctx context.Context, v engine.Voter, r *request) (any, error) {
	var in struct{ Code string }
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	return struct{ Confirmed bool }{true}, h.engine.ConfirmEmailOTP(ctx, v, in.Code)
}

func (h *Handler) removeFactor(ctx context.Context, v engine.Voter, r *request) (any, error) {
	var in factorProof
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	return struct{}{}, h.engine.RemoveFactor(ctx, v, r.PathValue("method"), in.proof())
}
