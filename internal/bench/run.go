package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keyturn/keyturn/internal/server"
)

// RunOptions configures Run. The command keyturn-bench run documents each
// field as a flag.
type RunOptions struct {
	// Databases are filled databases; the scenarios run on each in turn.
	Databases []string
	// Connect is the URL of a running Keyturn server on Databases[0]. When
	// empty, Run starts a server for each database.
	Connect string
	// ServerBin is a keyturn binary to start instead of the built-in
	// server.
	ServerBin      string
	ServerLogLevel string
	Client         string
	Concurrency    []int
	Warmup         time.Duration
	Duration       time.Duration
	MaxRequests    int64
	// Scenarios are name patterns; none selects every scenario.
	Scenarios []string
	// Pages are the deep pages to measure, in ascending order.
	Pages []int
	// Minimal measures the minimal reference server; MotoPath, when set,
	// the moto reference, filled with MotoItems log groups.
	Minimal   bool
	MotoPath  string
	MotoItems int
	// VoteSessions is the number of sessions opened for each vote
	// measurement.
	VoteSessions int
	// ProfileDir, when set, receives a CPU profile of the server for each
	// Keyturn measurement.
	ProfileDir string
	WorkDir    string
	// Out receives progress and the result table.
	Out io.Writer
}

// Report is the outcome of Run: the results, the machine and the settings.
type Report struct {
	Command   string
	Date      time.Time
	Machine   Machine
	Settings  Settings
	Databases []DatabaseInfo
	Results   []Result
	Ratios    []Ratio
	Notes     []string `json:",omitempty"`
	// LoadAverageAfter is /proc/loadavg when the measurements ended.
	LoadAverageAfter string
}

// Settings are the options that shape the figures.
type Settings struct {
	Client         string
	Concurrency    []int
	WarmupSeconds  float64
	Seconds        float64
	MaxRequests    int64
	ServerBin      string `json:",omitempty"`
	ServerLogLevel string
	MotoItems      int `json:",omitempty"`
}

// DatabaseInfo describes a data set that was measured.
type DatabaseInfo struct {
	Database     string
	Teams        int
	Sessions     int
	Votes        int
	Seed         uint64
	Start, End   time.Time
	StatusCounts map[string]int
}

// Result is one scenario measured at one concurrency.
type Result struct {
	Scenario    string
	Target      string
	Database    string `json:",omitempty"`
	Sessions    int    `json:",omitempty"`
	Description string
	LoadResult
	// PeakRSSKiB is the largest resident set size of the server process
	// seen during the measurement, sampled every 100 ms.
	PeakRSSKiB int64  `json:",omitempty"`
	Profile    string `json:",omitempty"`
}

// Ratio compares two results of one run against a target.
type Ratio struct {
	Name   string
	Value  float64
	Target string
	Met    bool
}

// runner holds the state of one Run.
type runner struct {
	opts      RunOptions
	http      *http.Client
	report    *Report
	firstBody []byte
	firstTeam string
}

// Run measures the selected scenarios on each database, then the reference
// servers, and computes the ratios that the targets name.
func Run(ctx context.Context, opts RunOptions) (*Report, error) {
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	if opts.Connect != "" {
		if err := CheckLoopback(opts.Connect); err != nil {
			return nil, err
		}
		if len(opts.Databases) != 1 {
			return nil, errors.New("with a running server, name exactly one database: the one that server uses")
		}
	}
	r := &runner{
		opts: opts,
		http: newHTTPClient(slices.Max(opts.Concurrency)),
		report: &Report{
			Date:    time.Now().UTC(),
			Machine: ReadMachine(),
			Settings: Settings{
				Client: opts.Client, Concurrency: opts.Concurrency, WarmupSeconds: opts.Warmup.Seconds(),
				Seconds: opts.Duration.Seconds(), MaxRequests: opts.MaxRequests, ServerBin: opts.ServerBin,
				ServerLogLevel: opts.ServerLogLevel, MotoItems: opts.MotoItems,
			},
		},
	}
	for i, db := range opts.Databases {
		if err := r.runDatabase(ctx, i, db); err != nil {
			return r.report, err
		}
	}
	if opts.Minimal && MatchScenario(opts.Scenarios, ScenarioMinimal) && r.firstBody != nil {
		if err := r.runMinimal(ctx); err != nil {
			return r.report, err
		}
	}
	if opts.MotoPath != "" && MatchScenario(opts.Scenarios, ScenarioMoto) {
		if err := r.runMoto(ctx); err != nil {
			return r.report, err
		}
	}
	r.report.Ratios = computeRatios(r.report.Results, opts.Concurrency)
	r.report.LoadAverageAfter = LoadAverage()
	return r.report, nil
}

func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.opts.Out, format+"\n", args...)
}

func (r *runner) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.report.Notes = append(r.report.Notes, msg)
	r.logf("note: %s", msg)
}

// readManifest opens the database only to read its manifest.
func readManifest(ctx context.Context, database string) (*Manifest, error) {
	store, err := server.OpenStore(ctx, database)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", describeDatabase(database), err)
	}
	defer store.Close()
	return LoadManifest(ctx, store)
}

// describeDatabase returns the database setting without a password.
func describeDatabase(database string) string {
	i := strings.Index(database, "://")
	at := strings.LastIndex(database, "@")
	if i < 0 || at < i {
		return database
	}
	if user, _, ok := strings.Cut(database[i+3:at], ":"); ok {
		return database[:i+3] + user + ":***" + database[at:]
	}
	return database
}

// target is a server under measurement.
type target struct {
	name     string
	proc     *Process // nil for a server that Run did not start
	pprofURL string
}

func (t *target) pid() int {
	if t.proc == nil {
		return 0
	}
	return t.proc.PID()
}

// measure runs a scenario at each of the run's concurrencies and records
// the results.
func (r *runner) measure(ctx context.Context, t *target, res Result, newOp func(int) Op) []Result {
	return r.measureAt(ctx, t, res, newOp, r.opts.Concurrency)
}

func (r *runner) measureAt(ctx context.Context, t *target, res Result, newOp func(int) Op, concurrency []int) []Result {
	var out []Result
	for _, c := range concurrency {
		res := res
		sampler := sampleRSS(t.pid(), 100*time.Millisecond)
		var profileErr error
		var profiling sync.WaitGroup
		if t.pprofURL != "" && r.opts.ProfileDir != "" {
			res.Profile = filepath.Join(r.opts.ProfileDir, fmt.Sprintf("%s-%s-c%d.pprof", t.name, strings.ReplaceAll(res.Scenario, "/", "_"), c))
			seconds := int(math.Ceil((r.opts.Warmup + r.opts.Duration).Seconds()))
			profiling.Go(func() { profileErr = fetchProfile(ctx, r.http, t.pprofURL, seconds, res.Profile) })
		}
		res.LoadResult = RunLoad(ctx, res.Scenario, newOp, LoadOptions{
			Concurrency: c, Warmup: r.opts.Warmup, Duration: r.opts.Duration,
			MaxRequests: r.opts.MaxRequests, Progress: r.opts.Out,
		})
		res.PeakRSSKiB = sampler.Stop()
		profiling.Wait()
		if profileErr != nil {
			r.note("no CPU profile for %s at concurrency %d: %v", res.Scenario, c, profileErr)
			res.Profile = ""
		}
		r.logf("%s", resultLine(res))
		r.report.Results = append(r.report.Results, res)
		out = append(out, res)
	}
	return out
}

// fetchProfile saves a CPU profile of the given length from a pprof
// endpoint.
func fetchProfile(ctx context.Context, hc *http.Client, base string, seconds int, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/debug/pprof/profile?seconds="+strconv.Itoa(seconds), nil)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: hc.Transport, Timeout: time.Duration(seconds+30) * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("pprof returned HTTP %d", resp.StatusCode)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// startServer starts a Keyturn server on the database, in development mode
// or with the data set's credentials, unless Run connects to one.
func (r *runner) startServer(ctx context.Context, name, database string, dev bool, m *Manifest) (*target, error) {
	if r.opts.Connect != "" {
		return &target{name: name}, nil
	}

	opts := ServerOptions{Database: database, Dev: dev, LogLevel: r.opts.ServerLogLevel}
	if !dev {
		creds, err := m.Credentials()
		if err != nil {
			return nil, err
		}
		opts.CredentialsFile = filepath.Join(r.opts.WorkDir, "credentials.json")
		if err := os.WriteFile(opts.CredentialsFile, creds, 0o600); err != nil {
			return nil, err
		}
	}

	t := &target{name: name}
	if r.opts.ProfileDir != "" {
		port, err := FreePort()
		if err != nil {
			return nil, err
		}
		opts.PprofAddr = "127.0.0.1:" + strconv.Itoa(port)
		t.pprofURL = "http://" + opts.PprofAddr
	}

	mode := "verifying signatures"
	if dev {
		mode = "development mode"
	}
	r.logf("starting %s on %s (%s)", name, describeDatabase(database), mode)
	p, err := startKeyturn(ctx, name, r.opts.ServerBin, opts, r.opts.WorkDir, m.SessionTeamInfo().AccountID, r.http)
	if err != nil {
		return nil, err
	}
	t.proc = p
	return t, nil
}

func (r *runner) stopServer(t *target) error {
	if t.proc == nil {
		return nil
	}
	return t.proc.Stop()
}

func (t *target) url(connect string) string {
	if t.proc == nil {
		return connect
	}
	return t.proc.URL
}

// runDatabase measures the Keyturn scenarios on one database: the MPA
// scenarios and session starts on a server that verifies signatures, then
// votes on a development server, which alone lets a signed request act as
// an approver.
func (r *runner) runDatabase(ctx context.Context, index int, database string) error {
	m, err := readManifest(ctx, database)
	if err != nil {
		return err
	}
	label := describeDatabase(database)
	r.report.Databases = append(r.report.Databases, DatabaseInfo{
		Database: label, Teams: len(m.Teams), Sessions: m.Sessions, Votes: m.Votes, Seed: m.Seed,
		Start: m.Start, End: m.End, StatusCounts: m.StatusCounts,
	})
	r.logf("database %s: %d sessions in team %s", label, m.Sessions, m.SessionTeamInfo().TeamArn)
	if time.Now().After(m.End.Add(pendingDuration)) {
		r.note("the PENDING sessions of %s expired %s after the fill; the server stores their expiry when it starts", label, pendingDuration)
	}

	t, err := r.startServer(ctx, fmt.Sprintf("keyturn-%d", index), database, false, m)
	if err != nil {
		return err
	}
	started, err := r.runReadScenarios(ctx, t, index, label, m)
	if err == nil && !MatchScenario(r.opts.Scenarios, ScenarioVote) && len(started) > 0 {
		err = r.cancelSessions(ctx, t, m, started)
	}
	if stopErr := r.stopServer(t); err == nil {
		err = stopErr
	}
	if err != nil || !MatchScenario(r.opts.Scenarios, ScenarioVote) {
		return err
	}

	dev, err := r.startServer(ctx, fmt.Sprintf("keyturn-dev-%d", index), database, true, m)
	if err != nil {
		return err
	}
	err = r.runVotes(ctx, dev, label, m, started)
	if stopErr := r.stopServer(dev); err == nil {
		err = stopErr
	}
	return err
}

// runReadScenarios measures the ListSessions, GetSession and StartSession
// scenarios, and returns the ARNs of the sessions that StartSession opened.
func (r *runner) runReadScenarios(ctx context.Context, t *target, index int, label string, m *Manifest) ([]string, error) {
	team := m.SessionTeamInfo()
	ep := newMPAEndpoint(t.url(r.opts.Connect), team.AccountID, r.http)
	first, err := ep.listSessions(ctx, team.TeamArn, nil, "")
	if err != nil {
		return nil, fmt.Errorf("read the first page of team %s: %w", team.TeamArn, err)
	}
	if index == 0 {
		r.firstBody, r.firstTeam = first.Body, team.TeamArn
	}
	base := Result{Target: TargetKeyturn, Database: label, Sessions: m.Sessions}

	for _, spec := range listSpecs(m) {
		if !MatchScenario(r.opts.Scenarios, spec.Name) {
			continue
		}
		res := base
		res.Scenario, res.Description = spec.Name, spec.Description
		r.measure(ctx, t, res, ep.listSessionsOp(r.opts.Client, team.TeamArn, spec.Filters, ""))
	}
	if err := r.runDeepPages(ctx, t, ep, base, team.TeamArn); err != nil {
		return nil, err
	}

	if MatchScenario(r.opts.Scenarios, ScenarioGet) {
		res := base
		res.Scenario = ScenarioGet
		res.Description = fmt.Sprintf("GetSession of one of %d sessions spread over the list", len(m.SampleSessionArns))
		r.measure(ctx, t, res, ep.getSessionOp(r.opts.Client, m.SampleSessionArns))
	}
	if !MatchScenario(r.opts.Scenarios, ScenarioStart) {
		return nil, nil
	}
	write := m.WriteTeamInfo()
	writer := newMPAEndpoint(t.url(r.opts.Connect), write.AccountID, r.http)
	collector := &arnCollector{}
	res := base
	res.Scenario = ScenarioStart
	res.Description = "StartSession of Keyturn's API in team " + write.TeamName
	r.measure(ctx, t, res, writer.startSessionOp(write.TeamArn, m.Actions, collector))
	return collector.all(), nil
}

// runDeepPages walks the list to the deepest page selected, unfiltered and
// with deepFilter, and measures a request that resumes at each page: every
// selected page of the unfiltered list, and the deepest that the filtered
// list has.
func (r *runner) runDeepPages(ctx context.Context, t *target, ep *mpaEndpoint, base Result, teamArn string) error {
	for _, filtered := range []bool{false, true} {
		var pages []int
		for _, p := range r.opts.Pages {
			if p > 1 && MatchScenario(r.opts.Scenarios, pageScenario(p, filtered)) {
				pages = append(pages, p)
			}
		}
		if len(pages) == 0 {
			continue
		}
		var filters []Filter
		if filtered {
			filters = deepFilter
		}
		tokens, available, err := r.walkPages(ctx, ep, teamArn, filters, pages[len(pages)-1])
		if err != nil {
			return err
		}
		if filtered {
			// The filtered deep page is the deepest selected page that
			// the filtered list has.
			deepest := pages[:1]
			for _, p := range pages {
				if _, ok := tokens[p]; ok {
					deepest = []int{p}
				}
			}
			pages = deepest
		}
		for _, p := range pages {
			name := pageScenario(p, filtered)
			token, ok := tokens[p]
			if !ok {
				r.note("%s skipped on %s: the list has only %d pages of %d", name, base.Database, available, PageSize)
				continue
			}
			res := base
			res.Scenario = name
			res.Description = fmt.Sprintf("page %d (NextToken taken from page %d), no filter", p, p-1)
			if filtered {
				res.Description = fmt.Sprintf("page %d (NextToken taken from page %d), SessionStatus EQ APPROVED", p, p-1)
			}
			r.measure(ctx, t, res, ep.listSessionsOp(r.opts.Client, teamArn, filters, token))
		}
	}
	return nil
}

// walkPages reads pages 1 to last-1 and returns, for each page up to last,
// the NextToken that resumes the list there, and the number of pages the
// list has when it ends before last.
func (r *runner) walkPages(ctx context.Context, ep *mpaEndpoint, teamArn string, filters []Filter, last int) (map[int]string, int, error) {
	label := "walk pages"
	if len(filters) > 0 {
		label = "walk filtered pages"
	}
	p := StartProgress(r.opts.Out, label, "pages", int64(last-1), 2*time.Second, nil)
	defer p.Stop()
	tokens := map[int]string{}
	token := ""
	for page := 1; page < last; page++ {
		out, err := ep.listSessions(ctx, teamArn, filters, token)
		if err != nil {
			return nil, 0, fmt.Errorf("read page %d: %w", page, err)
		}
		p.Add(1)
		if out.NextToken == "" {
			return tokens, page, nil
		}
		token = out.NextToken
		tokens[page+1] = token
	}
	return tokens, last, nil
}

// cancelSessions cancels sessions that a scenario opened, so that they do
// not expire later in a burst of sweeper writes. Sessions that were
// decided already are left as they are.
func (r *runner) cancelSessions(ctx context.Context, t *target, m *Manifest, arns []string) error {
	ep := newMPAEndpoint(t.url(r.opts.Connect), m.WriteTeamInfo().AccountID, r.http)
	p := StartProgress(r.opts.Out, "cancel open sessions", "sessions", int64(len(arns)), 2*time.Second, nil)
	defer p.Stop()
	return forEach(ctx, arns, 4, func(ctx context.Context, arn string) error {
		err := ep.cancelSession(ctx, arn)
		var httpErr *HTTPError
		if errors.As(err, &httpErr) && httpErr.Status == http.StatusConflict {
			err = nil
		}
		p.Add(1)
		return err
	})
}

// forEach calls fn for each item from the given number of workers and
// returns the first error.
func forEach[T any](ctx context.Context, items []T, workers int, fn func(context.Context, T) error) error {
	ch := make(chan T)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var once sync.Once
	var firstErr error
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for item := range ch {
				if err := fn(ctx, item); err != nil {
					once.Do(func() { firstErr = err; cancel() })
				}
			}
		})
	}
feed:
	for _, item := range items {
		select {
		case ch <- item:
		case <-ctx.Done():
			break feed
		}
	}
	close(ch)
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return firstErr
}

// runVotes measures votes on a development server. For each concurrency it
// opens VoteSessions sessions in the write team, first reusing those that
// the StartSession scenario opened, and votes them to a decision. At the
// end it cancels the sessions that stayed open.
func (r *runner) runVotes(ctx context.Context, t *target, label string, m *Manifest, started []string) error {
	write := m.WriteTeamInfo()
	ep := newMPAEndpoint(t.url(r.opts.Connect), write.AccountID, r.http)
	pool := started
	var open []string
	for _, c := range r.opts.Concurrency {
		if len(pool) < r.opts.VoteSessions {
			more, err := r.openSessions(ctx, ep, write.TeamArn, m.Actions, r.opts.VoteSessions-len(pool))
			if err != nil {
				return err
			}
			pool = append(pool, more...)
		}
		arns := pool[:min(len(pool), r.opts.VoteSessions)]
		pool = pool[len(arns):]

		res := Result{
			Scenario: ScenarioVote, Target: TargetKeyturn, Database: label, Sessions: m.Sessions,
			Description: fmt.Sprintf("approvals that decide up to %d sessions of team %s, acting as approvers (development server)", len(arns), write.TeamName),
		}
		jobs := voteJobs(arns, write.ApproverIDs(), write.MinApprovals)
		total := len(jobs)
		results := r.measureAt(ctx, t, res, ep.voteOp(jobs), []int{c})
		if len(results) > 0 && results[0].Exhausted {
			r.note("vote at concurrency %d ran out of sessions after %.1fs; raise --vote-sessions for a longer measurement", c, results[0].Seconds)
		}
		// The queue contains every session's first approval, then every
		// session's second, and so on: session i is decided once the
		// last round has reached it.
		consumed := total - len(jobs)
		decided := max(consumed-(write.MinApprovals-1)*len(arns), 0)
		open = append(open, arns[decided:]...)
	}
	return r.cancelSessions(ctx, t, m, append(open, pool...))
}

// openSessions starts n sessions, untimed, for the vote scenario.
func (r *runner) openSessions(ctx context.Context, ep *mpaEndpoint, teamArn string, actionNames []string, n int) ([]string, error) {
	const workers = 8
	p := StartProgress(r.opts.Out, "open sessions for votes", "sessions", int64(n), 2*time.Second, nil)
	defer p.Stop()
	collector := &arnCollector{}
	newOp := ep.startSessionOp(teamArn, actionNames, collector)
	var next atomic.Int64
	var once sync.Once
	var firstErr error
	var wg sync.WaitGroup
	for w := range workers {
		op := newOp(w)
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				if _, err := op(ctx); err != nil {
					once.Do(func() { firstErr = fmt.Errorf("open a session for the vote scenario: %w", err) })
					return
				}
				p.Add(1)
			}
		})
	}
	wg.Wait()
	return collector.all(), firstErr
}

// runMinimal measures the minimal reference server, whose fixed response
// body is the first page of the first database.
func (r *runner) runMinimal(ctx context.Context) error {
	bodyFile := filepath.Join(r.opts.WorkDir, "minimal-body.json")
	if err := os.WriteFile(bodyFile, r.firstBody, 0o644); err != nil {
		return err
	}
	r.logf("starting the minimal reference server (a fixed %d-byte JSON body)", len(r.firstBody))
	p, err := startMinimal(ctx, bodyFile, r.opts.WorkDir, r.http)
	if err != nil {
		return err
	}
	defer p.Stop()
	ep := newMPAEndpoint(p.URL, AccountID(0), r.http)
	res := Result{
		Scenario: ScenarioMinimal, Target: TargetMinimal,
		Description: fmt.Sprintf("fixed %d-byte ListSessions page, no signature check, no store", len(r.firstBody)),
	}
	r.measure(ctx, &target{name: "minimal", proc: p}, res, ep.listSessionsOp(r.opts.Client, r.firstTeam, nil, ""))
	return nil
}

// runMoto measures moto's DescribeLogGroups with a name prefix, after
// filling moto with MotoItems log groups.
func (r *runner) runMoto(ctx context.Context) error {
	r.logf("starting moto_server (%s)", r.opts.MotoPath)
	p, err := startMoto(ctx, r.opts.MotoPath, r.opts.WorkDir, r.http)
	if err != nil {
		return err
	}
	defer p.Stop()
	ep := newMotoEndpoint(p.URL, r.http)
	if err := ep.fill(ctx, r.opts.MotoItems, 8, r.opts.Out); err != nil {
		return err
	}
	prefix := MotoPrefix(ActionNames()[0])
	res := Result{
		Scenario: ScenarioMoto, Target: TargetMoto,
		Description: fmt.Sprintf("CloudWatch Logs DescribeLogGroups, prefix %s, limit %d, over %d log groups", prefix, PageSize, r.opts.MotoItems),
	}
	r.measure(ctx, &target{name: "moto", proc: p}, res, ep.describeOp(r.opts.Client, prefix))
	return nil
}
