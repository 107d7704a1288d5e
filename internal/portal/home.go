package portal

import (
	"fmt"
	"net/http"
	"time"

	"github.com/keyturn/keyturn"
	"github.com/keyturn/keyturn/internal/engine"
)

type homePage struct {
	page
	Invitations []invitationView
	Sessions    []*sessionView
	// NoFactors warns an approver who could not vote in a session that
	// requires approver verification.
	NoFactors bool
}

type invitationView struct {
	TeamArn      string
	TeamName     string
	Description  string
	MinApprovals int
	Approvers    int
	// Update is true for an invitation to join through a pending update of
	// an active team.
	Update    bool
	ExpiresAt time.Time
	Remaining string
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request, a *approver) {
	h.renderHome(w, r, a, http.StatusOK, "", "")
}

// renderHome writes the home page with the approver's open invitations and
// pending sessions, and the outcome of an action just taken.
func (h *Handler) renderHome(w http.ResponseWriter, r *http.Request, a *approver, status int, notice, errMessage string) {
	ctx := r.Context()
	invitations, err := h.engine.ListInvitations(ctx, a.Voter)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sessions, err := h.engine.ListApproverSessions(ctx, a.Voter)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	factors, err := h.engine.ListFactors(ctx, a.Voter)
	if err != nil {
		h.fail(w, r, err)
		return
	}

	now := h.engine.Now()
	data := &homePage{page: page{Title: "Invitations and sessions", User: a.User, Notice: notice, Error: errMessage}}
	data.NoFactors = len(confirmedMethods(factors)) == 0
	for _, inv := range invitations {
		data.Invitations = append(data.Invitations, invitationView{
			TeamArn: inv.TeamArn, TeamName: inv.TeamName, Description: inv.Description,
			MinApprovals: inv.MinApprovals, Approvers: inv.Approvers, Update: inv.Update,
			ExpiresAt: inv.ExpiresAt, Remaining: remaining(now, inv.ExpiresAt),
		})
	}
	names := h.newUserNames(a)
	for _, s := range sessions {
		data.Sessions = append(data.Sessions, newSessionView(r, s, a, names, now))
	}
	h.render(w, r, status, "home", data)
}

// respondToInvitation accepts or declines an invitation to a team and
// shows the team's status after the response.
func (h *Handler) respondToInvitation(w http.ResponseWriter, r *http.Request, a *approver) {
	if !h.readForm(w, r) {
		return
	}
	teamArn := r.PostForm.Get("team")
	response := r.PostForm.Get("response")
	if teamArn == "" || (response != "ACCEPT" && response != "DECLINE") {
		h.renderHome(w, r, a, http.StatusBadRequest, "",
			"The form must name a team and a response, ACCEPT or DECLINE. Reload the page and try again.")
		return
	}

	accept := response == "ACCEPT"
	t, err := h.engine.RespondToInvitation(r.Context(), a.Voter, teamArn, accept)
	if err != nil {
		status, message := h.describeError(r, err)
		h.renderHome(w, r, a, status, "", message)
		return
	}
	h.renderHome(w, r, a, http.StatusOK, invitationOutcome(t, accept), "")
}

// invitationOutcome describes the team after the approver's response.
func invitationOutcome(t *keyturn.Team, accept bool) string {
	if !accept {
		return fmt.Sprintf("You declined the invitation to approval team %s.", t.Name)
	}
	switch {
	case t.Status == keyturn.TeamActive && t.PendingUpdate == nil:
		return fmt.Sprintf("You accepted the invitation to approval team %s. The team is ACTIVE.", t.Name)
	case t.Status == keyturn.TeamPending:
		return fmt.Sprintf("You accepted the invitation to approval team %s. The team stays PENDING until every approver accepts.", t.Name)
	case t.PendingUpdate != nil:
		return fmt.Sprintf("You accepted the invitation to approval team %s. You join the team when its pending update is complete.", t.Name)
	default:
		return fmt.Sprintf("You accepted the invitation to approval team %s. The team is %s.", t.Name, t.Status)
	}
}

// fail writes an error page for err.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, message := h.describeError(r, err)
	h.renderError(w, r, status, message)
}

// confirmedMethods returns the methods of the confirmed factors.
func confirmedMethods(factors []engine.Factor) []string {
	var methods []string
	for _, f := range factors {
		if f.Confirmed {
			methods = append(methods, f.Method)
		}
	}
	return methods
}
