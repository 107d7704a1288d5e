package sqlstore

import (
	"context"

	"github.com/keyturn/keyturn"
)

func (t *tx) PutPolicyVersion(ctx context.Context, p *keyturn.PolicyVersion) error {
	doc, err := encode(p)
	if err != nil {
		return err
	}
	isDefault := 0
	if p.IsDefault {
		isDefault = 1
	}
	_, err = t.exec(ctx, `INSERT INTO policy_versions (policy_arn, version, is_default, doc) VALUES (?, ?, ?, ?)
		ON CONFLICT (policy_arn, version) DO UPDATE SET is_default = excluded.is_default, doc = excluded.doc`,
		p.PolicyArn, p.VersionID, isDefault, doc)
	return err
}

func (t *tx) GetPolicyVersion(ctx context.Context, policyArn string, version int) (*keyturn.PolicyVersion, error) {
	if version == 0 {
		return queryOne(ctx, t, scanDoc[keyturn.PolicyVersion],
			`SELECT doc FROM policy_versions WHERE policy_arn = ? AND is_default = 1`, policyArn)
	}
	return queryOne(ctx, t, scanDoc[keyturn.PolicyVersion],
		`SELECT doc FROM policy_versions WHERE policy_arn = ? AND version = ?`, policyArn, version)
}

func (t *tx) ListPolicies(ctx context.Context, after keyturn.Cursor, limit int) ([]*keyturn.PolicyVersion, error) {
	return queryAll(ctx, t, scanDoc[keyturn.PolicyVersion],
		`SELECT doc FROM policy_versions WHERE is_default = 1 AND policy_arn > ? ORDER BY policy_arn LIMIT ?`, after.Key, limit)
}

func (t *tx) ListPolicyVersions(ctx context.Context, policyArn string, after keyturn.Cursor, limit int) ([]*keyturn.PolicyVersion, error) {
	return queryAll(ctx, t, scanDoc[keyturn.PolicyVersion],
		`SELECT doc FROM policy_versions WHERE policy_arn = ? AND version > ? ORDER BY version LIMIT ?`, policyArn, after.Seq, limit)
}
