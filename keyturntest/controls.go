package keyturntest

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/keyturn/keyturn/client"
)

// Reset deletes the state of the server's account: identity source, users,
// teams, sessions and tags. Other accounts and the policy catalogue stay.
func (s *Server) Reset(tb testing.TB) {
	tb.Helper()
	if err := s.Admin().Reset(context.Background(), ""); err != nil {
		tb.Fatalf("keyturntest: reset account %s: %v", s.AccountID, err)
	}
}

// AddRule adds an automatic answer for the server's account and returns
// its id. Rules act when the sweeper runs, on the workflow clock.
func (s *Server) AddRule(tb testing.TB, r client.Rule) string {
	tb.Helper()
	out, err := s.Admin().AddRule(context.Background(), r)
	if err != nil {
		tb.Fatalf("keyturntest: add rule %+v: %v", r, err)
	}
	return out.RuleID
}

// AutoAccept makes every approver of the account accept every invitation,
// so that new teams become ACTIVE without scripted answers.
func (s *Server) AutoAccept(tb testing.TB) {
	tb.Helper()
	s.AddRule(tb, client.Rule{Kind: client.RuleAcceptInvitations})
}

// AutoApprove makes the approvers approve every session for the action
// once delay has passed on the workflow clock. A trailing * in action
// matches every action with that prefix, and "" matches every session.
func (s *Server) AutoApprove(tb testing.TB, action string, delay time.Duration) {
	tb.Helper()
	s.AddRule(tb, client.Rule{Kind: client.RuleVote, ActionName: action, Response: "APPROVED", DelaySeconds: int64(delay / time.Second)})
}

// AutoReject makes the approvers reject every session for the action once
// delay has passed on the workflow clock.
func (s *Server) AutoReject(tb testing.TB, action string, delay time.Duration) {
	tb.Helper()
	s.AddRule(tb, client.Rule{Kind: client.RuleVote, ActionName: action, Response: "REJECTED", DelaySeconds: int64(delay / time.Second)})
}

// FreezeClock stops the workflow clock at t, which must not be before its
// current time. It then moves only with AdvanceClock, so that times and
// version ids repeat from run to run; with Options.Seed, ARNs repeat too.
func (s *Server) FreezeClock(tb testing.TB, t time.Time) {
	tb.Helper()
	if _, err := s.Admin().FreezeClock(context.Background(), t); err != nil {
		tb.Fatalf("keyturntest: freeze the clock at %s: %v", t, err)
	}
}

// Snapshot returns a snapshot of the server's account, in the documented
// snapshot file format.
func (s *Server) Snapshot(tb testing.TB) []byte {
	tb.Helper()
	snap, err := s.Admin().ExportSnapshot(context.Background(), "")
	if err != nil {
		tb.Fatalf("keyturntest: export a snapshot of account %s: %v", s.AccountID, err)
	}
	return snap
}

// Restore imports a snapshot, replacing the state of the account it holds.
func (s *Server) Restore(tb testing.TB, snapshot []byte) {
	tb.Helper()
	if !json.Valid(snapshot) {
		tb.Fatalf("keyturntest: the snapshot is not valid JSON")
	}
	if _, err := s.Admin().ImportSnapshot(context.Background(), snapshot, true); err != nil {
		tb.Fatalf("keyturntest: import the snapshot: %v", err)
	}
}

// SaveSnapshot writes a snapshot of the server's account to a file, such as
// a fixture under testdata. The file holds approvers' credentials.
func (s *Server) SaveSnapshot(tb testing.TB, path string) {
	tb.Helper()
	if err := os.WriteFile(path, s.Snapshot(tb), 0o600); err != nil {
		tb.Fatalf("keyturntest: write snapshot %s: %v", path, err)
	}
}

// LoadSnapshot imports a snapshot file, replacing the state of the account
// it holds.
func (s *Server) LoadSnapshot(tb testing.TB, path string) {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("keyturntest: read snapshot %s: %v", path, err)
	}
	s.Restore(tb, b)
}
