package waitapproval_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/keyturn/keyturn/examples/waitapproval"
	"github.com/keyturn/keyturn/keyturntest"
)

// wait runs WaitForApproval in the background and returns its result on
// a channel.
func wait(s *keyturntest.Server, sessionArn string) <-chan error {
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- waitapproval.WaitForApproval(ctx, s.MPA(), sessionArn, 10*time.Millisecond)
	}()
	return done
}

func TestWaitForApprovalApproved(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	team, approvers := s.ActiveTeam(t, "release", 2, 3)
	session := s.StartSession(t, team, "test:Promote")

	done := wait(s, session.SessionArn)
	s.Vote(t, session.SessionArn, approvers[0].UserName, "APPROVED")
	s.Vote(t, session.SessionArn, approvers[1].UserName, "APPROVED")

	if err := <-done; err != nil {
		t.Errorf("WaitForApproval = %v after two of three approvals, want nil", err)
	}
}

func TestWaitForApprovalRejected(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	team, approvers := s.ActiveTeam(t, "release", 2, 3)
	session := s.StartSession(t, team, "test:Promote")

	done := wait(s, session.SessionArn)
	s.Vote(t, session.SessionArn, approvers[0].UserName, "REJECTED")
	s.Vote(t, session.SessionArn, approvers[1].UserName, "REJECTED")

	if err := <-done; !errors.Is(err, waitapproval.ErrNotApproved) {
		t.Errorf("WaitForApproval = %v after two rejections, want ErrNotApproved", err)
	}
}

func TestWaitForApprovalExpired(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	team, _ := s.ActiveTeam(t, "release", 2, 3)
	session := s.StartSession(t, team, "test:Promote")

	done := wait(s, session.SessionArn)
	s.AdvanceClock(t, 25*time.Hour) // sessions last 24 hours

	if err := <-done; !errors.Is(err, waitapproval.ErrNotApproved) {
		t.Errorf("WaitForApproval = %v after expiry, want ErrNotApproved", err)
	}
}

func TestWaitForApprovalWithRules(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	s.AutoAccept(t)
	s.AutoApprove(t, "test:*", 5*time.Minute)
	alice, bob := s.CreateUser(t, "alice"), s.CreateUser(t, "bob")
	team := s.CreateTeam(t, "release", 2, alice.UserID, bob.UserID)
	s.AdvanceClock(t, time.Second) // lets the sweeper accept the invitations
	session := s.StartSession(t, team, "test:Promote")

	done := wait(s, session.SessionArn)
	s.AdvanceClock(t, 5*time.Minute)

	if err := <-done; err != nil {
		t.Errorf("WaitForApproval = %v with an approve rule, want nil", err)
	}
}

func TestWaitForApprovalFromFixture(t *testing.T) {
	t.Parallel()
	// Record a fixture once: a team whose approvers have accepted.
	recorder := keyturntest.NewServer(t)
	team, approvers := recorder.ActiveTeam(t, "release", 1, 2)
	fixture := recorder.Snapshot(t)

	// Every test can then start from it.
	s := keyturntest.NewServer(t)
	s.Restore(t, fixture)
	session := s.StartSession(t, team, "test:Promote")
	done := wait(s, session.SessionArn)
	s.Vote(t, session.SessionArn, approvers[1].UserID, "APPROVED")

	if err := <-done; err != nil {
		t.Errorf("WaitForApproval = %v on a restored team, want nil", err)
	}
}

func TestSeedRepeatsArns(t *testing.T) {
	t.Parallel()
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	arns := make([]string, 2)
	for i := range arns {
		s := keyturntest.Start(t, keyturntest.Options{Seed: 42})
		s.FreezeClock(t, start)
		team, _ := s.ActiveTeam(t, "release", 1, 1)
		arns[i] = s.StartSession(t, team, "test:Promote").SessionArn
	}
	if arns[0] != arns[1] {
		t.Errorf("session ARNs differ between two servers with seed 42: %s and %s", arns[0], arns[1])
	}
}
