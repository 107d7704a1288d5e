package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Op sends one request and returns the size of the response body. Each
// worker has its own Op, so an Op may keep state without locks.
type Op func(ctx context.Context) (int, error)

// ErrExhausted is returned by an Op that has no more work, such as a vote
// scenario that has run out of open sessions. The worker stops, and the
// request is not counted.
var ErrExhausted = errors.New("bench: no more work")

// LoadOptions bounds one load run.
type LoadOptions struct {
	// Concurrency is the number of workers, each with one request in
	// flight.
	Concurrency int
	// Warmup is run before the measured period and not recorded.
	Warmup time.Duration
	// Duration is the measured period.
	Duration time.Duration
	// MaxRequests ends the measured period early once that many requests
	// have been sent. Zero means no limit besides Duration.
	MaxRequests int64
	// Progress, when not nil, receives a line every ProgressInterval
	// during long runs.
	Progress         io.Writer
	ProgressInterval time.Duration
}

// LoadResult is the summary of one load run.
type LoadResult struct {
	Concurrency int
	Requests    int64
	Errors      int64
	// ErrorSamples are the first distinct error messages.
	ErrorSamples []string `json:",omitempty"`
	// Exhausted is true when the scenario ran out of work before the
	// measured period ended.
	Exhausted bool `json:",omitempty"`
	// Seconds is the measured period: from its start to the last response.
	Seconds float64
	// RPS is the rate of successful requests.
	RPS float64
	// Latency percentiles of successful requests, in milliseconds.
	Latency Percentiles
	// ResponseBytes is the mean response body size.
	ResponseBytes float64
}

// Percentiles summarise a latency distribution, in milliseconds.
type Percentiles struct {
	Mean float64
	P50  float64
	P90  float64
	P99  float64
	Max  float64
}

// maxErrorSamples bounds the error messages kept per run.
const maxErrorSamples = 3

type workerStats struct {
	latencies []time.Duration
	bytes     int64
	errors    int64
	lastEnd   time.Time
	messages  []string
}

// RunLoad runs newOp's operations from opts.Concurrency workers for the
// warmup and then the measured period, and summarises the measured
// requests. It stops early when ctx ends.
func RunLoad(ctx context.Context, name string, newOp func(worker int) Op, opts LoadOptions) LoadResult {
	if opts.Concurrency < 1 {
		opts.Concurrency = 1
	}
	if opts.ProgressInterval == 0 {
		opts.ProgressInterval = 5 * time.Second
	}
	ops := make([]Op, opts.Concurrency)
	for i := range ops {
		ops[i] = newOp(i)
	}

	begin := time.Now()
	measureFrom := begin.Add(opts.Warmup)
	deadline := measureFrom.Add(opts.Duration)
	runCtx, cancel := context.WithDeadline(ctx, deadline.Add(30*time.Second))
	defer cancel()

	var sent, completed, exhausted atomic.Int64
	stats := make([]workerStats, opts.Concurrency)
	var wg sync.WaitGroup
	for w := range opts.Concurrency {
		wg.Go(func() {
			st := &stats[w]
			for runCtx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(deadline) {
					return
				}
				measured := !t0.Before(measureFrom)
				if measured && opts.MaxRequests > 0 && sent.Add(1) > opts.MaxRequests {
					return
				}
				n, err := ops[w](runCtx)
				t1 := time.Now()
				if errors.Is(err, ErrExhausted) {
					exhausted.Add(1)
					return
				}
				if !measured {
					continue
				}
				st.lastEnd = t1
				completed.Add(1)
				if err != nil {
					st.errors++
					if len(st.messages) < maxErrorSamples {
						st.messages = append(st.messages, err.Error())
					}
					continue
				}
				st.latencies = append(st.latencies, t1.Sub(t0))
				st.bytes += int64(n)
			}
		})
	}

	var done chan struct{}
	if opts.Progress != nil && opts.Warmup+opts.Duration > 2*opts.ProgressInterval {
		done = make(chan struct{})
		go printLoadProgress(opts, name, begin, &completed, done)
	}
	wg.Wait()
	if done != nil {
		close(done)
	}
	return summarise(opts.Concurrency, measureFrom, stats, exhausted.Load() > 0)
}

// printLoadProgress prints the elapsed time and the measured requests
// every interval until done is closed.
func printLoadProgress(opts LoadOptions, name string, begin time.Time, completed *atomic.Int64, done <-chan struct{}) {
	t := time.NewTicker(opts.ProgressInterval)
	defer t.Stop()
	total := opts.Warmup + opts.Duration
	for {
		select {
		case <-done:
			return
		case <-t.C:
			elapsed := time.Since(begin).Round(time.Second)
			fmt.Fprintf(opts.Progress, "  %s: %s of %s, %d requests measured\n", name, elapsed, total, completed.Load())
		}
	}
}

func summarise(concurrency int, measureFrom time.Time, stats []workerStats, exhausted bool) LoadResult {
	r := LoadResult{Concurrency: concurrency, Exhausted: exhausted}
	var all []time.Duration
	var bytes int64
	lastEnd := measureFrom
	seen := map[string]bool{}
	for _, st := range stats {
		all = append(all, st.latencies...)
		bytes += st.bytes
		r.Errors += st.errors
		if st.lastEnd.After(lastEnd) {
			lastEnd = st.lastEnd
		}
		for _, msg := range st.messages {
			if !seen[msg] && len(r.ErrorSamples) < maxErrorSamples {
				seen[msg] = true
				r.ErrorSamples = append(r.ErrorSamples, msg)
			}
		}
	}
	r.Requests = int64(len(all)) + r.Errors
	r.Seconds = lastEnd.Sub(measureFrom).Seconds()
	if r.Seconds > 0 {
		r.RPS = float64(len(all)) / r.Seconds
	}
	if len(all) > 0 {
		r.ResponseBytes = float64(bytes) / float64(len(all))
	}
	r.Latency = percentiles(all)
	return r
}

// percentiles returns the nearest-rank percentiles of the latencies. It
// sorts the slice.
func percentiles(latencies []time.Duration) Percentiles {
	if len(latencies) == 0 {
		return Percentiles{}
	}
	slices.Sort(latencies)
	var sum time.Duration
	for _, l := range latencies {
		sum += l
	}
	rank := func(p float64) float64 {
		i := int(math.Ceil(p/100*float64(len(latencies)))) - 1
		return ms(latencies[min(max(i, 0), len(latencies)-1)])
	}
	return Percentiles{
		Mean: ms(sum / time.Duration(len(latencies))),
		P50:  rank(50),
		P90:  rank(90),
		P99:  rank(99),
		Max:  ms(latencies[len(latencies)-1]),
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
