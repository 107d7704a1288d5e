package sqlstore

import (
	"context"
	"database/sql"
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

// summary returns the session's ListSessions entry and its format, or
// NULLs when the store has no summarizer.
func (t *tx) summary(s *keyturn.Session) (sql.NullString, sql.NullInt64, error) {
	if t.summarizer == nil {
		return sql.NullString{}, sql.NullInt64{}, nil
	}
	b, err := t.summarizer.Encode(s)
	if err != nil {
		return sql.NullString{}, sql.NullInt64{}, fmt.Errorf("sqlstore: encode the summary of session %s: %w", s.Arn, err)
	}
	return sql.NullString{String: string(b), Valid: true}, sql.NullInt64{Int64: int64(t.summarizer.Format), Valid: true}, nil
}

func (t *tx) CreateSession(ctx context.Context, s *keyturn.Session) error {
	if err := t.checkWritable(); err != nil {
		return err
	}
	doc, err := sessionDoc(s)
	if err != nil {
		return err
	}
	summary, format, err := t.summary(s)
	if err != nil {
		return err
	}
	var seq int64
	err = t.get(ctx, `INSERT INTO sessions (arn, team_arn, action_name, status, initiation_time, expiration_time,
			requester_account_id, client_token, doc, summary, summary_format)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
		[]any{s.Arn, s.TeamArn, s.ActionName, string(s.Status), nanos(s.InitiationTime), nanos(s.ExpirationTime),
			s.RequesterAccountID, s.ClientToken, doc, summary, format}, &seq)
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
	summary, format, err := t.summary(s)
	if err != nil {
		return err
	}
	return mustAffect(t.exec(ctx, `UPDATE sessions SET status = ?, expiration_time = ?, doc = ?, summary = ?, summary_format = ?
		WHERE arn = ?`,
		string(s.Status), nanos(s.ExpirationTime), doc, summary, format, s.Arn))
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
	var one int
	if err := t.get(ctx, `SELECT 1 FROM teams WHERE arn = ?`, []any{q.TeamArn}, &one); err != nil {
		return nil, err
	}
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
	if t.summarizer == nil {
		query := `SELECT seq, doc FROM sessions WHERE ` + strings.Join(where, " AND ") +
			` ORDER BY initiation_time DESC, seq DESC LIMIT ?`
		args = append(args, q.Limit)
		return queryAll(ctx, t, scanSession, query, args...)
	}

	// With a summarizer, a row's stored entry is returned as it is, unless
	// it is missing, of another format, or shows a PENDING status that has
	// expired by now: then the document is read too, for the caller to
	// build the entry.
	query := `SELECT seq, arn, initiation_time, expiration_time, status, summary,
			CASE WHEN summary IS NULL OR summary_format IS NULL OR summary_format <> ?
				OR (status = 'PENDING' AND expiration_time <= ?) THEN doc END
		FROM sessions WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY initiation_time DESC, seq DESC LIMIT ?`
	args = append([]any{t.summarizer.Format, nanos(q.Now)}, args...)
	args = append(args, q.Limit)
	return queryAll(ctx, t, scanSummary, query, args...)
}

// scanSummary reads a row of the summarized ListSessions query: the stored
// entry with the fields that order and judge it, or the whole document.
func scanSummary(scan scanner) (*keyturn.Session, error) {
	var (
		seq, initiated, expires int64
		arn, status             string
		summary                 []byte
		doc                     sql.NullString
	)
	if err := scan(&seq, &arn, &initiated, &expires, &status, &summary, &doc); err != nil {
		return nil, err
	}
	if doc.Valid {
		s := new(keyturn.Session)
		if err := decode(doc.String, s); err != nil {
			return nil, err
		}
		s.Seq = seq
		return s, nil
	}
	return &keyturn.Session{
		Arn:            arn,
		Seq:            seq,
		InitiationTime: time.Unix(0, initiated).UTC(),
		ExpirationTime: time.Unix(0, expires).UTC(),
		Status:         keyturn.SessionStatus(status),
		Summary:        summary,
	}, nil
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
