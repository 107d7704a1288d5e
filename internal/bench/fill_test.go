package bench

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/keyturn/keyturn"
	"github.com/keyturn/keyturn/internal/engine"
	"github.com/keyturn/keyturn/internal/sqlstore"
)

// fillTestStore fills an in-memory store with a small data set.
func fillTestStore(t *testing.T, sessions int) (*sqlstore.Store, *Manifest) {
	t.Helper()
	ctx := context.Background()
	store, err := sqlstore.OpenSQLite(ctx, sqlstore.Memory)
	if err != nil {
		t.Fatalf("open SQLite store: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	m, err := Fill(ctx, store, FillOptions{Teams: 3, Sessions: sessions, Seed: 7, BatchSize: 300})
	if err != nil {
		t.Fatalf("Fill: %v", err)
	}
	return store, m
}

func TestFillManifest(t *testing.T) {
	store, m := fillTestStore(t, 2000)

	loaded, err := LoadManifest(context.Background(), store)
	if err != nil {
		t.Fatalf("LoadManifest: %v", err)
	}
	if loaded.Sessions != 2000 {
		t.Errorf("manifest has %d sessions, want 2000", loaded.Sessions)
	}
	if len(loaded.Teams) != 3 {
		t.Errorf("manifest has %d teams, want 3", len(loaded.Teams))
	}
	if loaded.WriteTeam == loaded.SessionTeam {
		t.Errorf("write team %d is the session team", loaded.WriteTeam)
	}
	total := 0
	for _, n := range m.StatusCounts {
		total += n
	}
	if total != 2000 {
		t.Errorf("status counts add up to %d, want 2000", total)
	}
	for _, status := range []string{"APPROVED", "FAILED/REJECTED", "FAILED/EXPIRED", "CANCELLED", "PENDING"} {
		if m.StatusCounts[status] == 0 {
			t.Errorf("no session is %s; counts: %v", status, m.StatusCounts)
		}
	}
	if m.StatusCounts["APPROVED"] < 2000/2 {
		t.Errorf("%d sessions are APPROVED, want most of 2000", m.StatusCounts["APPROVED"])
	}
	top := m.ActionCounts[actions[0].Name]
	rare := m.ActionCounts[actions[len(actions)-1].Name]
	if top <= 5*rare {
		t.Errorf("action counts are not skewed: %s %d, %s %d", actions[0].Name, top, actions[len(actions)-1].Name, rare)
	}
	if len(m.SampleSessionArns) < 100 {
		t.Errorf("manifest samples %d sessions, want at least 100", len(m.SampleSessionArns))
	}
}

func TestFillRefusesFilledStore(t *testing.T) {
	store, _ := fillTestStore(t, 10)
	if _, err := Fill(context.Background(), store, FillOptions{Sessions: 10}); err == nil {
		t.Fatal("second Fill succeeded, want an error")
	}
}

// TestFillServedByEngine reads the data set back through the engine, as the
// server does, and checks that each session's state agrees with its votes.
func TestFillServedByEngine(t *testing.T) {
	store, m := fillTestStore(t, 1500)
	ctx := context.Background()
	eng := engine.New(store, engine.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	team := m.SessionTeamInfo()
	caller := engine.Caller{AccountID: team.AccountID, Region: m.Region, PrincipalArn: Credential(team.AccountID).PrincipalArn}

	var listed int
	var previous time.Time
	token := ""
	for {
		page, next, err := eng.ListSessions(ctx, caller, team.TeamArn, nil, engine.Page{MaxResults: 20, NextToken: token})
		if err != nil {
			t.Fatalf("ListSessions after %d sessions: %v", listed, err)
		}
		for _, s := range page {
			if !previous.IsZero() && s.InitiationTime.After(previous) {
				t.Fatalf("session %s starts at %s, after the one listed before it (%s)", s.Arn, s.InitiationTime, previous)
			}
			previous = s.InitiationTime
		}
		listed += len(page)
		if next == "" {
			break
		}
		token = next
	}
	if listed != 1500 {
		t.Errorf("ListSessions listed %d sessions, want 1500", listed)
	}

	for _, arn := range m.SampleSessionArns {
		s, err := eng.GetSession(ctx, caller, arn)
		if err != nil {
			t.Fatalf("GetSession %s: %v", arn, err)
		}
		checkSessionState(t, s)
	}
}

// checkSessionState checks that a session's status agrees with its votes
// and times.
func checkSessionState(t *testing.T, s *keyturn.Session) {
	t.Helper()
	approvals, rejections := s.Tally()
	n, minApprovals := len(s.Approvers), s.MinApprovals
	undecided := approvals < minApprovals && approvals+n-approvals-rejections >= minApprovals
	for _, v := range s.Votes {
		if v.Time.Before(s.InitiationTime) {
			t.Errorf("session %s: a vote at %s precedes the initiation at %s", s.Arn, v.Time, s.InitiationTime)
		}
		if s.Approver(v.IdentityID) == nil {
			t.Errorf("session %s: vote of %s, who is not an approver in it", s.Arn, v.IdentityID)
		}
	}
	switch {
	case s.Status == keyturn.SessionApproved:
		if approvals != minApprovals {
			t.Errorf("session %s is APPROVED with %d approvals, want exactly %d", s.Arn, approvals, minApprovals)
		}
		if s.ExecutionStatus == "" {
			t.Errorf("session %s is APPROVED without an execution status", s.Arn)
		}
	case s.Status == keyturn.SessionFailed && s.StatusCode == keyturn.SessionRejected:
		if undecided || approvals >= minApprovals {
			t.Errorf("session %s is REJECTED with %d approvals and %d rejections of %d", s.Arn, approvals, rejections, n)
		}
	case s.Status == keyturn.SessionFailed && s.StatusCode == keyturn.SessionExpired,
		s.Status == keyturn.SessionCancelled, s.Status == keyturn.SessionPending:
		if !undecided {
			t.Errorf("session %s is %s but its votes (%d approvals, %d rejections of %d) decide it", s.Arn, s.Status, approvals, rejections, n)
		}
	default:
		t.Errorf("session %s has status %s/%s, which the fill does not draw", s.Arn, s.Status, s.StatusCode)
	}
	if s.Status != keyturn.SessionPending && s.CompletionTime.IsZero() {
		t.Errorf("session %s is %s without a completion time", s.Arn, s.Status)
	}
	if s.Status == keyturn.SessionPending && !s.CompletionTime.IsZero() {
		t.Errorf("session %s is PENDING with a completion time", s.Arn)
	}
}
