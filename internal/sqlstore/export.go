package sqlstore

import (
	"context"

	"github.com/keyturn/keyturn"
)

func (t *tx) Export(ctx context.Context, account string) (*keyturn.Snapshot, error) {
	// Each query reads the account's rows, or every row when account is
	// empty: "? = ''" is true for every row then.
	const byAccount = ` WHERE (? = '' OR account_id = ?)`
	snap := &keyturn.Snapshot{AccountID: account}
	var err error
	if snap.IdentitySources, err = queryAll(ctx, t, scanDoc[keyturn.IdentitySource],
		`SELECT doc FROM identity_sources`+byAccount+` ORDER BY account_id, region`, account, account); err != nil {
		return nil, err
	}
	if snap.Users, err = queryAll(ctx, t, scanDoc[keyturn.User],
		`SELECT doc FROM users`+byAccount+` ORDER BY account_id, region, user_name`, account, account); err != nil {
		return nil, err
	}
	if snap.Credentials, err = queryAll(ctx, t, scanDoc[keyturn.Credential],
		`SELECT doc FROM credentials`+byAccount+` ORDER BY id`, account, account); err != nil {
		return nil, err
	}
	if snap.Teams, err = queryAll(ctx, t, scanTeam,
		`SELECT `+teamColumns+` FROM teams`+byAccount+` ORDER BY seq`, account, account); err != nil {
		return nil, err
	}

	// Sessions name their account in their ARN, whose fifth field it is.
	arns := "arn:aws:mpa:%"
	if account != "" {
		arns = "arn:aws:mpa:%:" + account + ":%"
	}
	if snap.Sessions, err = queryAll(ctx, t, scanSession,
		`SELECT seq, doc FROM sessions WHERE arn LIKE ? ORDER BY seq`, arns); err != nil {
		return nil, err
	}
	if err := t.withVotes(ctx, snap.Sessions...); err != nil {
		return nil, err
	}

	rows, err := t.query(ctx, `SELECT resource_arn, key, value FROM tags WHERE resource_arn LIKE ? ORDER BY resource_arn, key`, arns)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var arn, k, v string
		if err := rows.Scan(&arn, &k, &v); err != nil {
			return nil, err
		}
		if n := len(snap.Tags); n == 0 || snap.Tags[n-1].ResourceArn != arn {
			snap.Tags = append(snap.Tags, keyturn.ResourceTags{ResourceArn: arn, Tags: map[string]string{}})
		}
		snap.Tags[len(snap.Tags)-1].Tags[k] = v
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}

	if account == "" {
		if snap.Policies, err = queryAll(ctx, t, scanDoc[keyturn.PolicyVersion],
			`SELECT doc FROM policy_versions ORDER BY policy_arn, version`); err != nil {
			return nil, err
		}
	}
	return snap, nil
}
