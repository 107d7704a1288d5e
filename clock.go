package keyturn

import "time"

// Clock is the time source of the approval workflow: expiry, invitation
// timeouts and deletion windows. A development server can move it; request
// signatures are always checked against the real clock.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock, in UTC.
type SystemClock struct{}

// Now returns the current time in UTC.
func (SystemClock) Now() time.Time { return time.Now().UTC() }
