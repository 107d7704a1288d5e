package server

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/keyturn/keyturn"
)

// devClockMeta is the meta key under which a development server keeps its
// clock offset, so that a moved clock survives a restart.
const devClockMeta = "dev_clock_offset_ns"

// DevClock is the workflow clock of a development server: the real time
// plus an offset that tests can set. The offset is kept in the store.
type DevClock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now returns the real time moved by the offset, in UTC.
func (c *DevClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().UTC().Add(c.offset)
}

// Offset returns how far the clock is moved from the real time.
func (c *DevClock) Offset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offset
}

// load reads the stored offset.
func (c *DevClock) load(ctx context.Context, store keyturn.Store) error {
	return store.View(ctx, func(tx keyturn.Tx) error {
		v, err := tx.GetMeta(ctx, devClockMeta)
		if keyturn.Code(err) == keyturn.ErrNotFound {
			return nil
		}
		if err != nil {
			return err
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil // a damaged value means no offset
		}
		c.mu.Lock()
		c.offset = time.Duration(n)
		c.mu.Unlock()
		return nil
	})
}

// Set moves the clock so that it reads t now, and stores the offset. The
// clock never moves backwards: time that has passed in the workflow stays
// passed, so that a decided session cannot become pending again.
func (c *DevClock) Set(ctx context.Context, store keyturn.Store, t time.Time) (time.Time, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now().UTC()
	offset := t.Sub(now)
	if offset < c.offset {
		return now.Add(c.offset), keyturn.Errorf(keyturn.ErrInvalid,
			"The clock cannot move backwards: it reads %s, later than %s.", now.Add(c.offset).Format(time.RFC3339Nano), t.Format(time.RFC3339Nano))
	}
	err := store.Update(ctx, func(tx keyturn.Tx) error {
		return tx.PutMeta(ctx, devClockMeta, strconv.FormatInt(int64(offset), 10))
	})
	if err != nil {
		return now.Add(c.offset), err
	}
	c.offset = offset
	return now.Add(offset), nil
}

// reset sets the offset back to zero, as part of a reset of all state.
func (c *DevClock) reset(ctx context.Context, store keyturn.Store) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	err := store.Update(ctx, func(tx keyturn.Tx) error {
		return tx.PutMeta(ctx, devClockMeta, "0")
	})
	if err == nil {
		c.offset = 0
	}
	return err
}

// devControls gives Keyturn's API the controls of a development server.
type devControls struct{ s *Server }

func (d devControls) ClockNow() time.Time        { return d.s.clock.Now() }
func (d devControls) ClockOffset() time.Duration { return d.s.clock.Offset() }

func (d devControls) SetClock(ctx context.Context, t time.Time) (time.Time, error) {
	return d.s.clock.Set(ctx, d.s.store, t)
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
