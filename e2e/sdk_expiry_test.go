package e2e

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mpa"
	"github.com/aws/aws-sdk-go-v2/service/mpa/types"
	"github.com/google/go-cmp/cmp"

	"github.com/keyturn/keyturn/client"
	"github.com/keyturn/keyturn/keyturntest"

	_ "modernc.org/sqlite" // the SQLite driver, to read what the server stored
)

// TestSDKExpiryBeforeSweep checks that reads report a session that has run
// out as FAILED with EXPIRED before anything has stored the expiry. The
// server's sweeper runs once a day, so it never runs during the test, and
// the clock moves without the sweep that Keyturn's clock API runs after
// each move. The clock is frozen, so that it is exactly at the
// expiration time, or a millisecond before it, while the test reads. The
// test reads the server's SQLite file too, to show that the session is
// still stored as PENDING while the API reports it FAILED.
func TestSDKExpiryBeforeSweep(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "keyturn.db")
	s := keyturntest.Start(t, keyturntest.Options{Database: path, SweepInterval: 24 * time.Hour})
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatalf("open the server's database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	// stored returns the status that the server's database holds for the
	// session, which the sweeper, not a read, changes on expiry.
	stored := func(t *testing.T, arn string) string {
		t.Helper()
		var status string
		if err := db.QueryRowContext(t.Context(), "SELECT status FROM sessions WHERE arn = ?", arn).Scan(&status); err != nil {
			t.Fatalf("read the stored status of %s: %v", arn, err)
		}
		return status
	}
	api := s.MPA()
	ctx := t.Context()
	team, users := s.ActiveTeam(t, "expiring", 2, 3)
	start := sdkFreezeClock(t, s)

	short, err := s.Admin().StartSession(ctx, client.StartSessionInput{ApprovalTeamArn: team, ActionName: "test:Short", DurationMinutes: 1})
	if err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	s.Vote(t, short.SessionArn, users[0].UserID, "APPROVED")
	long := s.StartSession(t, team, "test:Long")
	decided := s.StartSession(t, team, "test:Decided")
	s.Vote(t, decided.SessionArn, users[0].UserID, "APPROVED")
	s.Vote(t, decided.SessionArn, users[1].UserID, "APPROVED")
	update, err := api.UpdateApprovalTeam(ctx, &mpa.UpdateApprovalTeamInput{Arn: aws.String(team), Description: aws.String("A change that runs out.")})
	if err != nil {
		t.Fatalf("UpdateApprovalTeam: %v", err)
	}
	updateSession := aws.ToString(sdkGetTeam(t, api, team).UpdateSessionArn)
	names := map[string]string{
		short.SessionArn: "short", long.SessionArn: "long", decided.SessionArn: "decided", updateSession: "update",
	}

	// listed returns the names of the sessions that ListSessions returns
	// with the filters, one per page, newest first.
	listed := func(t *testing.T, filters ...types.Filter) []string {
		t.Helper()
		var out []string
		p := mpa.NewListSessionsPaginator(api, &mpa.ListSessionsInput{ApprovalTeamArn: aws.String(team), Filters: filters},
			func(o *mpa.ListSessionsPaginatorOptions) { o.Limit = 1 })
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("ListSessions: %v", err)
			}
			for _, s := range page.Sessions {
				out = append(out, names[aws.ToString(s.SessionArn)])
			}
		}
		return out
	}
	status := func(op types.Operator, value string) types.Filter {
		return types.Filter{FieldName: types.FilterFieldSessionStatus, Operator: op, Value: aws.String(value)}
	}
	wantListed := func(t *testing.T, want []string, filters ...types.Filter) {
		t.Helper()
		if diff := cmp.Diff(want, listed(t, filters...)); diff != "" {
			t.Errorf("ListSessions with %d filters (-want +got):\n%s", len(filters), diff)
		}
	}
	wantStatus := func(t *testing.T, arn string, status types.SessionStatus, code types.SessionStatusCode) *mpa.GetSessionOutput {
		t.Helper()
		got := sdkGetSession(t, api, arn)
		if got.Status != status || got.StatusCode != code {
			t.Errorf("session %s: got %s/%s, want %s/%s", names[arn], got.Status, got.StatusCode, status, code)
		}
		return got
	}

	t.Run("a millisecond before", func(t *testing.T) {
		s.AdvanceClockWithoutSweep(t, time.Minute-time.Millisecond)
		wantStatus(t, short.SessionArn, types.SessionStatusPending, "")
		wantListed(t, []string{"update", "long", "short"}, status(types.OperatorEquals, "PENDING"))
		wantListed(t, nil, status(types.OperatorEquals, "FAILED"))
	})

	var beforeSweep *mpa.GetSessionOutput
	t.Run("at the expiration time", func(t *testing.T) {
		now := s.AdvanceClockWithoutSweep(t, time.Millisecond)
		if !now.Equal(start.Add(time.Minute)) {
			t.Fatalf("the clock reads %s, want the expiration time %s", now, start.Add(time.Minute))
		}
		got := wantStatus(t, short.SessionArn, types.SessionStatusFailed, types.SessionStatusCodeExpired)
		sdkWantTime(t, "CompletionTime", got.CompletionTime, start.Add(time.Minute))
		sdkWantTime(t, "ExpirationTime", got.ExpirationTime, start.Add(time.Minute))
		if aws.ToString(got.StatusMessage) == "" {
			t.Error("StatusMessage is empty, want the reason for the failure")
		}
		if got.ExecutionStatus != "" {
			t.Errorf("got ExecutionStatus %q, want none for a session that was not approved", got.ExecutionStatus)
		}
		responses := map[types.SessionResponse]int{}
		for _, r := range got.ApproverResponses {
			responses[r.Response]++
		}
		if responses[types.SessionResponseApproved] != 1 || responses[types.SessionResponseNoResponse] != 2 {
			t.Errorf("got responses %v, want the one approval and two NO_RESPONSE", responses)
		}
		beforeSweep = got
		if got := stored(t, short.SessionArn); got != "PENDING" {
			t.Fatalf("the database holds the session as %s before the reads, want PENDING: a sweep ran, so the reads prove nothing", got)
		}
		wantStatus(t, long.SessionArn, types.SessionStatusPending, "")

		wantListed(t, []string{"update", "decided", "long", "short"})
		wantListed(t, []string{"update", "long"}, status(types.OperatorEquals, "PENDING"))
		wantListed(t, []string{"short"}, status(types.OperatorEquals, "FAILED"))
		wantListed(t, []string{"decided", "short"}, status(types.OperatorNotEquals, "PENDING"))
		wantListed(t, []string{"update", "decided", "long"}, status(types.OperatorNotEquals, "FAILED"))
		wantListed(t, nil, status(types.OperatorEquals, "PENDING"),
			types.Filter{FieldName: types.FilterFieldActionName, Operator: types.OperatorEquals, Value: aws.String("test:Short")})

		all, err := sdkListAllSessions(ctx, api, team, nil)
		if err != nil {
			t.Fatalf("ListSessions: %v", err)
		}
		for _, listed := range all {
			if aws.ToString(listed.SessionArn) != short.SessionArn {
				continue
			}
			if listed.Status != types.SessionStatusFailed || listed.StatusCode != types.SessionStatusCodeExpired {
				t.Errorf("ListSessions shows the expired session as %s/%s, want FAILED/EXPIRED", listed.Status, listed.StatusCode)
			}
			sdkWantTime(t, "CompletionTime in ListSessions", listed.CompletionTime, start.Add(time.Minute))
		}

		_, err = s.As(users[1].UserID).Vote(ctx, short.SessionArn, client.VoteInput{Response: "APPROVED"})
		if !client.IsCode(err, "ConflictException") {
			t.Errorf("vote in the expired session: got %v, want ConflictException", err)
		}
		_, err = api.CancelSession(ctx, &mpa.CancelSessionInput{SessionArn: aws.String(short.SessionArn)})
		sdkWantConflict(t, err)
		open, err := s.As(users[1].UserID).ListApproverSessions(ctx)
		if err != nil {
			t.Fatalf("ListApproverSessions: %v", err)
		}
		for _, o := range open {
			if o.Session.SessionArn == short.SessionArn {
				t.Error("the approver's open sessions include the expired session")
			}
		}
		if got := stored(t, short.SessionArn); got != "PENDING" {
			t.Errorf("the database holds the session as %s after the reads, want PENDING until a sweep", got)
		}
	})

	t.Run("team sessions", func(t *testing.T) {
		s.AdvanceClockWithoutSweep(t, 24*time.Hour)
		wantStatus(t, long.SessionArn, types.SessionStatusFailed, types.SessionStatusCodeExpired)
		wantStatus(t, updateSession, types.SessionStatusFailed, types.SessionStatusCodeExpired)
		wantListed(t, nil, status(types.OperatorEquals, "PENDING"))
		wantListed(t, []string{"update", "long", "short"}, status(types.OperatorEquals, "FAILED"))
		for _, arn := range []string{long.SessionArn, updateSession} {
			if got := stored(t, arn); got != "PENDING" {
				t.Errorf("the database holds session %s as %s before the team was read, want PENDING", names[arn], got)
			}
		}

		// Reading the team applies, and stores, the expiry of its update.
		got := sdkGetTeam(t, api, team)
		sdkWantTeamStatus(t, got, types.ApprovalTeamStatusActive, types.ApprovalTeamStatusCodeUpdateFailedApproval)
		if got.PendingUpdate == nil || aws.ToString(got.PendingUpdate.VersionId) != aws.ToString(update.VersionId) {
			t.Errorf("got PendingUpdate %+v, want the failed draft %s", got.PendingUpdate, aws.ToString(update.VersionId))
		}
		if got := stored(t, updateSession); got != "FAILED" {
			t.Errorf("the database holds the update session as %s after the team was read, want FAILED", got)
		}
	})

	t.Run("the sweep stores what reads reported", func(t *testing.T) {
		if beforeSweep == nil {
			t.Skip("no read before the sweep to compare with")
		}
		s.AdvanceClock(t, time.Millisecond)
		if got := stored(t, short.SessionArn); got != "FAILED" {
			t.Errorf("the database holds the session as %s after the sweep, want FAILED", got)
		}
		after := sdkGetSession(t, api, short.SessionArn)
		if diff := cmp.Diff(beforeSweep, after, sdkIgnoreDocumentSerde); diff != "" {
			t.Errorf("GetSession before and after the sweep (-before +after):\n%s", diff)
		}
	})
}
