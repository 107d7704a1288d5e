package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/keyturn/keyturn"
)

func TestStartSessionActionNameForm(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, _ := f.activeTeam(1, 1)
	invalid := []struct{ name, action string }{
		{"empty", ""},
		{"no colon", "deployPromoteToProduction"},
		{"empty service", ":PromoteToProduction"},
		{"empty operation", "deploy:"},
		{"two colons", "deploy:Promote:ToProduction"},
		{"space", "deploy:Promote ToProduction"},
		{"line feed", "deploy:PromoteToProduction\nApproved: yes"},
		{"carriage return", "deploy:Rollback\rdeploy:PromoteToProduction"},
		{"escape", "deploy:PromoteToProduction\x1b[2K"},
		{"Cyrillic letter", "dеploy:PromoteToProduction"}, // the e is U+0435
		{"too long", "deploy:" + strings.Repeat("a", 494)},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.eng.StartSession(f.ctx, f.caller, StartSessionInput{TeamArn: active.Arn, ActionName: tt.action})
			wantCode(t, err, keyturn.ErrInvalid)
			if msg := keyturn.Message(err); !strings.Contains(msg, "service:Operation") {
				t.Errorf("message %q does not state the form service:Operation", msg)
			}
		})
	}

	// 500 characters is the limit, and the form allows digits, '_', '.'
	// and '-'. The policy decides whether the action is protected.
	longest := "deploy:" + strings.Repeat("a", 493)
	if _, err := f.eng.PutPolicy(f.ctx, operatorCaller, PutPolicyInput{
		ServicePrincipal: "deploy.example.com", Name: "Deploy", Actions: append([]string{longest, "deploy:Promote_v2.1-rc"}, deployActions...),
	}); err != nil {
		t.Fatalf("PutPolicy: %v", err)
	}
	for _, action := range []string{longest, "deploy:Promote_v2.1-rc"} {
		if _, err := f.eng.StartSession(f.ctx, f.caller, StartSessionInput{TeamArn: active.Arn, ActionName: action}); err != nil {
			t.Errorf("StartSession with action %q: %v", action, err)
		}
	}
}

func TestStartSessionRejectsControlCharacters(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, _ := f.activeTeam(1, 1)
	controls := map[string]string{
		"NUL":             "\x00",
		"tab":             "\t",
		"line feed":       "\n",
		"carriage return": "\r",
		"escape":          "\x1b",
		"delete":          "\x7f",
		"C1 CSI":          "\u009b",
		"C1 next line":    "\u0085",
	}
	fields := map[string]func(in *StartSessionInput, text string){
		"Description":          func(in *StartSessionInput, text string) { in.Description = text },
		"RequesterComment":     func(in *StartSessionInput, text string) { in.RequesterComment = text },
		"ProtectedResourceArn": func(in *StartSessionInput, text string) { in.ProtectedResourceArn = text },
	}
	for field, set := range fields {
		for name, control := range controls {
			t.Run(field+" with "+name, func(t *testing.T) {
				in := StartSessionInput{TeamArn: active.Arn, ActionName: deployAction}
				set(&in, "Promote build 42."+control+"Approved by security.")
				_, err := f.eng.StartSession(f.ctx, f.caller, in)
				wantCode(t, err, keyturn.ErrInvalid)
				if msg := keyturn.Message(err); !strings.Contains(msg, field) || !strings.Contains(msg, "control character") {
					t.Errorf("message %q does not name %s and the control character", msg, field)
				}
			})
		}
	}

	// Text in other scripts, symbols and punctuation are not control
	// characters.
	in := StartSessionInput{
		TeamArn: active.Arn, ActionName: deployAction,
		Description:          "Déployer la version 42 — « urgent » 🚀",
		RequesterComment:     "Ticket CHG-1234; see https://example.com/chg?id=1234&x=y",
		ProtectedResourceArn: "arn:aws:deploy:us-east-1:111122223333:app/shop",
	}
	if _, err := f.eng.StartSession(f.ctx, f.caller, in); err != nil {
		t.Errorf("StartSession with printable text: %v", err)
	}
}

func TestUserNameRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	existing := f.addUsers(1)[0]
	invalid := []struct{ name, userName string }{
		{"tab", "ali\tce"},
		{"line feed", "alice\nbob"},
		{"escape", "alice\x1b[8m"},
		{"NUL", "alice\x00"},
		{"C1 control", "alice\u0085"},
		{"no-break space", "ali\u00a0ce"},
		{"em space", "ali\u2003ce"},
		{"invalid UTF-8", "ali\xffce"},
		{"another user's id", existing.ID},
		{"a UUID in capitals", strings.ToUpper(existing.ID)},
		{"a new UUID", "0b6f3d1e-8c1a-4f7e-9d2b-3a4c5e6f7a8b"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.eng.CreateUser(f.ctx, f.caller, CreateUserInput{UserName: tt.userName})
			wantCode(t, err, keyturn.ErrInvalid)
		})
	}

	// Looking the existing user up by id still finds that user.
	got, err := f.eng.GetUser(f.ctx, f.caller, existing.ID)
	if err != nil {
		t.Fatalf("GetUser by id: %v", err)
	}
	if got.ID != existing.ID {
		t.Errorf("GetUser(%s): got user %s, want %s", existing.ID, got.ID, existing.ID)
	}

	for _, name := range []string{"zoë", "alice@example.com", "o'brien", "ops-admin_2", "田中", "0b6f3d1e8c1a4f7e9d2b3a4c5e6f7a8b"} {
		if _, err := f.eng.CreateUser(f.ctx, f.caller, CreateUserInput{UserName: name}); err != nil {
			t.Errorf("CreateUser %q: %v", name, err)
		}
	}
}

func TestDisplayNameRejectsControlCharacters(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	u := f.addUsers(1)[0]
	for _, name := range []string{"Alice\nApproved", "Alice\x1b[31m", "Alice\u009b", "Alice\x00"} {
		_, err := f.eng.CreateUser(f.ctx, f.caller, CreateUserInput{UserName: "newuser", DisplayName: name})
		wantCode(t, err, keyturn.ErrInvalid)
		_, err = f.eng.UpdateUser(f.ctx, f.caller, u.ID, UpdateUserInput{DisplayName: ptr(name)})
		wantCode(t, err, keyturn.ErrInvalid)
	}
	if _, err := f.eng.UpdateUser(f.ctx, f.caller, u.ID, UpdateUserInput{DisplayName: ptr("Zoë Müller (Ops) 🙂")}); err != nil {
		t.Errorf("UpdateUser with a printable display name: %v", err)
	}
}

// TestUpdateUserWithOldName checks that a user whose name an earlier
// version accepted, and the rules now reject, can still be changed.
func TestUpdateUserWithOldName(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	old := &keyturn.User{
		ID: "4d9e7f2a-1b3c-4d5e-8f6a-7b8c9d0e1f2a", AccountID: testAccount, Region: testRegion,
		UserName: "7c1e2d3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", Status: keyturn.UserEnabled, CreationTime: f.eng.Now(),
	}
	err := f.store.Update(f.ctx, func(tx keyturn.Tx) error { return tx.CreateUser(f.ctx, old) })
	if err != nil {
		t.Fatalf("store the user: %v", err)
	}
	got, err := f.eng.UpdateUser(f.ctx, f.caller, old.ID, UpdateUserInput{Enabled: ptr(false)})
	if err != nil {
		t.Fatalf("UpdateUser of a user with a UUID-form name: %v", err)
	}
	if got.Status != keyturn.UserDisabled {
		t.Errorf("status after UpdateUser: got %s, want %s", got.Status, keyturn.UserDisabled)
	}
}

func TestStartSessionClientTokenExpires(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(1, 1)
	in := StartSessionInput{TeamArn: active.Arn, ActionName: deployAction, ClientToken: "deploy-build-42"}
	first, err := f.eng.StartSession(f.ctx, f.caller, in)
	if err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	f.vote(users[0], first.Arn, keyturn.ResponseApproved)

	// Within 24 hours a replay returns the approved session.
	f.clock.Advance(idempotencyTTL)
	again, err := f.eng.StartSession(f.ctx, f.caller, in)
	if err != nil {
		t.Fatalf("StartSession replay after exactly 24 hours: %v", err)
	}
	if again.Arn != first.Arn {
		t.Errorf("replay after exactly 24 hours: got session %s, want %s", again.Arn, first.Arn)
	}

	// Later, the token is refused, and the message names the session and
	// the fix.
	f.clock.Advance(time.Millisecond)
	_, err = f.eng.StartSession(f.ctx, f.caller, in)
	wantCode(t, err, keyturn.ErrConflict)
	msg := keyturn.Message(err)
	for _, want := range []string{first.Arn, "more than 24 hours ago", "Use a new ClientToken"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not contain %q", msg, want)
		}
	}

	// A new token starts a new session.
	in.ClientToken = "deploy-build-42-again"
	fresh, err := f.eng.StartSession(f.ctx, f.caller, in)
	if err != nil {
		t.Fatalf("StartSession with a new token: %v", err)
	}
	if fresh.Arn == first.Arn || fresh.Status != keyturn.SessionPending {
		t.Errorf("StartSession with a new token: got session %s in %s, want a new PENDING session", fresh.Arn, fresh.Status)
	}
}
