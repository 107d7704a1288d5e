package main

import (
	"strings"
	"testing"
	"time"

	"github.com/keyturn/keyturn/client"
)

func TestDevClock(t *testing.T) {
	srv := startServer(t)
	before := srv.Now(t)

	var clock client.Clock
	runJSON(t, &clock, "dev", "clock", "advance", "1d1h")
	if got := clock.Time.Sub(before); got < 25*time.Hour {
		t.Errorf("got the clock %s ahead, want at least 25h", got)
	}

	target := time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)
	runJSON(t, &clock, "dev", "clock", "freeze", target.Format(time.RFC3339))
	if !clock.Time.Equal(target) || !clock.Frozen {
		t.Errorf("got clock %+v, want frozen at %s", clock, target)
	}
	r := run(t, 0, "dev", "clock")
	if want := "2040-01-01T00:00:00Z (frozen, "; !strings.HasPrefix(r.stdout, want) {
		t.Errorf("got %q, want it to start with %q", r.stdout, want)
	}

	r = run(t, 1, "dev", "clock", "set", "2030-01-01T00:00:00Z")
	if !strings.HasPrefix(r.stderr, "keyturn: ValidationException: ") {
		t.Errorf("got stderr %q, want ValidationException for a move backwards", r.stderr)
	}

	runJSON(t, &clock, "dev", "clock", "unfreeze")
	if clock.Frozen {
		t.Errorf("got a frozen clock after unfreeze, want it running")
	}
}

func TestDevReset(t *testing.T) {
	srv := startServer(t)
	srv.CreateUser(t, "alice")

	r := run(t, 0, "dev", "reset")
	if r.stdout != "Deleted the state of the account of your credentials.\n" {
		t.Errorf("got %q, want the reset confirmed", r.stdout)
	}
	var out struct{ Users []client.User }
	runJSON(t, &out, "users", "list")
	if len(out.Users) != 0 {
		t.Errorf("got %d users after the reset, want 0", len(out.Users))
	}

	run(t, 1, "dev", "reset", "--all", "--account", srv.AccountID)
	run(t, 0, "dev", "reset", "--all")
}

func TestPoliciesPut(t *testing.T) {
	startServer(t)

	args := []string{"policies", "put", "--service-principal", "deploy.example.com", "--name", "ProductionDeploy",
		"--action", "deploy:Promote", "--action", "deploy:*"}
	var first, second client.PolicyVersion
	runJSON(t, &first, args...)
	runJSON(t, &second, append(args, "--deprecated")...)

	if first.VersionID != 1 || first.Status != "ATTACHABLE" {
		t.Errorf("got first version %d %s, want 1 ATTACHABLE", first.VersionID, first.Status)
	}
	if second.VersionID != 2 || second.Status != "DEPRECATED" {
		t.Errorf("got second version %d %s, want 2 DEPRECATED", second.VersionID, second.Status)
	}
	if want := "arn:aws:mpa:::aws:policy/deploy.example.com/ProductionDeploy"; first.PolicyArn != want {
		t.Errorf("got policy %s, want %s", first.PolicyArn, want)
	}
	if len(first.Actions) != 2 {
		t.Errorf("got actions %v, want 2", first.Actions)
	}
}
