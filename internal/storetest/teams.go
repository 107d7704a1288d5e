package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/keyturn/keyturn"
)

func getTeam(arn string) func(context.Context, keyturn.Tx) (*keyturn.Team, error) {
	return func(ctx context.Context, tx keyturn.Tx) (*keyturn.Team, error) {
		return tx.GetTeam(ctx, arn)
	}
}

func createTeams(t *testing.T, s keyturn.Store, teams ...*keyturn.Team) {
	t.Helper()
	for _, team := range teams {
		mustUpdate(t, s, "CreateTeam "+team.Name, func(ctx context.Context, tx keyturn.Tx) error {
			return tx.CreateTeam(ctx, team)
		})
	}
}

func testTeam(t *testing.T, s keyturn.Store) {
	team := fullTeam(accountA, regionA, "full")
	requireFilled(t, team, "Seq")

	createTeams(t, s, team)
	if team.Seq <= 0 {
		t.Fatalf("CreateTeam: got Seq %d, want a positive number", team.Seq)
	}
	checkEqual(t, "GetTeam", get(t, s, "GetTeam", getTeam(team.Arn)), team)

	var locked *keyturn.Team
	mustUpdate(t, s, "LockTeam", func(ctx context.Context, tx keyturn.Tx) error {
		var err error
		locked, err = tx.LockTeam(ctx, team.Arn)
		return err
	})
	checkEqual(t, "LockTeam", locked, team)

	dup := fullTeam(accountA, regionA, "full")
	err := updateErr(t, s, func(ctx context.Context, tx keyturn.Tx) error {
		return tx.CreateTeam(ctx, dup)
	})
	wantCode(t, "CreateTeam with an existing ARN", err, keyturn.ErrConflict)

	missing := keyturn.TeamArn(regionA, accountA, "missing")
	wantNotFound(t, s, "GetTeam of a missing team", func(ctx context.Context, tx keyturn.Tx) error {
		_, err := tx.GetTeam(ctx, missing)
		return err
	})
	err = updateErr(t, s, func(ctx context.Context, tx keyturn.Tx) error {
		_, err := tx.LockTeam(ctx, missing)
		return err
	})
	wantCode(t, "LockTeam of a missing team", err, keyturn.ErrNotFound)

	// An update that applies the pending update clears some fields and
	// changes most others. The stored team must match it field for field.
	changed := *team
	changed.Status = keyturn.TeamActive
	changed.StatusCode = ""
	changed.StatusMessage = ""
	changed.VersionID = team.PendingUpdate.VersionID
	changed.MinApprovals = team.PendingUpdate.MinApprovals
	changed.Approvers = team.PendingUpdate.Approvers
	changed.Policies = team.Policies[:1]
	changed.LastUpdateTime = at(time.Nanosecond)
	changed.ActivationDeadline = time.Time{}
	changed.UpdateSessionArn = ""
	changed.PendingUpdate = nil
	mustUpdate(t, s, "UpdateTeam", func(ctx context.Context, tx keyturn.Tx) error {
		return tx.UpdateTeam(ctx, &changed)
	})
	checkEqual(t, "GetTeam after update", get(t, s, "GetTeam", getTeam(team.Arn)), &changed)

	err = updateErr(t, s, func(ctx context.Context, tx keyturn.Tx) error {
		return tx.UpdateTeam(ctx, newTeam(accountA, regionA, "missing", at(0)))
	})
	wantCode(t, "UpdateTeam of a missing team", err, keyturn.ErrNotFound)

	mustUpdate(t, s, "DeleteTeam", func(ctx context.Context, tx keyturn.Tx) error {
		return tx.DeleteTeam(ctx, team.Arn)
	})
	wantNotFound(t, s, "GetTeam after delete", func(ctx context.Context, tx keyturn.Tx) error {
		_, err := tx.GetTeam(ctx, team.Arn)
		return err
	})
	err = updateErr(t, s, func(ctx context.Context, tx keyturn.Tx) error {
		return tx.DeleteTeam(ctx, team.Arn)
	})
	wantCode(t, "DeleteTeam of a deleted team", err, keyturn.ErrNotFound)
}

func testTeamSeq(t *testing.T, s keyturn.Store) {
	var last int64
	for i := range 5 {
		// Creation times go back in time, so that only the store can make
		// Seq increase.
		team := newTeam(accountA, regionA, fmt.Sprintf("team-%d", i), at(-time.Duration(i)*time.Hour))
		createTeams(t, s, team)
		if team.Seq <= last {
			t.Errorf("CreateTeam %s: got Seq %d, want more than %d", team.Name, team.Seq, last)
		}
		last = team.Seq
		if got := get(t, s, "GetTeam", getTeam(team.Arn)); got.Seq != team.Seq {
			t.Errorf("GetTeam %s: got Seq %d, want %d", team.Name, got.Seq, team.Seq)
		}
	}

	// A team that fails to insert must not stop later teams from getting
	// higher numbers.
	err := updateErr(t, s, func(ctx context.Context, tx keyturn.Tx) error {
		return tx.CreateTeam(ctx, newTeam(accountA, regionA, "team-0", at(0)))
	})
	wantCode(t, "CreateTeam with an existing ARN", err, keyturn.ErrConflict)
	team := newTeam(accountA, regionA, "team-after-conflict", at(0))
	createTeams(t, s, team)
	if team.Seq <= last {
		t.Errorf("CreateTeam after a conflict: got Seq %d, want more than %d", team.Seq, last)
	}
}

func testListTeams(t *testing.T, s keyturn.Store) {
	// Four teams share one creation time, so their order comes from Seq
	// alone, and two more lie one nanosecond either side of it.
	var teams []*keyturn.Team
	times := []time.Duration{-5 * time.Hour, time.Hour, 0, 0, 0, 0, -time.Nanosecond, time.Nanosecond}
	for i, d := range times {
		teams = append(teams, newTeam(accountA, regionA, fmt.Sprintf("team-%d", i), at(d)))
	}
	createTeams(t, s, teams...)
	createTeams(t, s,
		newTeam(accountB, regionA, "other-account", at(0)),
		newTeam(accountA, regionB, "other-region", at(0)),
	)

	want := slices.Clone(teams)
	slices.SortStableFunc(want, func(a, b *keyturn.Team) int {
		if c := b.CreationTime.Compare(a.CreationTime); c != 0 {
			return c
		}
		return int(b.Seq - a.Seq)
	})
	wantNames := teamNames(want)

	all := get(t, s, "ListTeams", func(ctx context.Context, tx keyturn.Tx) ([]*keyturn.Team, error) {
		return tx.ListTeams(ctx, accountA, regionA, keyturn.Cursor{}, 100)
	})
	checkEqual(t, "ListTeams newest first", teamNames(all), wantNames)
	if len(all) == len(want) {
		checkEqual(t, "ListTeams teams", all, want)
	}

	for _, limit := range []int{1, 2, 3} {
		t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
			var got []string
			var after keyturn.Cursor
			for page := 0; page <= len(want); page++ {
				list := get(t, s, "ListTeams", func(ctx context.Context, tx keyturn.Tx) ([]*keyturn.Team, error) {
					return tx.ListTeams(ctx, accountA, regionA, after, limit)
				})
				if len(list) > limit {
					t.Fatalf("ListTeams page %d: got %d teams, want at most %d", page, len(list), limit)
				}
				if len(list) == 0 {
					break
				}
				got = append(got, teamNames(list)...)
				last := list[len(list)-1]
				after = keyturn.Cursor{Time: last.CreationTime, Seq: last.Seq}
			}
			checkEqual(t, "ListTeams pages joined", got, wantNames)
		})
	}

	counts := []struct {
		account, region string
		want            int
	}{
		{accountA, regionA, len(teams)},
		{accountB, regionA, 1},
		{accountA, regionB, 1},
		{accountB, regionB, 0},
	}
	for _, c := range counts {
		got := get(t, s, "CountTeams", func(ctx context.Context, tx keyturn.Tx) (int, error) {
			return tx.CountTeams(ctx, c.account, c.region)
		})
		if got != c.want {
			t.Errorf("CountTeams(%s, %s): got %d, want %d", c.account, c.region, got, c.want)
		}
	}
}

func teamNames(teams []*keyturn.Team) []string {
	names := make([]string, len(teams))
	for i, team := range teams {
		names[i] = team.Name
	}
	return names
}

func testCountTeamsUsingIdentitySource(t *testing.T, s keyturn.Store) {
	// An account has one identity source per region, and a team's
	// approvers come from the source of the team's account and region.
	source := sourceArn(accountA, regionA)
	approver := func(src string) keyturn.Approver {
		return keyturn.Approver{ApproverID: "a", IdentityID: "u", IdentitySourceArn: src}
	}

	applied := newTeam(accountA, regionA, "applied", at(0))
	applied.Approvers = []keyturn.Approver{approver(source)}

	pendingOnly := newTeam(accountA, regionA, "pending-only", at(0))
	pendingOnly.PendingUpdate = &keyturn.PendingUpdate{Approvers: []keyturn.Approver{approver(source)}}

	both := newTeam(accountA, regionA, "both", at(0))
	both.Approvers = []keyturn.Approver{approver(source), approver(source)}
	both.PendingUpdate = &keyturn.PendingUpdate{Approvers: []keyturn.Approver{approver(source)}}

	noApprovers := newTeam(accountA, regionA, "no-approvers", at(0))
	noApprovers.PendingUpdate = &keyturn.PendingUpdate{}

	otherRegion := newTeam(accountA, regionB, "other-region", at(0))
	otherRegion.Approvers = []keyturn.Approver{approver(sourceArn(accountA, regionB))}

	otherAccount := newTeam(accountB, regionA, "other-account", at(0))
	otherAccount.Approvers = []keyturn.Approver{approver(sourceArn(accountB, regionA))}

	createTeams(t, s, applied, pendingOnly, both, noApprovers, otherRegion, otherAccount)

	counts := []struct {
		source string
		want   int
	}{
		{source, 3},
		{sourceArn(accountA, regionB), 1},
		{sourceArn(accountB, regionA), 1},
		{sourceArn(accountB, regionB), 0},
		{"not an identity source ARN", 0},
	}
	for _, c := range counts {
		got := get(t, s, "CountTeamsUsingIdentitySource", func(ctx context.Context, tx keyturn.Tx) (int, error) {
			return tx.CountTeamsUsingIdentitySource(ctx, c.source)
		})
		if got != c.want {
			t.Errorf("CountTeamsUsingIdentitySource(%s): got %d, want %d", c.source, got, c.want)
		}
	}

	// Dropping the pending update stops the team from counting.
	pendingOnly.PendingUpdate = nil
	mustUpdate(t, s, "UpdateTeam", func(ctx context.Context, tx keyturn.Tx) error {
		return tx.UpdateTeam(ctx, pendingOnly)
	})
	got := get(t, s, "CountTeamsUsingIdentitySource", func(ctx context.Context, tx keyturn.Tx) (int, error) {
		return tx.CountTeamsUsingIdentitySource(ctx, source)
	})
	if got != 2 {
		t.Errorf("CountTeamsUsingIdentitySource after the pending update was dropped: got %d, want 2", got)
	}
}

func testDueTeams(t *testing.T, s keyturn.Store) {
	// Each team has at most one deadline, given by Team.NextDeadline.
	pending := newTeam(accountA, regionA, "pending", at(0))
	pending.Status = keyturn.TeamPending
	pending.ActivationDeadline = at(time.Hour)

	deleting := newTeam(accountB, regionB, "deleting", at(0))
	deleting.Status = keyturn.TeamDeleting
	deleting.DeletionCompletionTime = at(2 * time.Hour)

	updating := newTeam(accountA, regionA, "updating", at(0))
	updating.PendingUpdate = &keyturn.PendingUpdate{
		StatusCode:         keyturn.TeamUpdatePendingActivation,
		ActivationDeadline: at(30 * time.Minute),
	}

	// These have times set that are not deadlines in their status.
	idle := newTeam(accountA, regionA, "idle", at(0))
	idle.ActivationDeadline = at(-time.Hour)
	idle.DeletionCompletionTime = at(-time.Hour)
	approval := newTeam(accountA, regionA, "approval", at(0))
	approval.PendingUpdate = &keyturn.PendingUpdate{
		StatusCode:         keyturn.TeamUpdatePendingApproval,
		ActivationDeadline: at(-time.Hour),
	}

	createTeams(t, s, pending, deleting, updating, idle, approval)
	for _, team := range []*keyturn.Team{pending, deleting, updating, idle, approval} {
		if team.NextDeadline().IsZero() != (team == idle || team == approval) {
			t.Fatalf("fixture %s: NextDeadline %v does not match the test's plan", team.Name, team.NextDeadline())
		}
	}

	due := func(now time.Time, limit int) []string {
		t.Helper()
		return get(t, s, "DueTeams", func(ctx context.Context, tx keyturn.Tx) ([]string, error) {
			return tx.DueTeams(ctx, now, limit)
		})
	}
	cases := []struct {
		name  string
		now   time.Time
		limit int
		want  []string
	}{
		{"none due", at(30*time.Minute - time.Nanosecond), 10, nil},
		{"deadline equal to now", at(30 * time.Minute), 10, []string{updating.Arn}},
		{"two due", at(time.Hour), 10, []string{updating.Arn, pending.Arn}},
		{"all due", at(3 * time.Hour), 10, []string{updating.Arn, pending.Arn, deleting.Arn}},
		{"limit", at(3 * time.Hour), 2, []string{updating.Arn, pending.Arn}},
	}
	for _, c := range cases {
		checkEqual(t, "DueTeams "+c.name, due(c.now, c.limit), c.want)
	}

	// Updates move and clear deadlines.
	updating.PendingUpdate = nil
	pending.ActivationDeadline = at(4 * time.Hour)
	mustUpdate(t, s, "UpdateTeam", func(ctx context.Context, tx keyturn.Tx) error {
		if err := tx.UpdateTeam(ctx, updating); err != nil {
			return err
		}
		return tx.UpdateTeam(ctx, pending)
	})
	checkEqual(t, "DueTeams after updates", due(at(3*time.Hour), 10), []string{deleting.Arn})
	checkEqual(t, "DueTeams after updates, later", due(at(4*time.Hour), 10), []string{deleting.Arn, pending.Arn})
}
