package main

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyturn/keyturn/internal/bench"
	"github.com/keyturn/keyturn/internal/server"
)

func newFillCommand() *cobra.Command {
	var (
		database string
		days     int
		opts     bench.FillOptions
	)
	cmd := &cobra.Command{
		Use:   "fill --database FILE|postgres://... [--teams N] [--sessions M] [--seed S]",
		Short: "Write a benchmark data set into a new database",
		Long: `Write a benchmark data set into a new SQLite file or an empty PostgreSQL
database, through the same store interface that the server uses, so that
keyturn serve serves it unchanged.

The data set has --teams accounts, each with an identity source, --users
users and one ACTIVE team of --approvers approvers and a threshold of
--min-approvals. Every team's policy protects twelve actions, such as
deploy:PromoteToProduction and db:RunMigration.

One team, --session-team, receives --sessions sessions (10,000 to 1,000,000
is the intended range), started over the --days before now:
  - actions: skewed, from 30% for the most frequent to 2% for the rarest
  - statuses: about 72% APPROVED, 8% FAILED (REJECTED), 10% FAILED
    (EXPIRED), 10% CANCELLED; 30% of the sessions of the last 48
    hours are PENDING, with a lifetime of 7 days
  - votes: consistent with each status under the M-of-N rule, cast by the
    team's approvers between the session's start and its decision
Sessions and votes are written in transactions of --batch sessions. A
progress line shows rows, rate and time left. The same seed and options give
the same ARNs and records, but for times, which count back from now.

fill rejects a database that contains a data set already.`,
		Example: `  keyturn-bench fill --database /tmp/bench-10k.db --sessions 10000
  keyturn-bench fill --database /tmp/bench-1m.db --sessions 1000000 --seed 7
  createdb -h 127.0.0.1 bench && \
    keyturn-bench fill --database postgres://root@127.0.0.1/bench --sessions 100000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if database == "" {
				return fmt.Errorf("--database is required: name a new SQLite file or an empty PostgreSQL database")
			}
			if database == "memory" {
				return fmt.Errorf(`--database memory keeps nothing after fill exits: name a SQLite file or a PostgreSQL database`)
			}
			opts.Span = time.Duration(days) * 24 * time.Hour
			opts.Progress = cmd.ErrOrStderr()
			ctx := cmd.Context()
			store, err := server.OpenStore(ctx, database)
			if err != nil {
				return fmt.Errorf("open the database: %w", err)
			}
			defer store.Close()

			m, err := bench.Fill(ctx, store, opts)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			team := m.SessionTeamInfo()
			fmt.Fprintf(out, "Filled %d teams and %d sessions with %d votes in %.1fs (%.0f sessions/s).\n",
				len(m.Teams), m.Sessions, m.Votes, m.FillSeconds, float64(m.Sessions)/m.FillSeconds)
			fmt.Fprintf(out, "Sessions are in team %s of account %s, started from %s to %s.\n",
				team.TeamArn, team.AccountID, m.Start.Format(time.RFC3339), m.End.Format(time.RFC3339))
			fmt.Fprintln(out, "Statuses:")
			for _, k := range slices.Sorted(maps.Keys(m.StatusCounts)) {
				fmt.Fprintf(out, "  %-18s %8d (%.1f%%)\n", k, m.StatusCounts[k], 100*float64(m.StatusCounts[k])/float64(max(m.Sessions, 1)))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&database, "database", "", "SQLite file path or postgres:// URL of the database to fill (required)")
	f.IntVar(&opts.Teams, "teams", 3, "number of accounts, each with an identity source, users and one ACTIVE team (at least 2)")
	f.IntVar(&opts.Sessions, "sessions", 10_000, "number of sessions in the session team")
	f.IntVar(&opts.SessionTeam, "session-team", 0, "index of the team that receives the sessions, from 0")
	f.Uint64Var(&opts.Seed, "seed", 1, "seed of the random draws; the same seed gives the same ARNs and records")
	f.IntVar(&opts.Users, "users", 5, "users per account")
	f.IntVar(&opts.Approvers, "approvers", 3, "approvers per team, taken from the account's users")
	f.IntVar(&opts.MinApprovals, "min-approvals", 2, "approvals that decide a session (M of M-of-N)")
	f.IntVar(&days, "days", 180, "days over which the sessions' initiation times are spread, ending now")
	f.IntVar(&opts.BatchSize, "batch", 5000, "sessions written per transaction")
	return cmd
}
