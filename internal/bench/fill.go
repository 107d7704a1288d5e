package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/keyturn/keyturn"
	"github.com/keyturn/keyturn/internal/engine"
)

// FillOptions configures Fill. Zero fields take the defaults in their
// comments.
type FillOptions struct {
	// Teams is the number of accounts, each with an identity source, users
	// and one ACTIVE team. Default: 3. At least 2, so that run can write to
	// a team other than the measured one.
	Teams int
	// Sessions is the number of sessions stored in the session team.
	Sessions int
	// SessionTeam is the index of the team that receives the sessions.
	// Default: 0.
	SessionTeam int
	// Seed makes the data set repeatable: the same seed, options and End
	// give the same records. Default: 1.
	Seed uint64
	// Users is the number of users per account. Default: 5.
	Users int
	// Approvers and MinApprovals are each team's size and threshold.
	// Default: 3 and 2.
	Approvers    int
	MinApprovals int
	// Span is how long before End the first session starts. Default:
	// 180 days.
	Span time.Duration
	// End is the initiation time bound of the newest session. Default: now.
	End time.Time
	// BatchSize is the number of sessions written per transaction.
	// Default: 5000.
	BatchSize int
	// Progress receives a progress line every ProgressInterval (default:
	// 2s). Nil prints nothing.
	Progress         io.Writer
	ProgressInterval time.Duration
}

func (o *FillOptions) setDefaults() error {
	if o.Teams == 0 {
		o.Teams = 3
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Users == 0 {
		o.Users = 5
	}
	if o.Approvers == 0 {
		o.Approvers = 3
	}
	if o.MinApprovals == 0 {
		o.MinApprovals = 2
	}
	if o.Span == 0 {
		o.Span = 180 * 24 * time.Hour
	}
	if o.End.IsZero() {
		o.End = time.Now().UTC()
	}
	o.End = o.End.UTC().Truncate(time.Millisecond)
	if o.BatchSize == 0 {
		o.BatchSize = 5000
	}
	if o.ProgressInterval == 0 {
		o.ProgressInterval = 2 * time.Second
	}

	switch {
	case o.Teams < 2:
		return fmt.Errorf("invalid team count %d: fill at least 2 teams, so that run writes to a team other than the measured one", o.Teams)
	case o.SessionTeam < 0 || o.SessionTeam >= o.Teams:
		return fmt.Errorf("invalid session team %d: it must be between 0 and %d", o.SessionTeam, o.Teams-1)
	case o.Sessions < 0:
		return fmt.Errorf("invalid session count %d: it must not be negative", o.Sessions)
	case o.Approvers < 1 || o.Approvers > o.Users:
		return fmt.Errorf("invalid approver count %d: it must be between 1 and the users per account, %d", o.Approvers, o.Users)
	case o.MinApprovals < 1 || o.MinApprovals > o.Approvers:
		return fmt.Errorf("invalid minimum approvals %d: it must be between 1 and the approver count, %d", o.MinApprovals, o.Approvers)
	case o.Span < time.Hour:
		return fmt.Errorf("invalid span %s: it must be at least 1h", o.Span)
	case o.BatchSize < 1:
		return fmt.Errorf("invalid batch size %d: it must be at least 1", o.BatchSize)
	}
	return nil
}

// settableClock is the fill's workflow clock, set to the time of each step
// so that teams exist before their first session.
type settableClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *settableClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *settableClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Fill stores a benchmark data set: the policy, and for each team an
// account with an identity source, users and an ACTIVE team. Then it
// stores the sessions of the session team, with their votes. Accounts and
// teams go through the engine, as API calls would. Sessions and votes are
// written straight to the store, as the engine would store them, in
// transactions of BatchSize sessions. Fill returns an error for a store
// that contains a data set already.
func Fill(ctx context.Context, store keyturn.Store, opts FillOptions) (*Manifest, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	if _, err := LoadManifest(ctx, store); err == nil {
		return nil, errors.New("the database already contains a benchmark data set: fill a new database file, or drop and create the PostgreSQL database")
	}
	began := time.Now()
	start := opts.End.Add(-opts.Span)
	clock := &settableClock{now: start.Add(-24 * time.Hour)}
	eng := engine.New(store, engine.Config{
		Clock:  clock,
		Random: rand.NewChaCha8(seedBytes(opts.Seed)),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})

	m := &Manifest{
		Version:      manifestVersion,
		Seed:         opts.Seed,
		CreatedAt:    began.UTC(),
		Region:       Region,
		Actions:      ActionNames(),
		SessionTeam:  opts.SessionTeam,
		WriteTeam:    (opts.SessionTeam + 1) % opts.Teams,
		Start:        start,
		End:          opts.End,
		StatusCounts: map[string]int{},
		ActionCounts: map[string]int{},
	}
	if err := eng.EnsureCatalogue(ctx); err != nil {
		return nil, fmt.Errorf("add the built-in policies: %w", err)
	}
	operator := engine.Caller{AccountID: AccountID(0), Region: Region, PrincipalArn: "arn:aws:iam::" + AccountID(0) + ":role/bench-operator", Operator: true}
	policy, err := eng.PutPolicy(ctx, operator, engine.PutPolicyInput{
		ServicePrincipal: PolicyServicePrincipal, Name: PolicyName, Actions: m.Actions,
	})
	if err != nil {
		return nil, fmt.Errorf("add the benchmark policy: %w", err)
	}
	m.PolicyArn = policy.Arn()

	teams, err := fillTeams(ctx, eng, clock, opts, m)
	if err != nil {
		return nil, err
	}
	if err := fillSessions(ctx, store, teams[opts.SessionTeam], opts, m); err != nil {
		return nil, err
	}
	m.FillSeconds = time.Since(began).Seconds()
	err = store.Update(ctx, func(tx keyturn.Tx) error { return saveManifest(ctx, tx, m) })
	if err != nil {
		return nil, fmt.Errorf("save the benchmark manifest: %w", err)
	}
	return m, nil
}

// fillTeams creates each account's identity source, users and team through
// the engine, and accepts every invitation so that the teams are ACTIVE.
func fillTeams(ctx context.Context, eng *engine.Engine, clock *settableClock, opts FillOptions, m *Manifest) ([]*keyturn.Team, error) {
	progress := StartProgress(opts.Progress, "fill teams", "teams", int64(opts.Teams), opts.ProgressInterval, nil)
	defer progress.Stop()
	teams := make([]*keyturn.Team, opts.Teams)
	for i := range opts.Teams {
		account := AccountID(i)
		cred := Credential(account)
		// Users come from an identity administrator; the credentials that
		// the load run signs with start sessions, so they are not one.
		admin := engine.Caller{AccountID: account, Region: Region, PrincipalArn: cred.PrincipalArn, IdentityAdmin: true}
		caller := engine.Caller{AccountID: account, Region: Region, PrincipalArn: cred.PrincipalArn}
		src, err := eng.CreateIdentitySource(ctx, caller, engine.CreateIdentitySourceInput{
			InstanceArn:  fmt.Sprintf("arn:aws:sso:::instance/ssoins-%016d", i),
			SourceRegion: Region,
		})
		if err != nil {
			return nil, fmt.Errorf("create the identity source of account %s: %w", account, err)
		}

		info := TeamInfo{AccountID: account, IdentitySourceArn: src.Arn, ApproverCount: opts.Approvers, MinApprovals: opts.MinApprovals}
		var approvers []engine.ApproverInput
		for u := range opts.Users {
			name := fmt.Sprintf("approver%02d", u+1)
			user, err := eng.CreateUser(ctx, admin, engine.CreateUserInput{
				UserName: name, DisplayName: fmt.Sprintf("Approver %d", u+1), Email: name + "@example.com",
			})
			if err != nil {
				return nil, fmt.Errorf("create user %s in account %s: %w", name, account, err)
			}
			info.UserIDs = append(info.UserIDs, user.ID)
			if u < opts.Approvers {
				approvers = append(approvers, engine.ApproverInput{IdentityID: user.ID, IdentitySourceArn: src.Arn})
			}
		}

		team, err := eng.CreateTeam(ctx, caller, engine.CreateTeamInput{
			Name:         fmt.Sprintf("production-changes-%d", i),
			Description:  "Approves changes to production systems.",
			MinApprovals: opts.MinApprovals,
			Approvers:    approvers,
			Policies:     []string{m.PolicyArn},
		})
		if err != nil {
			return nil, fmt.Errorf("create the team of account %s: %w", account, err)
		}
		for _, id := range info.ApproverIDs() {
			voter := engine.Voter{AccountID: account, Region: Region, UserID: id}
			if team, err = eng.RespondToInvitation(ctx, voter, team.Arn, true); err != nil {
				return nil, fmt.Errorf("accept the invitation of user %s to team %s: %w", id, team.Arn, err)
			}
		}
		if team.Status != keyturn.TeamActive {
			return nil, fmt.Errorf("team %s is %s after every approver accepted, want ACTIVE", team.Arn, team.Status)
		}
		info.TeamArn, info.TeamName = team.Arn, team.Name
		m.Teams = append(m.Teams, info)
		teams[i] = team
		clock.Set(clock.Now().Add(time.Second))
		progress.Add(1)
	}
	return teams, nil
}

// fillSessions writes the session team's sessions and votes in batches,
// then records each approver's latest vote on the team, as the engine does
// when it counts a vote.
func fillSessions(ctx context.Context, store keyturn.Store, team *keyturn.Team, opts FillOptions, m *Manifest) error {
	gen := newSessionGenerator(opts.Seed, team, m.Start, m.End, opts.Sessions)
	sampleEvery := max(opts.Sessions/1000, 1)
	lastVote := map[string]time.Time{}
	var votes int64
	var votesMu sync.Mutex
	progress := StartProgress(opts.Progress, "fill sessions", "sessions", int64(opts.Sessions), opts.ProgressInterval, func() string {
		votesMu.Lock()
		defer votesMu.Unlock()
		return fmt.Sprintf("%d votes", votes)
	})
	defer progress.Stop()

	for first := 0; first < opts.Sessions; first += opts.BatchSize {
		last := min(first+opts.BatchSize, opts.Sessions)
		batch := make([]*keyturn.Session, 0, last-first)
		batchVotes := make([][]keyturn.Vote, 0, last-first)
		for i := first; i < last; i++ {
			s, v := gen.session(i)
			batch = append(batch, s)
			batchVotes = append(batchVotes, v)
		}
		err := store.Update(ctx, func(tx keyturn.Tx) error {
			for i, s := range batch {
				if err := tx.CreateSession(ctx, s); err != nil {
					return fmt.Errorf("store session %s: %w", s.Arn, err)
				}
				for _, v := range batchVotes[i] {
					if err := tx.AddVote(ctx, s.Arn, v); err != nil {
						return fmt.Errorf("store a vote of session %s: %w", s.Arn, err)
					}
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("store sessions %d to %d: %w", first, last-1, err)
		}

		for i, s := range batch {
			key := string(s.Status)
			if s.StatusCode != "" {
				key += "/" + string(s.StatusCode)
			}
			m.StatusCounts[key]++
			m.ActionCounts[s.ActionName]++
			if (first+i)%sampleEvery == 0 {
				m.SampleSessionArns = append(m.SampleSessionArns, s.Arn)
			}
			for _, v := range batchVotes[i] {
				if v.Time.After(lastVote[v.ApproverID]) {
					lastVote[v.ApproverID] = v.Time
				}
			}
			votesMu.Lock()
			votes += int64(len(batchVotes[i]))
			votesMu.Unlock()
		}
		progress.Add(int64(len(batch)))
	}
	m.Sessions = opts.Sessions
	m.Votes = int(votes)

	return store.Update(ctx, func(tx keyturn.Tx) error {
		t, err := tx.LockTeam(ctx, team.Arn)
		if err != nil {
			return err
		}
		for i := range t.Approvers {
			if at, ok := lastVote[t.Approvers[i].ApproverID]; ok {
				t.Approvers[i].LastActivity, t.Approvers[i].LastActivityTime = keyturn.ActivityVoted, at
			}
		}
		return tx.UpdateTeam(ctx, t)
	})
}
