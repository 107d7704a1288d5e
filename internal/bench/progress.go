package bench

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// Progress prints the state of a long step every interval: items done out
// of the total, the rate and the time left at that rate.
type Progress struct {
	w        io.Writer
	label    string
	unit     string
	total    int64
	start    time.Time
	done     atomic.Int64
	extra    func() string
	stop     chan struct{}
	stopped  sync.WaitGroup
	stopOnce sync.Once
}

// StartProgress starts printing to w every interval until Stop. extra, when
// not nil, returns text appended to each line. A nil w prints nothing.
func StartProgress(w io.Writer, label, unit string, total int64, interval time.Duration, extra func() string) *Progress {
	p := &Progress{w: w, label: label, unit: unit, total: total, start: time.Now(), extra: extra, stop: make(chan struct{})}
	if w == nil {
		return p
	}
	p.stopped.Add(1)
	go func() {
		defer p.stopped.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.print(false)
			}
		}
	}()
	return p
}

// Add counts n more items done.
func (p *Progress) Add(n int64) { p.done.Add(n) }

// Done returns the items done so far.
func (p *Progress) Done() int64 { return p.done.Load() }

// Stop stops the printing and prints a final line.
func (p *Progress) Stop() {
	p.stopOnce.Do(func() {
		close(p.stop)
		p.stopped.Wait()
		if p.w != nil {
			p.print(true)
		}
	})
}

func (p *Progress) print(final bool) {
	done := p.done.Load()
	elapsed := time.Since(p.start)
	rate := float64(done) / max(elapsed.Seconds(), 1e-9)
	line := fmt.Sprintf("%s: %d/%d %s", p.label, done, p.total, p.unit)
	if p.total > 0 {
		line += fmt.Sprintf(" (%.1f%%)", 100*float64(done)/float64(p.total))
	}
	line += fmt.Sprintf(", %.0f %s/s", rate, p.unit)
	if p.extra != nil {
		line += ", " + p.extra()
	}
	switch {
	case final:
		line += fmt.Sprintf(", took %s", elapsed.Round(100*time.Millisecond))
	case rate > 0 && p.total > done:
		eta := time.Duration(float64(p.total-done) / rate * float64(time.Second))
		line += fmt.Sprintf(", ETA %s", eta.Round(time.Second))
	}
	fmt.Fprintln(p.w, line)
}
