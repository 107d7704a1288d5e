package sqlstore

import (
	"context"
	"time"

	"github.com/keyturn/keyturn"
)

// This file holds the small records: meta values, identity sources, users,
// credentials, one-time codes, tags and idempotency records.

func (t *tx) GetMeta(ctx context.Context, key string) (string, error) {
	var v string
	err := t.get(ctx, `SELECT value FROM meta WHERE key = ?`, []any{key}, &v)
	return v, err
}

func (t *tx) PutMeta(ctx context.Context, key, value string) error {
	_, err := t.exec(ctx, `INSERT INTO meta (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

func (t *tx) CreateMeta(ctx context.Context, key, value string) error {
	_, err := t.exec(ctx, `INSERT INTO meta (key, value) VALUES (?, ?)`, key, value)
	return err
}

func (t *tx) CreateIdentitySource(ctx context.Context, s *keyturn.IdentitySource) error {
	doc, err := encode(s)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO identity_sources (account_id, region, arn, doc) VALUES (?, ?, ?, ?)`,
		s.AccountID, s.Region, s.Arn, doc)
	return err
}

// GetIdentitySource also locks the row in a read-write transaction, which
// serialises changes that depend on the account's identity source, such as
// creating teams against the team quota.
func (t *tx) GetIdentitySource(ctx context.Context, account, region string) (*keyturn.IdentitySource, error) {
	return queryOne(ctx, t, scanDoc[keyturn.IdentitySource], `SELECT doc FROM identity_sources WHERE account_id = ? AND region = ?`+t.lockSuffix(), account, region)
}

func (t *tx) UpdateIdentitySource(ctx context.Context, s *keyturn.IdentitySource) error {
	doc, err := encode(s)
	if err != nil {
		return err
	}
	return mustAffect(t.exec(ctx, `UPDATE identity_sources SET doc = ? WHERE account_id = ? AND region = ?`, doc, s.AccountID, s.Region))
}

func (t *tx) DeleteIdentitySource(ctx context.Context, account, region string) error {
	return mustAffect(t.exec(ctx, `DELETE FROM identity_sources WHERE account_id = ? AND region = ?`, account, region))
}

func (t *tx) ListIdentitySources(ctx context.Context, account, region string) ([]*keyturn.IdentitySource, error) {
	return queryAll(ctx, t, scanDoc[keyturn.IdentitySource],
		`SELECT doc FROM identity_sources WHERE account_id = ? AND region = ? ORDER BY arn`, account, region)
}

func (t *tx) CreateUser(ctx context.Context, u *keyturn.User) error {
	doc, err := encode(u)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO users (account_id, region, id, user_name, doc) VALUES (?, ?, ?, ?, ?)`,
		u.AccountID, u.Region, u.ID, u.UserName, doc)
	return err
}

func (t *tx) GetUser(ctx context.Context, account, region, id string) (*keyturn.User, error) {
	return queryOne(ctx, t, scanDoc[keyturn.User], `SELECT doc FROM users WHERE account_id = ? AND region = ? AND id = ?`, account, region, id)
}

func (t *tx) GetUserByName(ctx context.Context, account, region, userName string) (*keyturn.User, error) {
	return queryOne(ctx, t, scanDoc[keyturn.User], `SELECT doc FROM users WHERE account_id = ? AND region = ? AND user_name = ?`, account, region, userName)
}

func (t *tx) UpdateUser(ctx context.Context, u *keyturn.User) error {
	doc, err := encode(u)
	if err != nil {
		return err
	}
	return mustAffect(t.exec(ctx, `UPDATE users SET doc = ?, user_name = ? WHERE account_id = ? AND region = ? AND id = ?`,
		doc, u.UserName, u.AccountID, u.Region, u.ID))
}

func (t *tx) DeleteUser(ctx context.Context, account, region, id string) error {
	return mustAffect(t.exec(ctx, `DELETE FROM users WHERE account_id = ? AND region = ? AND id = ?`, account, region, id))
}

func (t *tx) ListUsers(ctx context.Context, account, region string, after keyturn.Cursor, limit int) ([]*keyturn.User, error) {
	return queryAll(ctx, t, scanDoc[keyturn.User],
		`SELECT doc FROM users WHERE account_id = ? AND region = ? AND user_name > ? ORDER BY user_name LIMIT ?`,
		account, region, after.Key, limit)
}

func (t *tx) CreateCredential(ctx context.Context, c *keyturn.Credential) error {
	doc, err := encode(c)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO credentials (id, account_id, region, user_id, kind, hash, doc) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.AccountID, c.Region, c.UserID, c.Kind, c.Hash, doc)
	return err
}

// GetCredentialByHash also locks the row in a read-write transaction, so
// that two transactions cannot both use one enrolment code. A transaction
// that waited for the lock reads the row as the other one committed it, and
// gets ErrNotFound if that one deleted it.
func (t *tx) GetCredentialByHash(ctx context.Context, kind, hash string) (*keyturn.Credential, error) {
	return queryOne(ctx, t, scanDoc[keyturn.Credential], `SELECT doc FROM credentials WHERE kind = ? AND hash = ? AND hash <> ''`+t.lockSuffix(), kind, hash)
}

// ListCredentials also locks the rows in a read-write transaction, so that
// the failure counts and replay counters of second factors are read,
// changed and written back by one transaction at a time. The rows are
// locked in id order.
//
// NOTE: transactions that lock the credentials of several users in
// different orders, such as two teams synchronising MFA devices, can
// deadlock on PostgreSQL. Update runs such a transaction again.
func (t *tx) ListCredentials(ctx context.Context, account, region, userID string) ([]*keyturn.Credential, error) {
	return queryAll(ctx, t, scanDoc[keyturn.Credential],
		`SELECT doc FROM credentials WHERE account_id = ? AND region = ? AND user_id = ? ORDER BY id`+t.lockSuffix(), account, region, userID)
}

func (t *tx) UpdateCredential(ctx context.Context, c *keyturn.Credential) error {
	doc, err := encode(c)
	if err != nil {
		return err
	}
	return mustAffect(t.exec(ctx, `UPDATE credentials SET doc = ?, hash = ? WHERE id = ?`, doc, c.Hash, c.ID))
}

func (t *tx) DeleteCredential(ctx context.Context, id string) error {
	return mustAffect(t.exec(ctx, `DELETE FROM credentials WHERE id = ?`, id))
}

func (t *tx) CreateOneTimeCode(ctx context.Context, c *keyturn.OneTimeCode) error {
	doc, err := encode(c)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO one_time_codes (id, account_id, user_id, purpose, created_at, doc) VALUES (?, ?, ?, ?, ?, ?)`,
		c.ID, c.AccountID, c.UserID, c.Purpose, nanos(c.CreatedAt), doc)
	return err
}

// LatestOneTimeCode also locks the row in a read-write transaction, so that
// concurrent checks of one code count every wrong attempt and spend the
// code once.
func (t *tx) LatestOneTimeCode(ctx context.Context, userID, purpose string) (*keyturn.OneTimeCode, error) {
	return queryOne(ctx, t, scanDoc[keyturn.OneTimeCode], `SELECT doc FROM one_time_codes WHERE user_id = ? AND purpose = ?
		ORDER BY created_at DESC, id DESC LIMIT 1`+t.lockSuffix(), userID, purpose)
}

func (t *tx) UpdateOneTimeCode(ctx context.Context, c *keyturn.OneTimeCode) error {
	doc, err := encode(c)
	if err != nil {
		return err
	}
	return mustAffect(t.exec(ctx, `UPDATE one_time_codes SET doc = ? WHERE id = ?`, doc, c.ID))
}

func (t *tx) GetTags(ctx context.Context, resourceArn string) (map[string]string, error) {
	rows, err := t.query(ctx, `SELECT key, value FROM tags WHERE resource_arn = ?`, resourceArn)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	tags := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		tags[k] = v
	}
	return tags, rows.Err()
}

func (t *tx) SetTags(ctx context.Context, resourceArn string, tags map[string]string) error {
	if _, err := t.exec(ctx, `DELETE FROM tags WHERE resource_arn = ?`, resourceArn); err != nil {
		return err
	}
	for k, v := range tags {
		if _, err := t.exec(ctx, `INSERT INTO tags (resource_arn, key, value) VALUES (?, ?, ?)`, resourceArn, k, v); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) GetIdempotencyRecord(ctx context.Context, key string) (*keyturn.IdempotencyRecord, error) {
	r := &keyturn.IdempotencyRecord{Key: key}
	var result string
	var created int64
	err := t.get(ctx, `SELECT request_hash, result, created_at FROM idempotency_records WHERE key = ?`, []any{key},
		&r.RequestHash, &result, &created)
	if err != nil {
		return nil, err
	}
	r.Result = []byte(result)
	if created != 0 {
		r.CreationTime = time.Unix(0, created).UTC()
	}
	return r, nil
}

// PutIdempotencyRecord stores the result as text.
//
// NOTE: PostgreSQL rejects a result that is not valid UTF-8 or that
// contains a NUL byte, which SQLite accepts. The engine stores JSON only.
func (t *tx) PutIdempotencyRecord(ctx context.Context, r *keyturn.IdempotencyRecord) error {
	_, err := t.exec(ctx, `INSERT INTO idempotency_records (key, request_hash, result, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET request_hash = excluded.request_hash, result = excluded.result, created_at = excluded.created_at`,
		r.Key, r.RequestHash, string(r.Result), nanos(r.CreationTime))
	return err
}

func (t *tx) DeleteIdempotencyRecords(ctx context.Context, before time.Time) error {
	_, err := t.exec(ctx, `DELETE FROM idempotency_records WHERE created_at < ?`, nanos(before))
	return err
}

func (t *tx) DeleteAccount(ctx context.Context, account string) error {
	if account == "" {
		for _, table := range []string{"identity_sources", "users", "credentials", "one_time_codes", "teams",
			"sessions", "votes", "policy_versions", "tags", "idempotency_records"} {
			if _, err := t.exec(ctx, `DELETE FROM `+table); err != nil {
				return err
			}
		}
		return nil
	}
	// Resource ARNs name their account in the fifth field.
	arns := "arn:aws:mpa:%:" + account + ":%"
	statements := []struct {
		query string
		arg   string
	}{
		{`DELETE FROM one_time_codes WHERE account_id = ?`, account},
		{`DELETE FROM credentials WHERE account_id = ?`, account},
		{`DELETE FROM users WHERE account_id = ?`, account},
		{`DELETE FROM identity_sources WHERE account_id = ?`, account},
		{`DELETE FROM teams WHERE account_id = ?`, account},
		{`DELETE FROM votes WHERE session_arn LIKE ?`, arns},
		{`DELETE FROM sessions WHERE team_arn LIKE ?`, arns},
		{`DELETE FROM tags WHERE resource_arn LIKE ?`, arns},
		{`DELETE FROM idempotency_records WHERE key LIKE ?`, account + "|%"},
	}
	for _, s := range statements {
		if _, err := t.exec(ctx, s.query, s.arg); err != nil {
			return err
		}
	}
	return nil
}
