package main

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/keyturn/keyturn/internal/bench"
)

// loadFlags are the flags that run and growth share.
type loadFlags struct {
	databases    []string
	connect      string
	serverBin    string
	logLevel     string
	client       string
	concurrency  string
	warmup       time.Duration
	duration     time.Duration
	maxRequests  int64
	scenarios    string
	pages        string
	noMinimal    bool
	moto         string
	motoItems    int
	voteSessions int
	profileDir   string
	workDir      string
	jsonPath     string
}

func (l *loadFlags) register(f *pflag.FlagSet, concurrency string) {
	f.StringArrayVar(&l.databases, "database", nil, "filled SQLite file or postgres:// URL; repeat the flag to measure several databases in one run, the reference one (10,000 sessions) first")
	f.StringVar(&l.connect, "connect", "", "URL of a running Keyturn server on the one --database, on 127.0.0.1, instead of starting one; it must accept the credentials that keyturn-bench credentials prints, and be a development server for the vote scenario")
	f.StringVar(&l.serverBin, "server-bin", "", "keyturn binary whose serve command to start, instead of this program's built-in server, which runs the same server code (no CPU profiles then)")
	f.StringVar(&l.logLevel, "server-log-level", "info", "log level of the started servers, as keyturn serve --log-level; info logs one line per request, as keyturn serve does by default")
	f.StringVar(&l.client, "client", bench.ClientSigned, `how MPA and moto requests are sent: "signed" builds each request and signs it with aws-sdk-go-v2's SigV4 signer; "sdk" uses aws-sdk-go-v2's MPA and CloudWatch Logs clients, which cost the client several times more CPU per request (start and vote always use Keyturn's Go client)`)
	f.StringVar(&l.concurrency, "concurrency", concurrency, "comma-separated numbers of concurrent workers; each scenario runs at each")
	f.DurationVar(&l.warmup, "warmup", time.Second, "time each scenario runs before it is measured")
	f.DurationVar(&l.duration, "duration", 5*time.Second, "measured time of each scenario")
	f.Int64Var(&l.maxRequests, "max-requests", 1_000_000, "requests after which a measurement stops early")
	f.StringVar(&l.pages, "pages", "10,100,1000", "comma-separated deep pages to measure, resumed from a NextToken taken there; the deepest is also measured with a SessionStatus filter")
	f.IntVar(&l.voteSessions, "vote-sessions", 0, "sessions opened, untimed, for each vote measurement; each takes as many votes as the team's threshold (default: 1200 for each second of --warmup and --duration, at least 2000)")
	f.StringVar(&l.profileDir, "profile-dir", "", "directory that receives a CPU profile of the built-in server for each Keyturn measurement (read them with go tool pprof -top)")
	f.StringVar(&l.workDir, "work-dir", "", "directory for server logs, the credentials file and the minimal server's body; kept when set, a removed temporary directory when not")
	f.StringVar(&l.jsonPath, "json", "", "file that receives the report as JSON")
}

// options converts the flags to run options, with defaults for the
// reference servers that the caller may change.
func (l *loadFlags) options() (bench.RunOptions, func(), error) {
	opts := bench.RunOptions{
		Databases:      l.databases,
		Connect:        l.connect,
		ServerBin:      l.serverBin,
		ServerLogLevel: l.logLevel,
		Client:         l.client,
		Warmup:         l.warmup,
		Duration:       l.duration,
		MaxRequests:    l.maxRequests,
		VoteSessions:   l.voteSessions,
		ProfileDir:     l.profileDir,
		MotoItems:      l.motoItems,
		Minimal:        !l.noMinimal,
	}
	cleanup := func() {}

	switch {
	case len(l.databases) == 0:
		return opts, cleanup, fmt.Errorf("--database is required: name a database filled with keyturn-bench fill")
	case l.client != bench.ClientSDK && l.client != bench.ClientSigned:
		return opts, cleanup, fmt.Errorf("invalid --client %q: use sdk or signed", l.client)
	case l.duration <= 0 || l.warmup < 0:
		return opts, cleanup, fmt.Errorf("invalid --duration %s or --warmup %s: the duration must be positive and the warmup not negative", l.duration, l.warmup)
	case l.maxRequests < 1:
		return opts, cleanup, fmt.Errorf("invalid --max-requests %d: it must be at least 1", l.maxRequests)
	}

	if opts.VoteSessions == 0 {
		opts.VoteSessions = max(2000, int(1200*(l.warmup+l.duration).Seconds()))
	}
	var err error
	if opts.Concurrency, err = parseInts("concurrency", l.concurrency); err != nil {
		return opts, cleanup, err
	}
	if opts.Pages, err = parseInts("pages", l.pages); err != nil {
		return opts, cleanup, err
	}
	slices.Sort(opts.Pages)

	if l.scenarios != "" {
		opts.Scenarios = strings.Split(l.scenarios, ",")
	}
	if l.moto != "" {
		if opts.MotoPath, err = bench.ResolveMoto(l.moto); err != nil {
			return opts, cleanup, err
		}
	}
	if l.serverBin != "" {
		if opts.ServerBin, err = exec.LookPath(l.serverBin); err != nil {
			return opts, cleanup, fmt.Errorf("invalid --server-bin: %w", err)
		}
	}
	if l.profileDir != "" {
		if err := os.MkdirAll(l.profileDir, 0o755); err != nil {
			return opts, cleanup, err
		}
	}

	opts.WorkDir = l.workDir
	if opts.WorkDir == "" {
		dir, err := os.MkdirTemp("", "keyturn-bench-")
		if err != nil {
			return opts, cleanup, err
		}
		opts.WorkDir = dir
		cleanup = func() { os.RemoveAll(dir) }
	} else if err := os.MkdirAll(opts.WorkDir, 0o755); err != nil {
		return opts, cleanup, err
	}
	return opts, cleanup, nil
}

// runAndReport runs the measurements and prints and saves the report.
func runAndReport(cmd *cobra.Command, opts bench.RunOptions, jsonPath string) error {
	opts.Out = cmd.ErrOrStderr()
	rep, err := bench.Run(cmd.Context(), opts)
	if rep != nil {
		rep.Command = strings.Join(os.Args, " ")
		if len(rep.Results) > 0 {
			bench.PrintReport(cmd.OutOrStdout(), rep)
		}
		if jsonPath != "" {
			if writeErr := bench.WriteJSON(jsonPath, rep); writeErr != nil && err == nil {
				err = writeErr
			}
		}
	}
	return err
}

func newRunCommand() *cobra.Command {
	l := new(loadFlags)
	cmd := &cobra.Command{
		Use:   "run --database FILE|postgres://... [flags]",
		Short: "Measure Keyturn's throughput and latency beside the reference servers",
		Long: `Measure Keyturn on each --database, then the reference servers, and print
a table of throughput (requests per second) and latency percentiles (p50,
p90, p99, max) for each scenario and concurrency, and the ratios that the
benchmark targets name.

For each database, run starts the Keyturn server on a free port of
127.0.0.1 with a credentials file for the data set's accounts, so that the
server verifies the SigV4 signature of every request, and measures:
  list/first                 ListSessions, first page, no filter
  list/action-eq, -ne, -contains, -contains-rare, -not-contains
                             ActionName filters
  list/status-eq, -ne, -eq-pending
                             SessionStatus filters
  list/time-gt, -gte, -lt, -lte, -between
                             InitiationTime filters
  list/multi                 ActionName, SessionStatus and InitiationTime
  list/page-N                page N of --pages, resumed from a NextToken
                             taken at page N (the pages before are read
                             once, untimed)
  list/status-eq/page-N      the deepest page, with SessionStatus EQ APPROVED
  get                        GetSession of sessions spread over the list
  start                      StartSession of Keyturn's API, in another team
Then it restarts the server in development mode, which lets a signed
request act as an approver, and measures:
  vote                       approvals that decide --vote-sessions sessions
and cancels the sessions that stayed open, so that they do not expire in a
burst later. A development server does not check signatures, so vote
figures leave out signature verification.

The references, measured with the same client and concurrency:
  minimal/list               a Go HTTP server in a child process that
                             responds to every request with Keyturn's first
                             ListSessions page as a fixed body: the ceiling
                             for an HTTP JSON service on this machine
  moto/describe-log-groups   moto_server serving CloudWatch Logs
                             DescribeLogGroups with a name prefix and a
                             page size of 20, over --moto-items log groups
                             named after the actions, with the same skew

Each measurement runs --warmup, then --duration or --max-requests, from each
number of --concurrency workers, each with one request in flight. The peak
RSS of the server process is sampled every 100 ms. Progress goes to
standard error, the table to standard output.`,
		Example: `  # Everything, a few minutes
  keyturn-bench run --database /tmp/bench-10k.db --json /tmp/run.json

  # ListSessions only, longer, with CPU profiles of the server
  keyturn-bench run --database /tmp/bench-1m.db --scenarios 'list/*' \
    --duration 30s --profile-dir /tmp/profiles

  # Against the real keyturn binary instead of the built-in server
  keyturn-bench run --database /tmp/bench-10k.db --server-bin bin/keyturn`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, cleanup, err := l.options()
			defer cleanup()
			if err != nil {
				return err
			}
			return runAndReport(cmd, opts, l.jsonPath)
		},
	}
	f := cmd.Flags()
	l.register(f, "8")
	f.StringVar(&l.scenarios, "scenarios", "", "comma-separated scenario names or patterns, in which * matches anything, such as 'list/*,get' (default: every scenario)")
	f.BoolVar(&l.noMinimal, "no-minimal", false, "leave out the minimal reference server")
	f.StringVar(&l.moto, "moto", "moto_server", `moto_server program to measure; "" leaves moto out`)
	f.IntVar(&l.motoItems, "moto-items", 10_000, "log groups created in moto before it is measured")
	return cmd
}

func newGrowthCommand() *cobra.Command {
	l := new(loadFlags)
	cmd := &cobra.Command{
		Use:   "growth --database SMALL --database LARGER... [flags]",
		Short: "Measure how ListSessions latency grows with page depth and data set size",
		Long: `Measure ListSessions on each --database in turn: the first page, the pages
of --pages, and the deepest page with SessionStatus EQ APPROVED, at each
--concurrency. Concurrency 1 gives the latency of a lone client.

The report compares the median latency of every page on every database
with the first page on the first database: give the smallest data set
(10,000 sessions) first, such as databases of 10,000, 100,000 and 1,000,000
sessions filled with keyturn-bench fill. A page deeper than a list is
skipped with a note.

growth is run with the scenarios list/first, list/page-* and
list/status-eq/page-*, and without the reference servers.`,
		Example: `  keyturn-bench growth --database /tmp/bench-10k.db \
    --database /tmp/bench-100k.db --database /tmp/bench-1m.db --json /tmp/growth.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			l.noMinimal = true
			l.scenarios = bench.ScenarioFirst + ",list/page-*,list/status-eq/page-*"
			opts, cleanup, err := l.options()
			defer cleanup()
			if err != nil {
				return err
			}
			return runAndReport(cmd, opts, l.jsonPath)
		},
	}
	l.register(cmd.Flags(), "1,8")
	return cmd
}
