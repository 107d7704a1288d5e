package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
)

// resultLine formats one result for the progress output.
func resultLine(r Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s [%s", r.Scenario, r.Target)
	if r.Sessions > 0 {
		fmt.Fprintf(&b, ", %d sessions", r.Sessions)
	}
	fmt.Fprintf(&b, ", concurrency %d]: %.0f req/s, p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms, %d requests, %d errors",
		r.Concurrency, r.RPS, r.Latency.P50, r.Latency.P90, r.Latency.P99, r.Latency.Max, r.Requests, r.Errors)
	if r.PeakRSSKiB > 0 {
		fmt.Fprintf(&b, ", peak RSS %.1f MiB", float64(r.PeakRSSKiB)/1024)
	}
	for _, msg := range r.ErrorSamples {
		fmt.Fprintf(&b, "\n    error: %s", msg)
	}
	return b.String()
}

// PrintReport writes the machine, the result table and the ratios.
func PrintReport(w io.Writer, rep *Report) {
	m := rep.Machine
	fmt.Fprintf(w, "\nMachine: %d CPUs (%s), %.1f GiB, %s, %s %s; load average %s before, %s after\n",
		m.CPUs, m.CPUModel, float64(m.MemTotalKiB)/(1024*1024), m.Kernel, m.GoVersion, m.Platform, m.LoadAverage, rep.LoadAverageAfter)
	s := rep.Settings
	fmt.Fprintf(w, "Client: %s; warmup %gs, measured %gs per scenario\n\n", s.Client, s.WarmupSeconds, s.Seconds)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\ttarget\tsessions\tconc\trequests\terrors\treq/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\tbytes\tRSS MiB\t")
	for _, r := range rep.Results {
		sessions := "-"
		if r.Sessions > 0 {
			sessions = fmt.Sprint(r.Sessions)
		}
		rss := "-"
		if r.PeakRSSKiB > 0 {
			rss = fmt.Sprintf("%.1f", float64(r.PeakRSSKiB)/1024)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%.0f\t%s\t\n",
			r.Scenario, r.Target, sessions, r.Concurrency, r.Requests, r.Errors, r.RPS,
			r.Latency.P50, r.Latency.P90, r.Latency.P99, r.Latency.Max, r.ResponseBytes, rss)
	}
	tw.Flush()

	if len(rep.Ratios) > 0 {
		fmt.Fprintln(w, "\nRatios (measured in this run):")
		for _, r := range rep.Ratios {
			verdict := "met"
			if !r.Met {
				verdict = "MISSED"
			}
			fmt.Fprintf(w, "  %-90s %8.2f  target %-6s %s\n", r.Name, r.Value, r.Target, verdict)
		}
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

// WriteJSON writes v as indented JSON to path.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// computeRatios compares results of one run with the targets. It divides
// ListSessions throughput by the minimal server's and by moto's. It also
// divides the median latency of each deep page, and of the first page of
// each larger data set, by that of the first page of the first data set.
func computeRatios(results []Result, concurrency []int) []Ratio {
	find := func(scenario, target, database string, c int) *Result {
		for i := range results {
			r := &results[i]
			if r.Scenario == scenario && r.Target == target && r.Concurrency == c && (database == "" || r.Database == database) && r.Requests > r.Errors {
				return r
			}
		}
		return nil
	}
	var ratios []Ratio
	for _, c := range concurrency {
		first := find(ScenarioFirst, TargetKeyturn, "", c)
		if first == nil {
			continue
		}
		if minimal := find(ScenarioMinimal, TargetMinimal, "", c); minimal != nil {
			v := first.RPS / minimal.RPS
			ratios = append(ratios, Ratio{
				Name:  fmt.Sprintf("throughput %s ÷ %s, concurrency %d", ScenarioFirst, ScenarioMinimal, c),
				Value: v, Target: ">= 0.5", Met: v >= 0.5,
			})
		}
		if moto := find(ScenarioMoto, TargetMoto, "", c); moto != nil {
			for _, name := range []string{ScenarioFirst, "list/action-eq"} {
				if kt := find(name, TargetKeyturn, first.Database, c); kt != nil {
					v := kt.RPS / moto.RPS
					ratios = append(ratios, Ratio{
						Name:  fmt.Sprintf("throughput %s ÷ %s, concurrency %d", name, ScenarioMoto, c),
						Value: v, Target: ">= 10", Met: v >= 10,
					})
				}
			}
		}
		for _, r := range results {
			if r.Target != TargetKeyturn || r.Concurrency != c || r.Requests == r.Errors || first.Latency.P50 == 0 {
				continue
			}
			deep := strings.HasPrefix(r.Scenario, "list/page-") || strings.HasPrefix(r.Scenario, "list/status-eq/page-")
			larger := r.Scenario == ScenarioFirst && r.Database != first.Database
			if !deep && !larger {
				continue
			}
			v := r.Latency.P50 / first.Latency.P50
			ratios = append(ratios, Ratio{
				Name:  fmt.Sprintf("p50 %s on %d sessions ÷ p50 %s on %d sessions, concurrency %d", r.Scenario, r.Sessions, ScenarioFirst, first.Sessions, c),
				Value: v, Target: "<= 1.5", Met: v <= 1.5,
			})
		}
	}
	return ratios
}
