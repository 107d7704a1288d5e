// Package engine implements Keyturn's approval workflow: every state machine
// and rule of identity sources, approval teams, sessions and votes, written
// once against keyturn.Store and an injected clock, so that every store
// behaves the same.
//
// Each exported method that changes state runs in one store transaction. A
// session's decision is taken inside the transaction that records the
// deciding vote, so concurrent votes yield exactly one decision.
package engine

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/keyturn/keyturn"
)

// Config holds the engine's settings. A zero field takes the default given
// in its comment.
type Config struct {
	// Clock drives the workflow. Default: the system clock.
	Clock keyturn.Clock
	// Random is the source of resource ids, tokens and codes. Default:
	// crypto/rand. A seeded source makes ids repeatable in tests, and must
	// never be used in production, because codes and tokens come from it
	// too.
	Random io.Reader
	// Logger receives workflow events. Default: slog.Default().
	Logger *slog.Logger
	// PortalURL is the base URL of the approval portal, reported as an
	// identity source's ApprovalPortalUrl. Default: http://127.0.0.1:8080/portal/.
	PortalURL string
	// InvitationTTL is how long approvers have to answer a team invitation.
	// Default: 24 hours, as in AWS.
	InvitationTTL time.Duration
	// SessionTTL is the lifetime of a session when the requester names
	// none, and of sessions that Keyturn starts for team updates,
	// deletions and baselines. Default: 24 hours, as in AWS.
	SessionTTL time.Duration
	// MaxSessionTTL bounds the duration a requester may ask for.
	// Default: 7 days.
	MaxSessionTTL time.Duration
	// MaxTeamsPerAccount is the quota of teams per account and region,
	// counting every status. Default: 100.
	MaxTeamsPerAccount int
	// MinApprovers and MinApprovals raise the smallest team size and
	// threshold above the API model's 1. The AWS console requires 3 and 2.
	// Default: 1 and 1.
	MinApprovers int
	MinApprovals int
	// MaxTagsPerResource is the number of tags a resource may carry.
	// Default: 50.
	MaxTagsPerResource int
	// EmailSender delivers e-mail one-time codes and enrolment codes. When
	// nil, e-mail factors cannot be enrolled.
	EmailSender EmailSender
	// Development enables what only development servers may do: the rules
	// that answer for approvers are applied only when it is set.
	Development bool
	// TeamChangesRequireVerification makes the sessions that decide a
	// team's update or deletion require approver verification, so that
	// every vote on them needs a second factor.
	TeamChangesRequireVerification bool
}

// EmailSender sends one e-mail message.
type EmailSender interface {
	SendEmail(ctx context.Context, to, subject, body string) error
}

// Engine runs the approval workflow on a store.
type Engine struct {
	store keyturn.Store
	cfg   Config
	log   *slog.Logger

	randMu sync.Mutex // guards cfg.Random, which need not be safe for concurrent use

	keyMu sync.Mutex
	key   []byte // authenticates pagination tokens; loaded on first use
}

// New returns an engine on the store. It does not touch the store until the
// first call.
func New(store keyturn.Store, cfg Config) *Engine {
	if cfg.Clock == nil {
		cfg.Clock = keyturn.SystemClock{}
	}
	if cfg.Random == nil {
		cfg.Random = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.PortalURL == "" {
		cfg.PortalURL = "http://127.0.0.1:8080/portal/"
	}
	if cfg.InvitationTTL == 0 {
		cfg.InvitationTTL = 24 * time.Hour
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 24 * time.Hour
	}
	if cfg.MaxSessionTTL == 0 {
		cfg.MaxSessionTTL = 7 * 24 * time.Hour
	}
	if cfg.MaxTeamsPerAccount == 0 {
		cfg.MaxTeamsPerAccount = 100
	}
	if cfg.MinApprovers == 0 {
		cfg.MinApprovers = 1
	}
	if cfg.MinApprovals == 0 {
		cfg.MinApprovals = 1
	}
	if cfg.MaxTagsPerResource == 0 {
		cfg.MaxTagsPerResource = 50
	}
	return &Engine{store: store, cfg: cfg, log: cfg.Logger}
}

// Store returns the engine's store.
func (e *Engine) Store() keyturn.Store { return e.store }

// Caller is an authenticated AWS principal: the signer of a request.
type Caller struct {
	AccountID    string
	Region       string
	PrincipalArn string
	// Operator callers may change the policy catalogue and move state in
	// and out with snapshots.
	Operator bool
	// IdentityAdmin callers may manage the identity store: users, their
	// enrolment codes, tokens and factors.
	IdentityAdmin bool
}

// RequireIdentityAdmin returns ErrAccessDenied unless the caller may
// manage the identity store.
func RequireIdentityAdmin(c Caller) error {
	if c.IdentityAdmin {
		return nil
	}
	return keyturn.Errorf(keyturn.ErrAccessDenied,
		"%s may not manage the identity store. Only credentials marked IdentityAdmin may create users or issue their enrolment codes.", c.PrincipalArn)
}

// CheckRequester returns ErrAccessDenied when the caller may not request
// approvals. Outside development, a principal that can issue enrolment
// codes, or import snapshots with credentials in them, could act as the
// approvers of its own request, so such principals may not start sessions.
func (e *Engine) CheckRequester(c Caller) error {
	if e.cfg.Development || (!c.IdentityAdmin && !c.Operator) {
		return nil
	}
	return keyturn.Errorf(keyturn.ErrAccessDenied,
		"%s may not start sessions: it is an identity administrator or an operator, and could act as the approvers of its own request. Start sessions with credentials that have neither permission.", c.PrincipalArn)
}

// Now returns the workflow clock's time in UTC, truncated to milliseconds:
// the precision of every time Keyturn stores and reports.
func (e *Engine) Now() time.Time {
	return e.cfg.Clock.Now().UTC().Truncate(time.Millisecond)
}

// newUUID returns a random UUID from the engine's random source.
func (e *Engine) newUUID() string {
	e.randMu.Lock()
	defer e.randMu.Unlock()
	id, err := uuid.NewRandomFromReader(e.cfg.Random)
	if err != nil {
		// crypto/rand does not fail on supported platforms, and a seeded
		// source never does.
		panic(fmt.Sprintf("engine: read random source: %v", err))
	}
	return id.String()
}

// randomBytes fills a new slice of n bytes from the random source.
func (e *Engine) randomBytes(n int) []byte {
	e.randMu.Lock()
	defer e.randMu.Unlock()
	b := make([]byte, n)
	if _, err := io.ReadFull(e.cfg.Random, b); err != nil {
		panic(fmt.Sprintf("engine: read random source: %v", err))
	}
	return b
}

// nextVersionID returns a version id for a new configuration of a team: the
// time in Unix milliseconds, as AWS forms them, raised above previous when
// needed so that version ids of a team always increase.
func nextVersionID(now time.Time, previous ...string) string {
	v := now.UnixMilli()
	for _, p := range previous {
		if n, err := strconv.ParseInt(p, 10, 64); err == nil && n >= v {
			v = n + 1
		}
	}
	return strconv.FormatInt(v, 10)
}

// checkOwner returns ErrNotFound unless the ARN belongs to the caller's
// account and region, so that callers cannot learn of other accounts'
// resources.
// An ARN that is not an MPA resource ARN at all is invalid rather than not
// found, which tells a caller who passed a name where an ARN belongs.
func checkOwner(c Caller, arn, kind string) error {
	r, ok := keyturn.ParseResourceARN(arn)
	if !ok && !strings.HasPrefix(arn, "arn:") {
		return keyturn.Errorf(keyturn.ErrInvalid,
			"%q is not the ARN of an MPA resource, such as %s. aws mpa list-approval-teams lists the teams' ARNs.",
			arn, keyturn.TeamArn(c.Region, c.AccountID, "name-0123"))
	}
	if !ok || r.AccountID != c.AccountID || r.Region != c.Region {
		return notFound(kind, arn)
	}
	return nil
}

// describeDuration writes a duration in the largest whole unit that fits
// it, as in "90 minutes" or "7 days", for messages.
func describeDuration(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%d hours", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
	return d.String()
}

func notFound(kind, arn string) *keyturn.Error {
	return keyturn.Errorf(keyturn.ErrNotFound, "%s %s was not found.", kind, arn)
}

// isNotFound reports whether err is a store's not-found error.
func isNotFound(err error) bool {
	return keyturn.Code(err) == keyturn.ErrNotFound
}

// orNotFound replaces a store's not-found error with one that names the
// resource as the caller asked for it.
func orNotFound(err error, kind, arn string) error {
	if isNotFound(err) {
		return notFound(kind, arn)
	}
	return err
}

// Reset deletes the state of one account, or of every account when account
// is empty, in which case the built-in policy catalogue is restored.
func (e *Engine) Reset(ctx context.Context, account string) error {
	err := e.store.Update(ctx, func(tx keyturn.Tx) error {
		return tx.DeleteAccount(ctx, account)
	})
	if err != nil {
		return err
	}
	e.log.InfoContext(ctx, "state reset", "account", account)
	if account == "" {
		return e.EnsureCatalogue(ctx)
	}
	return nil
}
