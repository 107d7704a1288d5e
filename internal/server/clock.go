package server

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/keyturn/keyturn"
)

// devClockMeta is the meta key under which a development server keeps its
// clock's state, so that a moved clock survives a restart.
const devClockMeta = "dev_clock"

// maxClockOffset bounds how far a development clock may run ahead of the
// real time. time.Duration holds about 292 years; 100 leaves room for the
// durations that the workflow adds to the clock's time.
const maxClockOffset = 100 * 365 * 24 * time.Hour

// DevClock is the workflow clock of a development server: the real time
// plus an offset that tests can set, or a frozen time that moves only when
// a test moves it. Its state is kept in the store.
type DevClock struct {
	mu    sync.Mutex
	state clockState
}

// clockState is the stored form of a DevClock.
type clockState struct {
	// Offset is added to the real time while the clock runs.
	Offset time.Duration `json:"offset_ns"`
	// Frozen stops the clock at FrozenAt.
	Frozen   bool      `json:"frozen,omitempty"`
	FrozenAt time.Time `json:"frozen_at,omitzero"`
}

func (st clockState) now() time.Time {
	if st.Frozen {
		return st.FrozenAt
	}
	return time.Now().UTC().Add(st.Offset)
}

// Now returns the clock's time, in UTC.
func (c *DevClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state.now()
}

// Offset returns how far the clock is ahead of the real time.
func (c *DevClock) Offset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.Frozen {
		return c.state.FrozenAt.Sub(time.Now().UTC())
	}
	return c.state.Offset
}

// Frozen reports whether the clock is frozen.
func (c *DevClock) Frozen() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state.Frozen
}

// load reads the stored state.
func (c *DevClock) load(ctx context.Context, store keyturn.Store) error {
	return store.View(ctx, func(tx keyturn.Tx) error {
		v, err := tx.GetMeta(ctx, devClockMeta)
		if keyturn.Code(err) == keyturn.ErrNotFound {
			return nil
		}
		if err != nil {
			return err
		}
		var st clockState
		if err := json.Unmarshal([]byte(v), &st); err != nil {
			return fmt.Errorf("the stored development clock %q is damaged: %w", v, err)
		}
		c.mu.Lock()
		c.state = st
		c.mu.Unlock()
		return nil
	})
}

// Set moves the clock to t and stores its state; frozen stops it there,
// and false lets it run on from t. The zero t means the clock's current
// time, so that a running clock can be frozen where it stands. The clock
// never moves backwards: time that has passed in the workflow stays passed,
// so that a decided session cannot become pending again.
func (c *DevClock) Set(ctx context.Context, store keyturn.Store, t time.Time, frozen bool) (time.Time, error) {
	return c.move(ctx, store, func(current time.Time) time.Time {
		if t.IsZero() {
			return current
		}
		return t
	}, frozen)
}

// Advance moves the clock forward by d from its reading at the moment of
// the move, and stores its state; frozen stops it there.
func (c *DevClock) Advance(ctx context.Context, store keyturn.Store, d time.Duration, frozen bool) (time.Time, error) {
	if d < 0 {
		return c.Now(), keyturn.Errorf(keyturn.ErrInvalid, "The clock cannot move backwards by %s.", d)
	}
	return c.move(ctx, store, func(current time.Time) time.Time { return current.Add(d) }, frozen)
}

// move sets the clock to target(current reading), under the clock's lock,
// so that no reading between the two can make the move go backwards.
func (c *DevClock) move(ctx context.Context, store keyturn.Store, target func(time.Time) time.Time, frozen bool) (time.Time, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	current := c.state.now()
	t := target(current)
	if limit := time.Now().UTC().Add(maxClockOffset); t.After(limit) {
		return current, keyturn.Errorf(keyturn.ErrInvalid,
			"The clock can move at most %d years ahead of the real time, to %s; %s is later.", maxClockOffset/(365*24*time.Hour), limit.Format(time.RFC3339), t.Format(time.RFC3339))
	}
	if t.Before(current) {
		return current, keyturn.Errorf(keyturn.ErrInvalid,
			"The clock cannot move backwards: it reads %s, later than %s.", current.Format(time.RFC3339Nano), t.Format(time.RFC3339Nano))
	}
	next := clockState{Offset: t.Sub(time.Now().UTC())}
	if frozen {
		next = clockState{Frozen: true, FrozenAt: t.UTC()}
	}
	if err := c.store(ctx, store, next); err != nil {
		return current, err
	}
	return next.now(), nil
}

// reset lets the clock run at the real time again, as part of a reset of
// all state.
func (c *DevClock) reset(ctx context.Context, store keyturn.Store) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.store(ctx, store, clockState{})
}

// store saves the state and makes it current. The caller holds c.mu.
func (c *DevClock) store(ctx context.Context, store keyturn.Store, st clockState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	err = store.Update(ctx, func(tx keyturn.Tx) error {
		return tx.PutMeta(ctx, devClockMeta, string(b))
	})
	if err == nil {
		c.state = st
	}
	return err
}

// devControls gives Keyturn's API the controls of a development server.
type devControls struct{ s *Server }

func (d devControls) ClockNow() time.Time        { return d.s.clock.Now() }
func (d devControls) ClockOffset() time.Duration { return d.s.clock.Offset() }

func (d devControls) ClockFrozen() bool { return d.s.clock.Frozen() }

func (d devControls) AdvanceClock(ctx context.Context, by time.Duration, frozen bool) (time.Time, error) {
	return d.s.clock.Advance(ctx, d.s.store, by, frozen)
}

func (d devControls) SetClock(ctx context.Context, t time.Time, frozen bool) (time.Time, error) {
	return d.s.clock.Set(ctx, d.s.store, t, frozen)
}

// Reset deletes state; resetting every account also sets the clock back to
// the real time.
func (d devControls) Reset(ctx context.Context, account string) error {
	if err := d.s.engine.Reset(ctx, account); err != nil {
		return err
	}
	if account == "" {
		return d.s.clock.reset(ctx, d.s.store)
	}
	return nil
}

// AdvanceClockWithoutSweep moves a development server's workflow clock
// forward by d, frozen or running as it was, and applies none of the
// transitions that fall due. Reads report those at once, and the sweeper
// stores them on its next run. Tests use it to check what reads report
// before any sweep.
func (s *Server) AdvanceClockWithoutSweep(ctx context.Context, d time.Duration) (time.Time, error) {
	if s.clock == nil {
		return time.Time{}, keyturn.Errorf(keyturn.ErrInvalid, "The workflow clock can be moved on a development server only.")
	}
	return s.clock.Advance(ctx, s.store, d, s.clock.Frozen())
}
