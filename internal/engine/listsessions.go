package engine

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/keyturn/keyturn"
)

// FilterInput is one ListSessions filter as the client sent it. Empty
// members are missing ones.
type FilterInput struct {
	FieldName string
	Operator  string
	Value     string
}

// supportedFilters states what ListSessions accepts, for error messages.
const supportedFilters = "ActionName with EQ, NE, CONTAINS or NOT_CONTAINS; SessionStatus with EQ or NE; InitiationTime with GT, LT, GTE, LTE or BETWEEN"

// betweenRE splits a BETWEEN value, "<time> AND <time>", with AND in any
// case.
var betweenRE = regexp.MustCompile(`^\s*(\S+)\s+(?i:and)\s+(\S+)\s*$`)

// CompileFilters checks ListSessions filters and turns them into store
// filters. Every filter must hold for a session to be listed.
func CompileFilters(filters []FilterInput) ([]keyturn.SessionFilter, error) {
	out := make([]keyturn.SessionFilter, 0, len(filters))
	for i, f := range filters {
		fail := func(format string, args ...any) error {
			return keyturn.Errorf(keyturn.ErrInvalid, "Filters[%d]: %s", i, fmt.Sprintf(format, args...))
		}
		switch {
		case f.FieldName == "":
			return nil, fail("FieldName is missing. Supported filters: %s.", supportedFilters)
		case f.Operator == "":
			return nil, fail("Operator is missing. Supported filters: %s.", supportedFilters)
		}
		sf := keyturn.SessionFilter{Field: f.FieldName, Op: f.Operator}
		switch f.FieldName {
		case keyturn.FieldActionName:
			switch f.Operator {
			case keyturn.OpEQ, keyturn.OpNE, keyturn.OpContains, keyturn.OpNotContains:
			default:
				return nil, fail("operator %s is not supported for ActionName; use EQ, NE, CONTAINS or NOT_CONTAINS.", f.Operator)
			}
			if f.Value == "" {
				// An empty CONTAINS would match every session.
				return nil, fail("Value is missing: give the action name to compare, such as deploy:PromoteToProduction.")
			}
			sf.Value = f.Value
		case keyturn.FieldSessionStatus:
			if f.Operator != keyturn.OpEQ && f.Operator != keyturn.OpNE {
				return nil, fail("operator %s is not supported for SessionStatus; use EQ or NE.", f.Operator)
			}
			switch keyturn.SessionStatus(f.Value) {
			case keyturn.SessionPending, keyturn.SessionCancelled, keyturn.SessionApproved, keyturn.SessionFailed, keyturn.SessionCreating:
			default:
				if f.Value == "" {
					return nil, fail("Value is missing: give a session status, such as APPROVED.")
				}
				return nil, fail("Value %q is not a session status; use PENDING, CANCELLED, APPROVED, FAILED or CREATING.", f.Value)
			}
			sf.Value = f.Value
		case keyturn.FieldInitiationTime:
			var err error
			switch f.Operator {
			case keyturn.OpGT, keyturn.OpLT, keyturn.OpGTE, keyturn.OpLTE:
				sf.From, err = parseFilterTime(f.Value)
				if err != nil {
					return nil, fail("%v", err)
				}
			case keyturn.OpBetween:
				m := betweenRE.FindStringSubmatch(f.Value)
				if m == nil {
					return nil, fail("Value %q is invalid for BETWEEN: use \"<time> AND <time>\", such as \"2025-01-01T00:00:00Z AND 2025-02-01T00:00:00Z\".", f.Value)
				}
				if sf.From, err = parseFilterTime(m[1]); err != nil {
					return nil, fail("%v", err)
				}
				if sf.To, err = parseFilterTime(m[2]); err != nil {
					return nil, fail("%v", err)
				}
				if sf.To.Before(sf.From) {
					return nil, fail("the BETWEEN range %q is reversed: its start is after its end.", f.Value)
				}
			default:
				return nil, fail("operator %s is not supported for InitiationTime; use GT, LT, GTE, LTE or BETWEEN.", f.Operator)
			}
		default:
			return nil, fail("field %s is not supported by ListSessions. Supported filters: %s.", f.FieldName, supportedFilters)
		}
		out = append(out, sf)
	}
	return out, nil
}

// The range of filter times. Stores compare times as Unix nanoseconds,
// which an int64 holds only for the years 1678 to 2262, and no session
// starts outside this narrower range.
var (
	minFilterTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxFilterTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// parseFilterTime parses an RFC 3339 time, with or without fractional
// seconds, in UTC or with an offset, between minFilterTime and
// maxFilterTime.
func parseFilterTime(v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(v))
	if err != nil {
		return time.Time{}, fmt.Errorf("Value %q is not an ISO 8601 time such as 2025-03-11T00:04:14Z or 2025-03-11T00:04:14.495Z", v)
	}
	if t.Before(minFilterTime) || t.After(maxFilterTime) {
		return time.Time{}, fmt.Errorf("Value %q is out of range: times must be from %s to %s",
			v, minFilterTime.Format(time.RFC3339), maxFilterTime.Format(time.RFC3339))
	}
	return t.UTC(), nil
}

// filterKey is a canonical text of compiled filters, which binds pagination
// tokens to them.
func filterKey(filters []keyturn.SessionFilter) string {
	var b strings.Builder
	for _, f := range filters {
		fmt.Fprintf(&b, "%s\x1f%s\x1f%s\x1f%d\x1f%d\x1e", f.Field, f.Op, f.Value, f.From.UnixNano(), f.To.UnixNano())
	}
	return b.String()
}

// ListSessions returns one page of a team's sessions that match every
// filter, newest first. Sessions that have expired but whose expiry is not
// yet stored are listed, and filtered, as FAILED.
func (e *Engine) ListSessions(ctx context.Context, c Caller, teamArn string, filters []FilterInput, p Page) ([]*keyturn.Session, string, error) {
	if err := checkOwner(c, teamArn, "Approval team"); err != nil {
		return nil, "", err
	}
	compiled, err := CompileFilters(filters)
	if err != nil {
		return nil, "", err
	}
	bind := binding("ListSessions", c.AccountID, c.Region, teamArn, filterKey(compiled))
	after, err := e.decodeToken(ctx, bind, p.NextToken)
	if err != nil {
		return nil, "", err
	}
	now := e.Now()
	var sessions []*keyturn.Session
	err = e.store.View(ctx, func(tx keyturn.Tx) error {
		sessions, err = tx.ListSessions(ctx, keyturn.SessionQuery{
			TeamArn: teamArn,
			Now:     now,
			Filters: compiled,
			After:   after,
			Limit:   p.limit() + 1,
		})
		return orNotFound(err, "Approval team", teamArn)
	})
	if err != nil {
		return nil, "", err
	}
	for i, s := range sessions {
		sessions[i] = s.Effective(now)
	}
	return pageOf(ctx, e, bind, sessions, p.limit(), func(s *keyturn.Session) keyturn.Cursor {
		return keyturn.Cursor{Time: s.InitiationTime, Seq: s.Seq}
	})
}
