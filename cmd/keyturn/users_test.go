package main

import (
	"strings"
	"testing"

	"github.com/keyturn/keyturn/client"
)

func TestUserLifecycle(t *testing.T) {
	srv := startServer(t)
	srv.IdentitySourceArn(t)

	var created client.User
	runJSON(t, &created, "users", "create", "--user-name", "alice", "--display-name", "Alice", "--email", "alice@example.com")
	if created.UserName != "alice" || created.Email != "alice@example.com" || created.Status != "ENABLED" {
		t.Errorf("got created user %+v, want alice, alice@example.com, ENABLED", created)
	}

	r := run(t, 0, "users", "list")
	if !strings.Contains(r.stdout, "alice") || !strings.Contains(r.stdout, created.UserID) {
		t.Errorf("got list %q, want alice and her user id %s", r.stdout, created.UserID)
	}

	r = run(t, 0, "users", "get", "alice")
	if !strings.Contains(r.stdout, "Display name:") || !strings.Contains(r.stdout, "Alice") {
		t.Errorf("got %q, want the display name Alice", r.stdout)
	}

	var updated client.User
	runJSON(t, &updated, "users", "update", created.UserID, "--disable", "--display-name", "")
	if updated.Status != "DISABLED" {
		t.Errorf("got status %s, want DISABLED", updated.Status)
	}
	if updated.DisplayName != "" {
		t.Errorf("got display name %q, want it removed", updated.DisplayName)
	}
	runJSON(t, &updated, "users", "update", "alice", "--enable")
	if updated.Status != "ENABLED" {
		t.Errorf("got status %s, want ENABLED", updated.Status)
	}

	var enrollment client.Enrollment
	runJSON(t, &enrollment, "users", "enroll", "alice")
	if enrollment.EnrollmentCode == "" || enrollment.Emailed {
		t.Errorf("got enrolment %+v, want a code in the response", enrollment)
	}
	var revoked struct{ Revoked int }
	runJSON(t, &revoked, "users", "revoke-tokens", "alice")
	if revoked.Revoked != 1 {
		t.Errorf("got %d revoked, want 1 (the enrolment code)", revoked.Revoked)
	}

	r = run(t, 0, "users", "delete", "alice")
	if r.stdout != "Deleted user alice.\n" {
		t.Errorf("got %q, want the deletion confirmed", r.stdout)
	}
	r = run(t, 1, "users", "get", "alice")
	if !strings.HasPrefix(r.stderr, "keyturn: ResourceNotFoundException: ") {
		t.Errorf("got stderr %q, want ResourceNotFoundException", r.stderr)
	}
}

func TestUsersListPages(t *testing.T) {
	srv := startServer(t)
	const n = 105 // more than one page of 100
	for i := range n {
		srv.CreateUser(t, "user-"+string(rune('a'+i/26))+string(rune('a'+i%26)))
	}

	var out struct{ Users []client.User }
	runJSON(t, &out, "users", "list")
	if len(out.Users) != n {
		t.Errorf("got %d users, want %d", len(out.Users), n)
	}
}

func TestUsersEnrollByEmailWithoutSMTP(t *testing.T) {
	srv := startServer(t)
	srv.CreateUser(t, "alice")

	r := run(t, 1, "users", "enroll", "alice", "--email")
	if !strings.HasPrefix(r.stderr, "keyturn: ValidationException: Cannot e-mail an enrolment code") {
		t.Errorf("got stderr %q, want a ValidationException because the server has no SMTP server", r.stderr)
	}
}
