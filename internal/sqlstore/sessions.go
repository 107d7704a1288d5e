package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/keyturn/keyturn"
)

// Votes live in their own table, whose key (session, approver) makes a
// second vote of one approver fail in the database itself. Session
// documents are stored without them.

func sessionDoc(s *keyturn.Session) (string, error) {
	c := *s
	c.Votes = nil
	c.Seq = 0
	return encode(&c)
}

func (t *tx) CreateSession(ctx context.Context, s *keyturn.Session) error {
	if err := t.checkWritable(); err != nil {
		return err
	}
	doc, err := sessionDoc(s)
	if err != nil {
		return err
	}
	var seq int64
	err = t.get(ctx, `INSERT INTO sessions (arn, team_arn, action_name, status, initiation_time, expiration_time,
			requester_account_id, client_token, doc)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
		[]any{s.Arn, s.TeamArn, s.ActionName, string(s.Status), nanos(s.InitiationTime), nanos(s.ExpirationTime),
			s.RequesterAccountID, s.ClientToken, doc}, &seq)
	if err != nil {
		return err
	}
	s.Seq = seq
	return nil
}

func scanSession(scan scanner) (*keyturn.Session, error) {
	var seq int64
	var doc string
	if err := scan(&seq, &doc); err != nil {
		return nil, err
	}
	s := new(keyturn.Session)
	if err := decode(doc, s); err != nil {
		return nil, err
	}
	s.Seq = seq
	return s, nil
}

// withVotes loads the votes of each session.
func (t *tx) withVotes(ctx context.Context, sessions ...*keyturn.Session) error {
	for _, s := range sessions {
		votes, err := queryAll(ctx, t, scanDoc[keyturn.Vote],
			`SELECT doc FROM votes WHERE session_arn = ? ORDER BY voted_at, approver_id`, s.Arn)
		if err != nil {
			return err
		}
		s.Votes = make([]keyturn.Vote, len(votes))
		for i, v := range votes {
			s.Votes[i] = *v
		}
	}
	return nil
}

func (t *tx) GetSession(ctx context.Context, arn string) (*keyturn.Session, error) {
	s, err := queryOne(ctx, t, scanSession, `SELECT seq, doc FROM sessions WHERE arn = ?`, arn)
	if err != nil {
		return nil, err
	}
	return s, t.withVotes(ctx, s)
}

func (t *tx) GetSessionByClientToken(ctx context.Context, teamArn, requesterAccount, token string) (*keyturn.Session, error) {
	s, err := queryOne(ctx, t, scanSession, `SELECT seq, doc FROM sessions
		WHERE team_arn = ? AND requester_account_id = ? AND client_token = ? AND client_token <> ''`, teamArn, requesterAccount, token)
	if err != nil {
		return nil, err
	}
	return s, t.withVotes(ctx, s)
}

func (t *tx) UpdateSession(ctx context.Context, s *keyturn.Session) error {
	doc, err := sessionDoc(s)
	if err != nil {
		return err
	}
	return mustAffect(t.exec(ctx, `UPDATE sessions SET status = ?, expiration_time = ?, doc = ? WHERE arn = ?`,
		string(s.Status), nanos(s.ExpirationTime), doc, s.Arn))
}

func (t *tx) AddVote(ctx context.Context, sessionArn string, v keyturn.Vote) error {
	doc, err := encode(&v)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO votes (session_arn, approver_id, voted_at, doc) VALUES (?, ?, ?, ?)`,
		sessionArn, v.ApproverID, nanos(v.Time), doc)
	return err
}

func (t *tx) PendingSessions(ctx context.Context, teamArn string) ([]*keyturn.Session, error) {
	sessions, err := queryAll(ctx, t, scanSession, `SELECT seq, doc FROM sessions WHERE team_arn = ? AND status = 'PENDING'
		ORDER BY initiation_time DESC, seq DESC`, teamArn)
	if err != nil {
		return nil, err
	}
	return sessions, t.withVotes(ctx, sessions...)
}

func (t *tx) DueSessions(ctx context.Context, now time.Time, limit int) ([]string, error) {
	return scanStrings(t.query(ctx, `SELECT arn FROM sessions WHERE status = 'PENDING' AND expiration_time <= ?
		ORDER BY expiration_time LIMIT ?`, nanos(now), limit))
}

// ListSessions pages through a team's sessions along the index on
// (team_arn, initiation_time, seq). Each page starts from the cursor, so its
// cost does not grow with its depth.
func (t *tx) ListSessions(ctx context.Context, q keyturn.SessionQuery) ([]*keyturn.Session, error) {
	where := []string{"team_arn = ?"}
	args := []any{q.TeamArn}
	for _, f := range q.Filters {
		clause, fargs, err := t.filterClause(f, nanos(q.Now))
		if err != nil {
			return nil, err
		}
		where = append(where, clause)
		args = append(args, fargs...)
	}
	if !q.After.IsZero() {
		// The first bound is implied by the second, but unlike the OR it
		// lets both databases start the index scan at the cursor. Without
		// it, SQLite reads every session after the cursor and sorts them.
		at := nanos(q.After.Time)
		where = append(where, "initiation_time <= ?", "(initiation_time < ? OR (initiation_time = ? AND seq < ?))")
		args = append(args, at, at, at, q.After.Seq)
	}
	query := `SELECT seq, doc FROM sessions WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY initiation_time DESC, seq DESC LIMIT ?`
	args = append(args, q.Limit)
	return queryAll(ctx, t, scanSession, query, args...)
}

// filterClause returns the SQL condition of one filter. Status conditions
// treat a PENDING session whose expiration time is not after now as FAILED.
func (t *tx) filterClause(f keyturn.SessionFilter, now int64) (string, []any, error) {
	const (
		livePending    = "(status = 'PENDING' AND expiration_time > ?)"
		expiredPending = "(status = 'PENDING' AND expiration_time <= ?)"
	)
	switch f.Field {
	case keyturn.FieldActionName:
		switch f.Op {
		case keyturn.OpEQ:
			return "action_name = ?", []any{f.Value}, nil
		case keyturn.OpNE:
			return "action_name <> ?", []any{f.Value}, nil
		case keyturn.OpContains:
			return t.d.contains("action_name"), []any{f.Value}, nil
		case keyturn.OpNotContains:
			return "NOT " + t.d.contains("action_name"), []any{f.Value}, nil
		}
	case keyturn.FieldSessionStatus:
		var clause string
		var args []any
		switch keyturn.SessionStatus(f.Value) {
		case keyturn.SessionPending:
			clause, args = livePending, []any{now}
		case keyturn.SessionFailed:
			clause, args = "(status = 'FAILED' OR "+expiredPending+")", []any{now}
		default:
			clause, args = "status = ?", []any{f.Value}
		}
		switch f.Op {
		case keyturn.OpEQ:
			return clause, args, nil
		case keyturn.OpNE:
			return "NOT " + clause, args, nil
		}
	case keyturn.FieldInitiationTime:
		from, to := nanos(f.From), nanos(f.To)
		switch f.Op {
		case keyturn.OpGT:
			return "initiation_time > ?", []any{from}, nil
		case keyturn.OpGTE:
			return "initiation_time >= ?", []any{from}, nil
		case keyturn.OpLT:
			return "initiation_time < ?", []any{from}, nil
		case keyturn.OpLTE:
			return "initiation_time <= ?", []any{from}, nil
		case keyturn.OpBetween:
			return "initiation_time >= ? AND initiation_time <= ?", []any{from, to}, nil
		}
	}
	return "", nil, fmt.Errorf("sqlstore: unsupported session filter %s %s", f.Field, f.Op)
}
