package ctlapi

import (
	"context"
	"regexp"
	"time"

	"github.com/keyturn/keyturn"
	"github.com/keyturn/keyturn/internal/engine"
	"github.com/keyturn/keyturn/internal/wire"
)

// accountRE matches an AWS account id.
var accountRE = regexp.MustCompile(`^[0-9]{12}$`)

// maxAdvanceSeconds is 100 years, the most the clock can run ahead.
const maxAdvanceSeconds = 100 * 365 * 24 * 3600

type clockOutput struct {
	// Time is the workflow clock's reading.
	Time wire.Time
	// OffsetSeconds is how far the clock is ahead of the real time.
	OffsetSeconds float64
	// Frozen is true while the clock stands still between moves.
	Frozen bool
}

func (h *Handler) clockOutput() clockOutput {
	return clockOutput{Time: wire.TimeOf(h.dev.ClockNow()), OffsetSeconds: h.dev.ClockOffset().Seconds(), Frozen: h.dev.ClockFrozen()}
}

func (h *Handler) getClock(ctx context.Context, c engine.Caller, r *request) (any, error) {
	return h.clockOutput(), nil
}

// setClock moves the workflow clock forward: to a Time, or by
// AdvanceSeconds. Frozen stops the clock after the move, so that times and
// version ids repeat from run to run; false lets it run; without Frozen the
// clock keeps its state. Transitions that fall due are applied before it
// returns.
func (h *Handler) setClock(ctx context.Context, c engine.Caller, r *request) (any, error) {
	var in struct {
		Time           *wire.Time
		AdvanceSeconds *float64
		Frozen         *bool
	}
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	frozen := h.dev.ClockFrozen()
	if in.Frozen != nil {
		frozen = *in.Frozen
	}
	var err error
	switch {
	case in.Time != nil && in.AdvanceSeconds != nil:
		return nil, keyturn.Errorf(keyturn.ErrInvalid, "Give Time or AdvanceSeconds, not both.")
	case in.Time != nil:
		_, err = h.dev.SetClock(ctx, time.Time(*in.Time), frozen)
	case in.AdvanceSeconds != nil:
		if *in.AdvanceSeconds < 0 {
			return nil, keyturn.Errorf(keyturn.ErrInvalid, "AdvanceSeconds %v is invalid: the clock only moves forward.", *in.AdvanceSeconds)
		}
		if *in.AdvanceSeconds > maxAdvanceSeconds {
			return nil, keyturn.Errorf(keyturn.ErrInvalid, "AdvanceSeconds %v is too large: the clock can move at most 100 years ahead.", *in.AdvanceSeconds)
		}
		_, err = h.dev.AdvanceClock(ctx, time.Duration(*in.AdvanceSeconds*float64(time.Second)), frozen)
	case in.Frozen != nil:
		// The zero time freezes or releases the clock where it stands.
		_, err = h.dev.SetClock(ctx, time.Time{}, frozen)
	default:
		return nil, keyturn.Errorf(keyturn.ErrInvalid, "Give Time (an ISO 8601 time), AdvanceSeconds or Frozen.")
	}
	if err != nil {
		return nil, err
	}
	if _, err := h.engine.Sweep(ctx); err != nil {
		return nil, err
	}
	return h.clockOutput(), nil
}

// reset deletes the state of the caller's account, or of every account
// with AllAccounts.
func (h *Handler) reset(ctx context.Context, c engine.Caller, r *request) (any, error) {
	var in struct {
		AccountID   string `json:"AccountId"`
		AllAccounts bool
	}
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	account := c.AccountID
	switch {
	case in.AllAccounts && in.AccountID != "":
		return nil, keyturn.Errorf(keyturn.ErrInvalid, "Give AccountId or AllAccounts, not both.")
	case in.AccountID != "" && !accountRE.MatchString(in.AccountID):
		return nil, keyturn.Errorf(keyturn.ErrInvalid, "AccountId %q is invalid: an account id has 12 digits.", in.AccountID)
	case in.AllAccounts:
		account = ""
	case in.AccountID != "":
		account = in.AccountID
	}
	if err := h.dev.Reset(ctx, account); err != nil {
		return nil, err
	}
	return struct {
		AccountID   string `json:"AccountId,omitempty"`
		AllAccounts bool
	}{account, account == ""}, nil
}

// addRule adds an automatic answer. A rule covers the caller's account
// unless AllAccounts is set.
func (h *Handler) addRule(ctx context.Context, c engine.Caller, r *request) (any, error) {
	var in struct {
		engine.Rule
		AllAccounts bool
	}
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	if in.ID != "" {
		return nil, keyturn.Errorf(keyturn.ErrInvalid, "RuleId is assigned by the server; leave it out.")
	}
	rule := in.Rule
	switch {
	case in.AllAccounts && rule.AccountID != "":
		return nil, keyturn.Errorf(keyturn.ErrInvalid, "Give AccountId or AllAccounts, not both.")
	case !in.AllAccounts && rule.AccountID == "":
		rule.AccountID = c.AccountID
	}
	return h.engine.AddRule(ctx, rule)
}

func (h *Handler) listRules(ctx context.Context, c engine.Caller, r *request) (any, error) {
	rules, err := h.engine.Rules(ctx)
	if err != nil {
		return nil, err
	}
	return struct{ Rules []engine.Rule }{rules}, nil
}

func (h *Handler) deleteRule(ctx context.Context, c engine.Caller, r *request) (any, error) {
	return struct{}{}, h.engine.DeleteRule(ctx, r.PathValue("id"))
}

// deleteRules deletes the caller's account's rules, or every rule with
// AllAccounts=true in the query.
func (h *Handler) deleteRules(ctx context.Context, c engine.Caller, r *request) (any, error) {
	account := c.AccountID
	if r.URL.Query().Get("AllAccounts") == "true" {
		account = ""
	}
	n, err := h.engine.DeleteRules(ctx, account)
	if err != nil {
		return nil, err
	}
	return struct{ Deleted int }{n}, nil
}

// snapshotAccount returns the account a snapshot request covers: the
// caller's, the one named by AccountId, or every account with AllAccounts.
func snapshotAccount(c engine.Caller, r *request) (string, error) {
	q := r.URL.Query()
	all := q.Get("AllAccounts") == "true"
	account := q.Get("AccountId")
	switch {
	case all && account != "":
		return "", keyturn.Errorf(keyturn.ErrInvalid, "Give AccountId or AllAccounts, not both.")
	case all:
		return "", nil
	case account != "" && !accountRE.MatchString(account):
		return "", keyturn.Errorf(keyturn.ErrInvalid, "AccountId %q is invalid: an account id has 12 digits.", account)
	case account != "":
		return account, nil
	}
	return c.AccountID, nil
}

// trusted refuses callers that may not read or replace other users'
// credentials, which snapshots hold: only operators, or anyone on a
// development server, may.
func (h *Handler) trusted(c engine.Caller) error {
	if h.dev == nil && !c.Operator {
		return keyturn.Errorf(keyturn.ErrAccessDenied,
			"Snapshots hold approvers' credentials, so only operator credentials may export or import them on this server.")
	}
	return nil
}

func (h *Handler) exportSnapshot(ctx context.Context, c engine.Caller, r *request) (any, error) {
	if err := h.trusted(c); err != nil {
		return nil, err
	}
	account, err := snapshotAccount(c, r)
	if err != nil {
		return nil, err
	}
	return h.engine.Export(ctx, account)
}

func (h *Handler) importSnapshot(ctx context.Context, c engine.Caller, r *request) (any, error) {
	if err := h.trusted(c); err != nil {
		return nil, err
	}
	var snap keyturn.Snapshot
	if err := r.decode(&snap); err != nil {
		return nil, keyturn.Errorf(keyturn.ErrInvalid, "The request body is not a Keyturn snapshot file: %s", keyturn.Message(err))
	}
	replace := r.URL.Query().Get("Replace") == "true"
	res, err := h.engine.Import(ctx, &snap, replace)
	if err != nil {
		return nil, err
	}
	if h.dev != nil && h.dev.ClockNow().Before(snap.WorkflowTime) {
		// Records from a clock that ran ahead must not lie in the future.
		if _, err := h.dev.SetClock(ctx, snap.WorkflowTime, h.dev.ClockFrozen()); err != nil {
			return nil, err
		}
	}
	return res, nil
}
