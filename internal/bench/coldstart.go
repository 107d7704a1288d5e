package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"
)

// ColdStartOptions configures ColdStart.
type ColdStartOptions struct {
	// KeyturnBin is the keyturn binary whose serve command is timed.
	KeyturnBin string
	// Database, when set, is a filled database to start on besides an
	// empty one.
	Database string
	// MotoPath, when set, is the moto_server program to time.
	MotoPath string
	// Repeat is the number of starts of each server.
	Repeat int
	// PollInterval is the time between probes while a server starts.
	PollInterval time.Duration
	// IdleWait is how long a server idles after its first response before
	// its idle RSS is read.
	IdleWait time.Duration
	// LoadDuration, when not zero, adds a measurement of RSS under load:
	// the first ListSessions page on Database, and DescribeLogGroups on
	// moto filled with MotoItems log groups, at Concurrency.
	LoadDuration time.Duration
	Concurrency  int
	MotoItems    int
	Client       string
	WorkDir      string
	Out          io.Writer
}

// ColdStartReport is the outcome of ColdStart.
type ColdStartReport struct {
	Command          string
	Date             time.Time
	Machine          Machine
	Repeat           int
	PollMillis       float64
	Targets          []ColdStartTarget
	Ratios           []Ratio
	LoadAverageAfter string
}

// ColdStartTarget is one server started Repeat times.
type ColdStartTarget struct {
	Name    string
	Command []string
	// StartMillis is the time from process start to the first response,
	// for each start.
	StartMillis []float64
	Start       Spread
	// IdleRSSKiB is the resident set size IdleWait after each first
	// response.
	IdleRSSKiB []int64
	IdleRSS    Spread
	// Load is the measurement under load, with its peak RSS, when one ran.
	Load *Result `json:",omitempty"`
}

// Spread is the median and range of repeated measurements.
type Spread struct {
	Median, Min, Max float64
}

func spreadOf(values []float64) Spread {
	if len(values) == 0 {
		return Spread{}
	}
	s := slices.Sorted(slices.Values(values))
	median := s[len(s)/2]
	if len(s)%2 == 0 {
		median = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Spread{Median: median, Min: s[0], Max: s[len(s)-1]}
}

// coldTarget describes how to start and probe one server.
type coldTarget struct {
	name     string
	argv     func(addr string, rep int) []string
	probe    func(url string) func(context.Context) error
	loadOp   func(ctx context.Context, url string) (func(int) Op, string, error)
	scenario string
}

// ColdStart times each server from process start to its first response,
// Repeat times, reads its idle RSS, and optionally its RSS under load.
func ColdStart(ctx context.Context, opts ColdStartOptions) (*ColdStartReport, error) {
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	rep := &ColdStartReport{Date: time.Now().UTC(), Machine: ReadMachine(), Repeat: opts.Repeat, PollMillis: ms(opts.PollInterval)}
	hc := newHTTPClient(max(opts.Concurrency, 1))
	var targets []coldTarget

	keyturnProbe := func(url string) func(context.Context) error {
		return newMPAEndpoint(url, AccountID(0), hc).listApprovalTeams
	}
	targets = append(targets, coldTarget{
		name: "keyturn serve --dev, empty database",
		argv: func(addr string, i int) []string {
			db := filepath.Join(opts.WorkDir, fmt.Sprintf("empty-%d.db", i))
			return []string{opts.KeyturnBin, "serve", "--dev", "--addr", addr, "--database", db}
		},
		probe: keyturnProbe,
	})
	if opts.Database != "" {
		m, err := readManifest(ctx, opts.Database)
		if err != nil {
			return nil, err
		}
		team := m.SessionTeamInfo()
		targets = append(targets, coldTarget{
			name: fmt.Sprintf("keyturn serve --dev, database of %d sessions", m.Sessions),
			argv: func(addr string, _ int) []string {
				return []string{opts.KeyturnBin, "serve", "--dev", "--addr", addr, "--database", opts.Database}
			},
			probe:    keyturnProbe,
			scenario: ScenarioFirst,
			loadOp: func(ctx context.Context, url string) (func(int) Op, string, error) {
				ep := newMPAEndpoint(url, team.AccountID, hc)
				return ep.listSessionsOp(opts.Client, team.TeamArn, nil, ""), "first ListSessions page, no filter", nil
			},
		})
	}
	if opts.MotoPath != "" {
		targets = append(targets, coldTarget{
			name: "moto_server",
			argv: func(addr string, _ int) []string {
				host, port, _ := net.SplitHostPort(addr)
				return []string{opts.MotoPath, "-H", host, "-p", port}
			},
			probe:    func(url string) func(context.Context) error { return newMotoEndpoint(url, hc).probe },
			scenario: ScenarioMoto,
			loadOp: func(ctx context.Context, url string) (func(int) Op, string, error) {
				ep := newMotoEndpoint(url, hc)
				if err := ep.fill(ctx, opts.MotoItems, 8, opts.Out); err != nil {
					return nil, "", err
				}
				prefix := MotoPrefix(ActionNames()[0])
				return ep.describeOp(opts.Client, prefix), fmt.Sprintf("DescribeLogGroups, prefix %s, over %d log groups", prefix, opts.MotoItems), nil
			},
		})
	}

	for _, t := range targets {
		result, err := coldStartTarget(ctx, t, opts)
		if err != nil {
			return rep, err
		}
		rep.Targets = append(rep.Targets, result)
	}
	if opts.MotoPath != "" {
		moto := rep.Targets[len(rep.Targets)-1]
		for _, t := range rep.Targets[:len(rep.Targets)-1] {
			v := moto.Start.Median / t.Start.Median
			rep.Ratios = append(rep.Ratios, Ratio{
				Name: fmt.Sprintf("median cold start moto_server ÷ %s", t.Name), Value: v, Target: ">= 10", Met: v >= 10,
			})
		}
	}
	rep.LoadAverageAfter = LoadAverage()
	return rep, nil
}

// coldStartTarget starts one server Repeat times, and once more under
// load when the target has a load.
func coldStartTarget(ctx context.Context, t coldTarget, opts ColdStartOptions) (ColdStartTarget, error) {
	out := ColdStartTarget{Name: t.name}
	fmt.Fprintf(opts.Out, "cold start: %s, %d times\n", t.name, opts.Repeat)
	var starts, idle []float64
	for i := range opts.Repeat {
		p, startMillis, err := startCold(ctx, t, i, opts)
		if err != nil {
			return out, err
		}
		out.Command = p.cmd.Args
		time.Sleep(opts.IdleWait)
		rss, _, rssErr := ReadRSS(p.PID())
		if err := p.Stop(); err != nil {
			return out, err
		}
		if rssErr != nil {
			return out, fmt.Errorf("read the RSS of %s: %w", t.name, rssErr)
		}
		out.StartMillis = append(out.StartMillis, startMillis)
		out.IdleRSSKiB = append(out.IdleRSSKiB, rss)
		starts = append(starts, startMillis)
		idle = append(idle, float64(rss))
		fmt.Fprintf(opts.Out, "  start %d: first response after %.1f ms, idle RSS %.1f MiB\n", i+1, startMillis, float64(rss)/1024)
	}
	out.Start = spreadOf(starts)
	out.IdleRSS = spreadOf(idle)

	if t.loadOp == nil || opts.LoadDuration <= 0 {
		return out, nil
	}
	p, _, err := startCold(ctx, t, opts.Repeat, opts)
	if err != nil {
		return out, err
	}
	defer p.Stop()
	newOp, description, err := t.loadOp(ctx, p.URL)
	if err != nil {
		return out, err
	}
	sampler := sampleRSS(p.PID(), 100*time.Millisecond)
	load := RunLoad(ctx, t.scenario, newOp, LoadOptions{Concurrency: opts.Concurrency, Warmup: time.Second, Duration: opts.LoadDuration, Progress: opts.Out})
	res := Result{Scenario: t.scenario, Target: t.name, Description: description, LoadResult: load, PeakRSSKiB: sampler.Stop()}
	fmt.Fprintf(opts.Out, "  under load: %s\n", resultLine(res))
	out.Load = &res
	return out, nil
}

// startCold starts the target on a free port and waits for its first
// response.
func startCold(ctx context.Context, t coldTarget, i int, opts ColdStartOptions) (*Process, float64, error) {
	port, err := FreePort()
	if err != nil {
		return nil, 0, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	p, err := StartProcess(t.name, t.argv(addr, i), "http://"+addr, filepath.Join(opts.WorkDir, fmt.Sprintf("coldstart-%d.log", i)))
	if err != nil {
		return nil, 0, err
	}
	took, err := p.WaitReady(ctx, t.probe(p.URL), opts.PollInterval, 120*time.Second)
	if err != nil {
		p.Stop()
		return nil, 0, err
	}
	return p, ms(took), nil
}

// PrintColdStart writes the cold start table and ratios.
func PrintColdStart(w io.Writer, rep *ColdStartReport) {
	m := rep.Machine
	fmt.Fprintf(w, "\nMachine: %d CPUs (%s), %.1f GiB, %s, %s; load average %s before, %s after\n",
		m.CPUs, m.CPUModel, float64(m.MemTotalKiB)/(1024*1024), m.Kernel, m.GoVersion, m.LoadAverage, rep.LoadAverageAfter)
	fmt.Fprintf(w, "Each server started %d times; probe every %.0f ms.\n\n", rep.Repeat, rep.PollMillis)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "server\tfirst response ms: median (min-max)\tidle RSS MiB: median (min-max)\tunder load: req/s, peak RSS MiB")
	for _, t := range rep.Targets {
		load := "-"
		if t.Load != nil {
			load = fmt.Sprintf("%.0f req/s, %.1f MiB", t.Load.RPS, float64(t.Load.PeakRSSKiB)/1024)
		}
		fmt.Fprintf(tw, "%s\t%.1f (%.1f-%.1f)\t%.1f (%.1f-%.1f)\t%s\n", t.Name,
			t.Start.Median, t.Start.Min, t.Start.Max,
			t.IdleRSS.Median/1024, t.IdleRSS.Min/1024, t.IdleRSS.Max/1024, load)
	}
	tw.Flush()
	if len(rep.Ratios) > 0 {
		fmt.Fprintln(w, "\nRatios (measured in this run):")
		for _, r := range rep.Ratios {
			verdict := "met"
			if !r.Met {
				verdict = "MISSED"
			}
			fmt.Fprintf(w, "  %-70s %8.1f  target %-6s %s\n", r.Name, r.Value, r.Target, verdict)
		}
	}
}
