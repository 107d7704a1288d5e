package engine

import (
	"strings"
	"testing"

	"github.com/keyturn/keyturn"
)

func TestGetApproverSessionOnlyForApprovers(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(2, 1)
	s := f.startSession(active.Arn)
	f.vote(users[0], s.Arn, keyturn.ResponseApproved)

	got, err := f.eng.GetApproverSession(f.ctx, voter(users[0]), s.Arn)
	if err != nil {
		t.Fatalf("GetApproverSession as an approver: %v", err)
	}
	if got.Arn != s.Arn || got.MyVote == nil || got.MyVote.Response != keyturn.ResponseApproved {
		t.Errorf("GetApproverSession as an approver: got session %s with vote %+v, want %s with the APPROVED vote", got.Arn, got.MyVote, s.Arn)
	}
	got, err = f.eng.GetApproverSession(f.ctx, voter(users[1]), s.Arn)
	if err != nil {
		t.Fatalf("GetApproverSession as an approver who did not vote: %v", err)
	}
	if got.MyVote != nil {
		t.Errorf("GetApproverSession as an approver who did not vote: got vote %+v, want none", got.MyVote)
	}

	// A user of the account who is not an approver in the session, and an
	// approver of another team, see it as a session that does not exist.
	outsider := f.addUsers(1)[0]
	_, err = f.eng.GetApproverSession(f.ctx, voter(outsider), s.Arn)
	wantCode(t, err, keyturn.ErrNotFound)
	if msg := keyturn.Message(err); !strings.Contains(msg, s.Arn) {
		t.Errorf("message %q does not name the session", msg)
	}

	other := f.addUsers(1)[0]
	otherTeam := f.createTeam(1, other.ID)
	f.answer(otherTeam.Arn, other, true)
	_, err = f.eng.GetApproverSession(f.ctx, voter(other), s.Arn)
	wantCode(t, err, keyturn.ErrNotFound)

	// The error is the one for a session that does not exist.
	_, err = f.eng.GetApproverSession(f.ctx, voter(outsider), "arn:aws:mpa:us-east-1:111122223333:session/missing/missing")
	wantCode(t, err, keyturn.ErrNotFound)
}
