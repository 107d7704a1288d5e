package engine

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/keyturn/keyturn"
)

// StartSessionInput asks a team to approve a protected operation.
type StartSessionInput struct {
	TeamArn              string
	ActionName           string
	ProtectedResourceArn string
	Description          string
	Metadata             map[string]string
	RequesterComment     string
	// Duration is the session's lifetime. Zero means the server's default,
	// 24 hours unless configured otherwise.
	Duration                       time.Duration
	AdditionalSecurityRequirements []string
	// ClientToken makes the request idempotent: a replay with the same
	// token and parameters within 24 hours returns the first session. The
	// token stays taken after that, so a later replay gets ErrConflict.
	ClientToken string
}

var metadataRE = regexp.MustCompile(`^[a-zA-Z0-9\p{P}]*$`)

// actionNameRE is the form of a policy action, service:Operation, in the
// characters that policy actions use. Approvers read the action name to
// decide, so it has no room for spaces, control characters or look-alike
// letters from other scripts.
var actionNameRE = regexp.MustCompile(`^[a-zA-Z0-9_.-]+:[a-zA-Z0-9_.-]+$`)

// controlCharacter returns the first C0 or C1 control character in s, tab
// and line breaks included. Approvers read session fields in terminals and
// e-mail, where such characters can hide or rewrite text.
func controlCharacter(s string) (rune, bool) {
	for _, r := range s {
		if unicode.IsControl(r) {
			return r, true
		}
	}
	return 0, false
}

// validate applies the session shape's limits from the MPA model to the
// input, and Keyturn's own bounds where the model has none.
func (in *StartSessionInput) validate(maxTTL time.Duration) error {
	fail := func(format string, args ...any) error { return keyturn.Errorf(keyturn.ErrInvalid, format, args...) }
	switch {
	case len(in.ActionName) > 500 || !actionNameRE.MatchString(in.ActionName):
		return fail("ActionName %q is invalid: it must have the form service:Operation, such as backup:CreateRestoreAccessBackupVault, "+
			"with letters, digits, '_', '.' and '-' on each side of the colon, and at most 500 characters.", in.ActionName)
	case utf8.RuneCountInString(in.ProtectedResourceArn) > 1000:
		return fail("ProtectedResourceArn must be at most 1000 characters.")
	case utf8.RuneCountInString(in.Description) > 256:
		return fail("Description must be at most 256 characters.")
	case utf8.RuneCountInString(in.RequesterComment) > 200:
		return fail("RequesterComment must be at most 200 characters.")
	case len(in.Metadata) > 50:
		return fail("Metadata has %d entries; a session can have at most 50.", len(in.Metadata))
	case in.Duration < 0 || (in.Duration > 0 && in.Duration < time.Minute) || in.Duration > maxTTL:
		return fail("Duration %s is out of range: it must be between 1 minute and %s.", describeDuration(in.Duration), describeDuration(maxTTL))
	case len(in.AdditionalSecurityRequirements) > 100:
		return fail("AdditionalSecurityRequirements has %d items; at most 100 are allowed.", len(in.AdditionalSecurityRequirements))
	}
	texts := []struct{ name, value string }{
		{"ProtectedResourceArn", in.ProtectedResourceArn},
		{"Description", in.Description},
		{"RequesterComment", in.RequesterComment},
	}
	for _, text := range texts {
		if r, found := controlCharacter(text.value); found {
			return fail("%s contains the control character %U, which is not allowed. Remove control characters such as tabs and line breaks.", text.name, r)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(in.Metadata)) {
		v := in.Metadata[k]
		if n := utf8.RuneCountInString(k); n < 1 || n > 100 || !metadataRE.MatchString(k) {
			return fail("Metadata key %q is invalid: keys must be 1 to 100 letters, digits or punctuation.", k)
		}
		if n := utf8.RuneCountInString(v); n < 1 || n > 200 || !metadataRE.MatchString(v) {
			return fail("Metadata value of key %q is invalid: values must be 1 to 200 letters, digits or punctuation.", k)
		}
	}
	for i, r := range in.AdditionalSecurityRequirements {
		if r != keyturn.ApproverVerificationRequired {
			return fail("AdditionalSecurityRequirements[%d] %q is invalid: the only value is %s.", i, r, keyturn.ApproverVerificationRequired)
		}
	}
	return nil
}

// StartSession opens a session in which an ACTIVE team decides whether the
// caller may run a protected operation. The action must be one that a
// policy of the team protects. The requester's account, principal and
// region are the caller's, and the session keeps a snapshot of the team's
// approvers and threshold.
func (e *Engine) StartSession(ctx context.Context, c Caller, in StartSessionInput) (*keyturn.Session, error) {
	if err := e.CheckRequester(c); err != nil {
		return nil, err
	}
	if err := checkOwner(c, in.TeamArn, "Approval team"); err != nil {
		return nil, err
	}
	if err := in.validate(e.cfg.MaxSessionTTL); err != nil {
		return nil, err
	}
	now := e.Now()
	var out *keyturn.Session
	err := e.store.Update(ctx, func(tx keyturn.Tx) error {
		t, err := tx.LockTeam(ctx, in.TeamArn)
		if err != nil {
			return orNotFound(err, "Approval team", in.TeamArn)
		}
		if t, err = e.settleTeam(ctx, tx, t, now); err != nil {
			return err
		}
		if t == nil {
			return notFound("Approval team", in.TeamArn)
		}
		duration := in.Duration
		if duration == 0 {
			duration = e.cfg.SessionTTL
		}
		if in.ClientToken != "" {
			prior, err := tx.GetSessionByClientToken(ctx, t.Arn, c.AccountID, in.ClientToken)
			if err == nil {
				// A replay is an SDK retry or a client resuming after an
				// outage. Returning an old approval would let a client with
				// deterministic tokens run the operation again on it.
				if now.Sub(prior.InitiationTime) > idempotencyTTL {
					return keyturn.Errorf(keyturn.ErrConflict,
						"ClientToken %q was used for session %s more than %s ago. Use a new ClientToken for a new session.",
						in.ClientToken, prior.Arn, formatHours(idempotencyTTL))
				}
				if !sameRequest(prior, in, c, duration) {
					return keyturn.Errorf(keyturn.ErrConflict,
						"ClientToken %q was already used to start session %s with different parameters. Use a new ClientToken for a new session.", in.ClientToken, prior.Arn)
				}
				out = prior
				return nil
			}
			if !isNotFound(err) {
				return err
			}
		}
		if t.Status != keyturn.TeamActive {
			return keyturn.Errorf(keyturn.ErrConflict, "Approval team %s is %s (%s); only an ACTIVE team can approve sessions.", t.Arn, t.Status, t.StatusCode)
		}
		policies, err := resolvePolicies(ctx, tx, t.Policies, false)
		if err != nil {
			return err
		}
		var protecting *keyturn.PolicyVersion
		var protected []string
		for _, p := range policies {
			protected = append(protected, p.Actions...)
			if protecting == nil && p.Allows(in.ActionName) {
				protecting = p
			}
		}
		if protecting == nil {
			return keyturn.Errorf(keyturn.ErrInvalid,
				"ActionName %q is not protected by any policy of approval team %s. The team's policies protect: %s.",
				in.ActionName, t.Arn, strings.Join(protected, ", "))
		}

		s := e.teamSession(t, keyturn.KindOperation, in.ActionName, in.Description, c, now)
		s.ProtectedResourceArn = in.ProtectedResourceArn
		s.Metadata = in.Metadata
		s.RequesterComment = in.RequesterComment
		s.RequesterServicePrincipal = protecting.ServicePrincipal
		s.AdditionalSecurityRequirements = normalRequirements(in.AdditionalSecurityRequirements)
		s.ExpirationTime = now.Add(duration)
		s.ClientToken = in.ClientToken
		if err := tx.CreateSession(ctx, s); err != nil {
			return err
		}
		out = s
		return nil
	})
	if err == nil {
		e.log.InfoContext(ctx, "session started", "arn", out.Arn, "team_arn", out.TeamArn, "action", out.ActionName)
	}
	return out, err
}

// formatHours formats a whole number of hours, such as "24 hours".
func formatHours(d time.Duration) string {
	return fmt.Sprintf("%d hours", int(d/time.Hour))
}

// normalRequirements returns the security requirements sorted and without
// duplicates, as a session stores them.
func normalRequirements(requirements []string) []string {
	return slices.Compact(slices.Sorted(slices.Values(requirements)))
}

// sameRequest reports whether a session was started by the same request as
// in, so that a replay can return it. duration is the lifetime that in
// requests, with the default applied. The security requirements are
// compared too, because a replay that adds approver verification must not
// return a session without it.
func sameRequest(s *keyturn.Session, in StartSessionInput, c Caller, duration time.Duration) bool {
	return s.ActionName == in.ActionName &&
		s.ProtectedResourceArn == in.ProtectedResourceArn &&
		s.Description == in.Description &&
		s.RequesterComment == in.RequesterComment &&
		s.RequesterPrincipalArn == c.PrincipalArn &&
		maps.Equal(s.Metadata, in.Metadata) &&
		s.ExpirationTime.Sub(s.InitiationTime) == duration &&
		slices.Equal(s.AdditionalSecurityRequirements, normalRequirements(in.AdditionalSecurityRequirements))
}

// GetSession returns a session of the caller's account as it stands now.
func (e *Engine) GetSession(ctx context.Context, c Caller, arn string) (*keyturn.Session, error) {
	if err := checkOwner(c, arn, "Session"); err != nil {
		return nil, err
	}
	now := e.Now()
	var out *keyturn.Session
	err := e.store.View(ctx, func(tx keyturn.Tx) error {
		s, err := tx.GetSession(ctx, arn)
		if err != nil {
			return orNotFound(err, "Session", arn)
		}
		out = s.Effective(now)
		return nil
	})
	return out, err
}

// CancelSession cancels a PENDING session. Cancelling a team's update or
// deletion session drops that change and keeps the team's version.
// Cancelling a session that is already CANCELLED succeeds, because the
// operation is idempotent; any other final status gives ErrConflict.
func (e *Engine) CancelSession(ctx context.Context, c Caller, arn string) error {
	if err := checkOwner(c, arn, "Session"); err != nil {
		return err
	}
	teamArn, err := e.sessionTeam(ctx, arn)
	if err != nil {
		return err
	}
	return e.store.Update(ctx, func(tx keyturn.Tx) error {
		t, err := tx.LockTeam(ctx, teamArn)
		if err != nil && !isNotFound(err) {
			return err
		}
		// Read the time under the team's lock, as Vote does, so that no
		// vote counted before the cancellation is later than it.
		now := e.Now()
		s, err := tx.GetSession(ctx, arn)
		if err != nil {
			return orNotFound(err, "Session", arn)
		}
		switch {
		case s.Status == keyturn.SessionCancelled:
			return nil
		case s.Expired(now):
			return keyturn.Errorf(keyturn.ErrConflict, "Session %s expired at %s and can no longer be cancelled.", arn, s.ExpirationTime.Format(time.RFC3339))
		case s.Status != keyturn.SessionPending:
			return keyturn.Errorf(keyturn.ErrConflict, "Session %s is %s and can no longer be cancelled.", arn, describeStatus(s))
		}
		message := fmt.Sprintf("Cancelled by %s.", c.PrincipalArn)
		deleted, err := e.finishSession(ctx, tx, t, s, keyturn.SessionCancelled, "", message, now)
		if err != nil || deleted || t == nil {
			return err
		}
		return tx.UpdateTeam(ctx, t)
	})
}

// sessionTeam returns the ARN of the session's team.
func (e *Engine) sessionTeam(ctx context.Context, arn string) (string, error) {
	var teamArn string
	err := e.store.View(ctx, func(tx keyturn.Tx) error {
		s, err := tx.GetSession(ctx, arn)
		if err != nil {
			return orNotFound(err, "Session", arn)
		}
		teamArn = s.TeamArn
		return nil
	})
	return teamArn, err
}

// ReportExecution records whether the requester ran an approved operation.
// The status moves once from PENDING to EXECUTED or FAILED; repeating the
// final status succeeds, and changing it gives ErrConflict.
func (e *Engine) ReportExecution(ctx context.Context, c Caller, arn string, status keyturn.ExecutionStatus) (*keyturn.Session, error) {
	if status != keyturn.ExecutionExecuted && status != keyturn.ExecutionFailed {
		return nil, keyturn.Errorf(keyturn.ErrInvalid, "ExecutionStatus %q is invalid: report EXECUTED or FAILED.", status)
	}
	if err := checkOwner(c, arn, "Session"); err != nil {
		return nil, err
	}
	teamArn, err := e.sessionTeam(ctx, arn)
	if err != nil {
		return nil, err
	}
	var out *keyturn.Session
	err = e.store.Update(ctx, func(tx keyturn.Tx) error {
		if _, err := tx.LockTeam(ctx, teamArn); err != nil && !isNotFound(err) {
			return err
		}
		s, err := tx.GetSession(ctx, arn)
		if err != nil {
			return orNotFound(err, "Session", arn)
		}
		switch {
		case s.Kind != keyturn.KindOperation:
			return keyturn.Errorf(keyturn.ErrConflict, "Session %s decides a change to its team, which Keyturn applies itself; there is no execution to report.", arn)
		case s.Status != keyturn.SessionApproved:
			return keyturn.Errorf(keyturn.ErrConflict, "Session %s is %s; execution can be reported only for an APPROVED session.", arn, s.Effective(e.Now()).Status)
		case s.RequesterAccountID != c.AccountID:
			return keyturn.Errorf(keyturn.ErrAccessDenied, "Only the requester's account %s may report the execution of session %s.", s.RequesterAccountID, arn)
		case s.ExecutionStatus == status:
			out = s
			return nil
		case s.ExecutionStatus != keyturn.ExecutionPending:
			return keyturn.Errorf(keyturn.ErrConflict, "The execution of session %s was already reported as %s.", arn, s.ExecutionStatus)
		}
		s.ExecutionStatus = status
		out = s
		return tx.UpdateSession(ctx, s)
	})
	if err == nil {
		e.log.InfoContext(ctx, "session execution reported", "arn", arn, "execution_status", status)
	}
	return out, err
}
