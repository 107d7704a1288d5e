package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/keyturn/keyturn"
)

func (t *tx) CreateTeam(ctx context.Context, team *keyturn.Team) error {
	if err := t.checkWritable(); err != nil {
		return err
	}
	team.Seq = 0
	doc, err := encode(team)
	if err != nil {
		return err
	}
	var seq int64
	err = t.get(ctx, `INSERT INTO teams (arn, account_id, region, created_at, next_deadline, doc)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING seq`,
		[]any{team.Arn, team.AccountID, team.Region, nanos(team.CreationTime), nullNanos(team.NextDeadline()), doc}, &seq)
	if err != nil {
		return err
	}
	team.Seq = seq
	return nil
}

// teamColumns are read with each team: the document does not hold the
// sequence number, which the database assigns.
const teamColumns = `seq, doc`

func scanTeam(scan scanner) (*keyturn.Team, error) {
	var seq int64
	var doc string
	if err := scan(&seq, &doc); err != nil {
		return nil, err
	}
	team := new(keyturn.Team)
	if err := decode(doc, team); err != nil {
		return nil, err
	}
	team.Seq = seq
	return team, nil
}

func (t *tx) getTeam(ctx context.Context, arn, suffix string) (*keyturn.Team, error) {
	return queryOne(ctx, t, scanTeam, `SELECT `+teamColumns+` FROM teams WHERE arn = ?`+suffix, arn)
}

func (t *tx) GetTeam(ctx context.Context, arn string) (*keyturn.Team, error) {
	return t.getTeam(ctx, arn, "")
}

func (t *tx) LockTeam(ctx context.Context, arn string) (*keyturn.Team, error) {
	return t.getTeam(ctx, arn, t.lockSuffix())
}

func (t *tx) UpdateTeam(ctx context.Context, team *keyturn.Team) error {
	doc, err := encode(team)
	if err != nil {
		return err
	}
	return mustAffect(t.exec(ctx, `UPDATE teams SET next_deadline = ?, doc = ? WHERE arn = ?`,
		nullNanos(team.NextDeadline()), doc, team.Arn))
}

func (t *tx) DeleteTeam(ctx context.Context, arn string) error {
	return mustAffect(t.exec(ctx, `DELETE FROM teams WHERE arn = ?`, arn))
}

func (t *tx) ListTeams(ctx context.Context, account, region string, after keyturn.Cursor, limit int) ([]*keyturn.Team, error) {
	query := `SELECT ` + teamColumns + ` FROM teams WHERE account_id = ? AND region = ?`
	args := []any{account, region}
	if !after.IsZero() {
		// created_at <= ? lets the index scan start at the cursor, as in
		// ListSessions.
		at := nanos(after.Time)
		query += ` AND created_at <= ? AND (created_at < ? OR (created_at = ? AND seq < ?))`
		args = append(args, at, at, at, after.Seq)
	}
	query += ` ORDER BY created_at DESC, seq DESC LIMIT ?`
	args = append(args, limit)
	return queryAll(ctx, t, scanTeam, query, args...)
}

func (t *tx) CountTeams(ctx context.Context, account, region string) (int, error) {
	var n int
	err := t.get(ctx, `SELECT COUNT(*) FROM teams WHERE account_id = ? AND region = ?`, []any{account, region}, &n)
	return n, err
}

func (t *tx) CountTeamsUsingIdentitySource(ctx context.Context, sourceArn string) (int, error) {
	r, ok := keyturn.ParseResourceARN(sourceArn)
	if !ok {
		return 0, nil
	}
	teams, err := queryAll(ctx, t, scanTeam, `SELECT `+teamColumns+` FROM teams WHERE account_id = ? AND region = ?`, r.AccountID, r.Region)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, team := range teams {
		if usesSource(team, sourceArn) {
			n++
		}
	}
	return n, nil
}

func usesSource(team *keyturn.Team, sourceArn string) bool {
	approvers := team.Approvers
	if team.PendingUpdate != nil {
		approvers = append(approvers[:len(approvers):len(approvers)], team.PendingUpdate.Approvers...)
	}
	for _, a := range approvers {
		if a.IdentitySourceArn == sourceArn {
			return true
		}
	}
	return false
}

func (t *tx) DueTeams(ctx context.Context, now time.Time, limit int) ([]string, error) {
	return scanStrings(t.query(ctx, `SELECT arn FROM teams WHERE next_deadline IS NOT NULL AND next_deadline <= ?
		ORDER BY next_deadline LIMIT ?`, nanos(now), limit))
}

func scanStrings(rows *sql.Rows, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
