package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/keyturn/keyturn"
)

func TestStartSession(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)
	f.clock.Advance(time.Hour)

	s, err := f.eng.StartSession(f.ctx, f.caller, StartSessionInput{
		TeamArn:              active.Arn,
		ActionName:           deployAction,
		ProtectedResourceArn: "arn:aws:deploy:us-east-1:111122223333:app/shop",
		Description:          "Promote build 42.",
		Metadata:             map[string]string{"build": "42"},
		RequesterComment:     "Release train 7.",
	})
	if err != nil {
		t.Fatalf("StartSession: %v", err)
	}

	got := f.session(s.Arn)
	checks := []struct {
		field     string
		got, want any
	}{
		{"Kind", got.Kind, keyturn.KindOperation},
		{"Status", got.Status, keyturn.SessionPending},
		{"TeamArn", got.TeamArn, active.Arn},
		{"TeamName", got.TeamName, active.Name},
		{"ActionName", got.ActionName, deployAction},
		{"RequesterPrincipalArn", got.RequesterPrincipalArn, testPrincipal},
		{"RequesterAccountID", got.RequesterAccountID, testAccount},
		{"RequesterRegion", got.RequesterRegion, testRegion},
		{"RequesterServicePrincipal", got.RequesterServicePrincipal, "deploy.example.com"},
		{"RequesterComment", got.RequesterComment, "Release train 7."},
		{"Metadata[build]", got.Metadata["build"], "42"},
		{"MinApprovals", got.MinApprovals, 2},
		{"InitiationTime", got.InitiationTime, testStart.Add(time.Hour)},
		{"ExpirationTime", got.ExpirationTime, testStart.Add(25 * time.Hour)},
		{"ExecutionStatus", got.ExecutionStatus, keyturn.ExecutionStatus("")},
		{"approvers", len(got.Approvers), len(users)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.field, c.got, c.want)
		}
	}
	if !strings.HasPrefix(got.Arn, "arn:aws:mpa:us-east-1:111122223333:session/"+keyturn.TeamID(active.Arn)+"/") {
		t.Errorf("Arn %s is not a session ARN of the team", got.Arn)
	}
	for _, a := range active.Approvers {
		sa := got.Approver(a.IdentityID)
		if sa == nil || sa.ApproverID != a.ApproverID || sa.IdentitySourceArn != f.source {
			t.Errorf("session approver for %s: got %+v, want approver id %s from %s", a.IdentityID, sa, a.ApproverID, f.source)
		}
	}
}

func TestStartSessionNeedsActiveTeam(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	users := f.addUsers(2)
	pending := f.createTeam(1, users[0].ID, users[1].ID)
	in := StartSessionInput{TeamArn: pending.Arn, ActionName: deployAction}

	_, err := f.eng.StartSession(f.ctx, f.caller, in)
	wantCode(t, err, keyturn.ErrConflict)

	f.answer(pending.Arn, users[0], false)
	_, err = f.eng.StartSession(f.ctx, f.caller, in)
	wantCode(t, err, keyturn.ErrConflict)

	in.TeamArn = keyturn.TeamArn(testRegion, testAccount, "missing-1234")
	_, err = f.eng.StartSession(f.ctx, f.caller, in)
	wantCode(t, err, keyturn.ErrNotFound)

	other := f.caller
	other.AccountID = "444455556666"
	in.TeamArn = pending.Arn
	_, err = f.eng.StartSession(f.ctx, other, in)
	wantCode(t, err, keyturn.ErrNotFound)
}

func TestStartSessionProtectedActions(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ops := PutPolicyInput{ServicePrincipal: "ops.example.com", Name: "Operations", Actions: []string{"ops:*"}}

	_, err := f.eng.PutPolicy(f.ctx, f.caller, ops)
	wantCode(t, err, keyturn.ErrAccessDenied)
	if _, err := f.eng.PutPolicy(f.ctx, operatorCaller, ops); err != nil {
		t.Fatalf("PutPolicy: %v", err)
	}
	users := f.addUsers(1)
	team, err := f.eng.CreateTeam(f.ctx, f.caller, CreateTeamInput{
		Name: "ops", Description: "Operations.", MinApprovals: 1,
		Approvers: f.approverInputs(users[0].ID),
		Policies:  []string{deployPolicy + "/1", keyturn.PolicyArn("ops.example.com", "Operations") + "/$DEFAULT"},
	})
	if err != nil {
		t.Fatalf("CreateTeam: %v", err)
	}
	f.answer(team.Arn, users[0], true)

	tests := []struct {
		action    string
		want      keyturn.ErrorCode
		principal string
	}{
		{deployAction, "", "deploy.example.com"},
		{"deploy:Rollback", "", "deploy.example.com"},
		{"ops:RotateKey", "", "ops.example.com"},
		{"ops:Anything.Else", "", "ops.example.com"},
		{"deploy:Delete", keyturn.ErrInvalid, ""},
		{"opsx:RotateKey", keyturn.ErrInvalid, ""},
		{"backup:CreateRestoreAccessBackupVault", keyturn.ErrInvalid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			s, err := f.eng.StartSession(f.ctx, f.caller, StartSessionInput{TeamArn: team.Arn, ActionName: tt.action})
			if tt.want != "" {
				wantCode(t, err, tt.want)
				return
			}
			if err != nil {
				t.Fatalf("StartSession: %v", err)
			}
			if s.RequesterServicePrincipal != tt.principal {
				t.Errorf("RequesterServicePrincipal: got %s, want %s", s.RequesterServicePrincipal, tt.principal)
			}
		})
	}
}

func TestStartSessionDuration(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, _ := f.activeTeam(1, 1)
	tests := []struct {
		duration time.Duration
		want     time.Duration // zero when the duration is out of range
	}{
		{0, 24 * time.Hour},
		{time.Minute, time.Minute},
		{90 * time.Minute, 90 * time.Minute},
		{7 * 24 * time.Hour, 7 * 24 * time.Hour},
		{time.Minute - time.Millisecond, 0},
		{7*24*time.Hour + time.Millisecond, 0},
		{-time.Hour, 0},
	}
	for _, tt := range tests {
		t.Run(tt.duration.String(), func(t *testing.T) {
			s, err := f.eng.StartSession(f.ctx, f.caller, StartSessionInput{TeamArn: active.Arn, ActionName: deployAction, Duration: tt.duration})
			if tt.want == 0 {
				wantCode(t, err, keyturn.ErrInvalid)
				return
			}
			if err != nil {
				t.Fatalf("StartSession: %v", err)
			}
			if got := s.ExpirationTime.Sub(s.InitiationTime); got != tt.want {
				t.Errorf("lifetime: got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestStartSessionInputRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, _ := f.activeTeam(1, 1)
	tests := []struct {
		name   string
		change func(*StartSessionInput)
	}{
		{"empty action", func(in *StartSessionInput) { in.ActionName = "" }},
		{"long action", func(in *StartSessionInput) { in.ActionName = "deploy:" + strings.Repeat("a", 500) }},
		{"long description", func(in *StartSessionInput) { in.Description = strings.Repeat("d", 257) }},
		{"long comment", func(in *StartSessionInput) { in.RequesterComment = strings.Repeat("c", 201) }},
		{"metadata key with space", func(in *StartSessionInput) { in.Metadata = map[string]string{"a b": "v"} }},
		{"empty metadata value", func(in *StartSessionInput) { in.Metadata = map[string]string{"k": ""} }},
		{"unknown requirement", func(in *StartSessionInput) { in.AdditionalSecurityRequirements = []string{"HARDWARE_KEY"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := StartSessionInput{TeamArn: active.Arn, ActionName: deployAction}
			tt.change(&in)
			_, err := f.eng.StartSession(f.ctx, f.caller, in)
			wantCode(t, err, keyturn.ErrInvalid)
		})
	}
	sessions, _, err := f.eng.ListSessions(f.ctx, f.caller, active.Arn, nil, Page{})
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	if len(sessions) != 0 {
		t.Errorf("got %d sessions after invalid requests, want none", len(sessions))
	}
}

func TestStartSessionClientToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, _ := f.activeTeam(1, 1)
	base := StartSessionInput{
		TeamArn: active.Arn, ActionName: deployAction, Description: "Promote build 42.",
		Metadata: map[string]string{"build": "42"}, ClientToken: "token-1",
	}
	first, err := f.eng.StartSession(f.ctx, f.caller, base)
	if err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	f.clock.Advance(time.Minute)

	again, err := f.eng.StartSession(f.ctx, f.caller, base)
	if err != nil {
		t.Fatalf("StartSession replay: %v", err)
	}
	if again.Arn != first.Arn || !again.InitiationTime.Equal(first.InitiationTime) {
		t.Errorf("replay: got %s started %s, want %s started %s", again.Arn, again.InitiationTime, first.Arn, first.InitiationTime)
	}

	tests := []struct {
		name   string
		caller Caller
		change func(*StartSessionInput)
	}{
		{"other description", f.caller, func(in *StartSessionInput) { in.Description = "Promote build 43." }},
		{"other action", f.caller, func(in *StartSessionInput) { in.ActionName = "deploy:Rollback" }},
		{"other metadata", f.caller, func(in *StartSessionInput) { in.Metadata = map[string]string{"build": "43"} }},
		{"other duration", f.caller, func(in *StartSessionInput) { in.Duration = time.Hour }},
		{"verification added", f.caller, func(in *StartSessionInput) {
			in.AdditionalSecurityRequirements = []string{keyturn.ApproverVerificationRequired}
		}},
		{"other principal", Caller{AccountID: testAccount, Region: testRegion, PrincipalArn: "arn:aws:iam::111122223333:role/Other"}, func(*StartSessionInput) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base
			tt.change(&in)
			_, err := f.eng.StartSession(f.ctx, tt.caller, in)
			wantCode(t, err, keyturn.ErrConflict)
		})
	}

	sessions, _, err := f.eng.ListSessions(f.ctx, f.caller, active.Arn, nil, Page{})
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	if len(sessions) != 1 {
		t.Errorf("got %d sessions, want 1", len(sessions))
	}

	// The default duration and an explicit one that equals it are the same
	// request.
	in := base
	in.Duration = 24 * time.Hour
	if got, err := f.eng.StartSession(f.ctx, f.caller, in); err != nil || got.Arn != first.Arn {
		t.Errorf("replay with the default duration named: got %v, %v; want session %s", got, err, first.Arn)
	}
}

func TestSessionDecision(t *testing.T) {
	t.Parallel()
	const (
		a = keyturn.ResponseApproved
		r = keyturn.ResponseRejected
	)
	tests := []struct {
		name  string
		votes []keyturn.Response
		// decidedAt is the 1-based vote that decides the session.
		decidedAt int
		status    keyturn.SessionStatus
		code      keyturn.SessionStatusCode
	}{
		{"three approvals", []keyturn.Response{a, a, a}, 3, keyturn.SessionApproved, ""},
		{"three rejections", []keyturn.Response{r, r, r}, 3, keyturn.SessionFailed, keyturn.SessionRejected},
		{"approved at the last vote", []keyturn.Response{a, r, a, r, a}, 5, keyturn.SessionApproved, ""},
		{"rejected when M is out of reach", []keyturn.Response{a, r, r, a, r}, 5, keyturn.SessionFailed, keyturn.SessionRejected},
		{"rejections first", []keyturn.Response{r, r, a, a, a}, 5, keyturn.SessionApproved, ""},
		{"approved after one rejection", []keyturn.Response{a, a, r, a}, 4, keyturn.SessionApproved, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			active, users := f.activeTeam(5, 3)
			s := f.startSession(active.Arn)

			for i, response := range tt.votes {
				f.clock.Advance(time.Second)
				got := f.vote(users[i], s.Arn, response)
				if i+1 < tt.decidedAt {
					if got.Status != keyturn.SessionPending || !got.CompletionTime.IsZero() {
						t.Fatalf("after vote %d: got %s completed at %s, want PENDING", i+1, got.Status, got.CompletionTime)
					}
					continue
				}
				if got.Status != tt.status || got.StatusCode != tt.code {
					t.Fatalf("after vote %d: got %s/%s, want %s/%s", i+1, got.Status, got.StatusCode, tt.status, tt.code)
				}
			}

			got := f.session(s.Arn)
			if got.Status != tt.status || got.StatusCode != tt.code || got.StatusMessage == "" {
				t.Errorf("stored decision: got %s/%s %q, want %s/%s with a message", got.Status, got.StatusCode, got.StatusMessage, tt.status, tt.code)
			}
			if want := testStart.Add(time.Duration(tt.decidedAt) * time.Second); !got.CompletionTime.Equal(want) {
				t.Errorf("CompletionTime: got %s, want %s", got.CompletionTime, want)
			}
			if len(got.Votes) != tt.decidedAt {
				t.Errorf("got %d votes, want %d", len(got.Votes), tt.decidedAt)
			}
			wantExecution := keyturn.ExecutionStatus("")
			if tt.status == keyturn.SessionApproved {
				wantExecution = keyturn.ExecutionPending
			}
			if got.ExecutionStatus != wantExecution {
				t.Errorf("ExecutionStatus: got %q, want %q", got.ExecutionStatus, wantExecution)
			}

			if tt.decidedAt < len(users) {
				v := voter(users[tt.decidedAt])
				v.Delegated = true
				_, err := f.eng.Vote(f.ctx, v, s.Arn, keyturn.ResponseApproved, Proof{})
				wantCode(t, err, keyturn.ErrConflict)
			}
		})
	}
}

func TestVotesAreFinal(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)
	s := f.startSession(active.Arn)
	f.vote(users[0], s.Arn, keyturn.ResponseApproved)

	for _, r := range []keyturn.Response{keyturn.ResponseApproved, keyturn.ResponseRejected} {
		v := voter(users[0])
		v.Delegated = true
		_, err := f.eng.Vote(f.ctx, v, s.Arn, r, Proof{})
		wantCode(t, err, keyturn.ErrConflict)
	}
	got := f.session(s.Arn)
	if len(got.Votes) != 1 || got.Votes[0].Response != keyturn.ResponseApproved {
		t.Errorf("votes: got %+v, want the one approval", got.Votes)
	}
}

func TestVoteRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)
	outsider := f.addUsers(1)[0]
	s := f.startSession(active.Arn)
	delegated := func(u *keyturn.User) Voter {
		v := voter(u)
		v.Delegated = true
		return v
	}

	_, err := f.eng.Vote(f.ctx, delegated(outsider), s.Arn, keyturn.ResponseApproved, Proof{})
	wantCode(t, err, keyturn.ErrAccessDenied)

	_, err = f.eng.Vote(f.ctx, delegated(users[0]), s.Arn, keyturn.ResponseNoResponse, Proof{})
	wantCode(t, err, keyturn.ErrInvalid)

	_, err = f.eng.Vote(f.ctx, delegated(users[0]), s.Arn+"0", keyturn.ResponseApproved, Proof{})
	wantCode(t, err, keyturn.ErrNotFound)

	foreign := delegated(users[0])
	foreign.AccountID = "444455556666"
	_, err = f.eng.Vote(f.ctx, foreign, s.Arn, keyturn.ResponseApproved, Proof{})
	wantCode(t, err, keyturn.ErrNotFound)

	if got := f.session(s.Arn); len(got.Votes) != 0 {
		t.Errorf("got %d votes after rejected attempts, want none", len(got.Votes))
	}
}

func TestVoteAfterExpiry(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)
	s := f.startSession(active.Arn)
	f.vote(users[0], s.Arn, keyturn.ResponseApproved)
	f.clock.Advance(24*time.Hour - time.Millisecond)
	if got := f.session(s.Arn).Status; got != keyturn.SessionPending {
		t.Fatalf("a millisecond before expiry: got %s, want PENDING", got)
	}

	f.clock.Advance(time.Millisecond)

	v := voter(users[1])
	v.Delegated = true
	_, err := f.eng.Vote(f.ctx, v, s.Arn, keyturn.ResponseApproved, Proof{})
	wantCode(t, err, keyturn.ErrConflict)

	if stored := f.storedSession(s.Arn); stored.Status != keyturn.SessionPending {
		t.Fatalf("stored status before any sweep: got %s, want PENDING", stored.Status)
	}
	got := f.session(s.Arn)
	if got.Status != keyturn.SessionFailed || got.StatusCode != keyturn.SessionExpired {
		t.Errorf("GetSession before any sweep: got %s/%s, want FAILED/EXPIRED", got.Status, got.StatusCode)
	}
	if !got.CompletionTime.Equal(s.ExpirationTime) {
		t.Errorf("CompletionTime: got %s, want the expiration time %s", got.CompletionTime, s.ExpirationTime)
	}
	listed, _, err := f.eng.ListSessions(f.ctx, f.caller, active.Arn, nil, Page{})
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	if len(listed) != 1 || listed[0].Status != keyturn.SessionFailed {
		t.Errorf("ListSessions before any sweep: got %d sessions, first %+v; want one FAILED", len(listed), listed)
	}

	if n := f.sweep(); n != 1 {
		t.Errorf("Sweep changed %d records, want 1", n)
	}
	stored := f.storedSession(s.Arn)
	if stored.Status != keyturn.SessionFailed || stored.StatusCode != keyturn.SessionExpired {
		t.Errorf("stored status after the sweep: got %s/%s, want FAILED/EXPIRED", stored.Status, stored.StatusCode)
	}
	if len(stored.Votes) != 1 {
		t.Errorf("got %d votes, want the one cast before expiry", len(stored.Votes))
	}
}

func TestCancelSession(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)
	s := f.startSession(active.Arn)
	f.clock.Advance(time.Minute)

	if err := f.eng.CancelSession(f.ctx, f.caller, s.Arn); err != nil {
		t.Fatalf("CancelSession: %v", err)
	}
	got := f.session(s.Arn)
	if got.Status != keyturn.SessionCancelled || got.StatusCode != "" {
		t.Errorf("cancelled session: got %s/%q, want CANCELLED with no code", got.Status, got.StatusCode)
	}
	if !strings.Contains(got.StatusMessage, testPrincipal) {
		t.Errorf("StatusMessage %q does not name the principal who cancelled", got.StatusMessage)
	}
	if !got.CompletionTime.Equal(testStart.Add(time.Minute)) {
		t.Errorf("CompletionTime: got %s, want %s", got.CompletionTime, testStart.Add(time.Minute))
	}

	if err := f.eng.CancelSession(f.ctx, f.caller, s.Arn); err != nil {
		t.Errorf("second CancelSession: got %v, want nil", err)
	}
	v := voter(users[0])
	v.Delegated = true
	_, err := f.eng.Vote(f.ctx, v, s.Arn, keyturn.ResponseApproved, Proof{})
	wantCode(t, err, keyturn.ErrConflict)

	approved := f.startSession(active.Arn)
	f.vote(users[0], approved.Arn, keyturn.ResponseApproved)
	f.vote(users[1], approved.Arn, keyturn.ResponseApproved)
	err = f.eng.CancelSession(f.ctx, f.caller, approved.Arn)
	wantCode(t, err, keyturn.ErrConflict)

	expired := f.startSession(active.Arn)
	f.clock.Advance(24 * time.Hour)
	err = f.eng.CancelSession(f.ctx, f.caller, expired.Arn)
	wantCode(t, err, keyturn.ErrConflict)

	err = f.eng.CancelSession(f.ctx, f.caller, keyturn.SessionArn(testRegion, testAccount, keyturn.TeamID(active.Arn), "missing"))
	wantCode(t, err, keyturn.ErrNotFound)
}

func TestReportExecution(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(3, 2)
	approve := func(arn string) {
		f.vote(users[0], arn, keyturn.ResponseApproved)
		f.vote(users[1], arn, keyturn.ResponseApproved)
	}

	for _, final := range []keyturn.ExecutionStatus{keyturn.ExecutionExecuted, keyturn.ExecutionFailed} {
		t.Run(string(final), func(t *testing.T) {
			s := f.startSession(active.Arn)
			approve(s.Arn)

			got, err := f.eng.ReportExecution(f.ctx, f.caller, s.Arn, final)
			if err != nil {
				t.Fatalf("ReportExecution: %v", err)
			}
			if got.ExecutionStatus != final || f.session(s.Arn).ExecutionStatus != final {
				t.Errorf("ExecutionStatus: got %s, want %s", got.ExecutionStatus, final)
			}
			if _, err := f.eng.ReportExecution(f.ctx, f.caller, s.Arn, final); err != nil {
				t.Errorf("repeating %s: got %v, want nil", final, err)
			}
			other := keyturn.ExecutionExecuted
			if final == other {
				other = keyturn.ExecutionFailed
			}
			_, err = f.eng.ReportExecution(f.ctx, f.caller, s.Arn, other)
			wantCode(t, err, keyturn.ErrConflict)
			if got := f.session(s.Arn).ExecutionStatus; got != final {
				t.Errorf("ExecutionStatus after a conflicting report: got %s, want %s", got, final)
			}
		})
	}

	t.Run("invalid status", func(t *testing.T) {
		s := f.startSession(active.Arn)
		approve(s.Arn)
		_, err := f.eng.ReportExecution(f.ctx, f.caller, s.Arn, keyturn.ExecutionPending)
		wantCode(t, err, keyturn.ErrInvalid)
	})

	t.Run("pending session", func(t *testing.T) {
		s := f.startSession(active.Arn)
		_, err := f.eng.ReportExecution(f.ctx, f.caller, s.Arn, keyturn.ExecutionExecuted)
		wantCode(t, err, keyturn.ErrConflict)
	})

	t.Run("rejected session", func(t *testing.T) {
		s := f.startSession(active.Arn)
		f.vote(users[0], s.Arn, keyturn.ResponseRejected)
		f.vote(users[1], s.Arn, keyturn.ResponseRejected)
		_, err := f.eng.ReportExecution(f.ctx, f.caller, s.Arn, keyturn.ExecutionExecuted)
		wantCode(t, err, keyturn.ErrConflict)
	})

	t.Run("approved team session", func(t *testing.T) {
		_, sessionArn := f.proposeUpdate(active.Arn, UpdateTeamInput{Description: ptr("Changed.")})
		approve(sessionArn)
		_, err := f.eng.ReportExecution(f.ctx, f.caller, sessionArn, keyturn.ExecutionExecuted)
		wantCode(t, err, keyturn.ErrConflict)
	})
}

func TestStartSessionDeprecatedDefault(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, _ := f.activeTeam(1, 1)
	if _, err := f.eng.PutPolicy(f.ctx, operatorCaller, PutPolicyInput{
		ServicePrincipal: "deploy.example.com", Name: "Deploy", Actions: deployActions, Deprecated: true,
	}); err != nil {
		t.Fatalf("PutPolicy: %v", err)
	}

	// A team keeps working when the version it uses is deprecated later:
	// deprecation only stops new teams from attaching it.
	if _, err := f.eng.StartSession(f.ctx, f.caller, StartSessionInput{TeamArn: active.Arn, ActionName: deployAction}); err != nil {
		t.Errorf("StartSession on a team whose policy was deprecated: %v", err)
	}
}
