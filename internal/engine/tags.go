package engine

import (
	"context"
	"maps"
	"strings"

	"github.com/keyturn/keyturn"
)

// checkTags applies the tag rules that the API model does not state: the
// number of tags per resource and the reserved aws: prefix.
func (e *Engine) checkTags(tags map[string]string) error {
	if len(tags) > e.cfg.MaxTagsPerResource {
		return keyturn.Errorf(keyturn.ErrInvalid, "Tags has %d tags; a resource can have at most %d.", len(tags), e.cfg.MaxTagsPerResource)
	}
	return checkTagKeys(tags)
}

func checkTagKeys(tags map[string]string) error {
	for k := range tags {
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return keyturn.Errorf(keyturn.ErrInvalid, "Tag key %q is invalid: the aws: prefix is reserved for AWS.", k)
		}
	}
	return nil
}

// taggable checks that the ARN names a taggable resource of the caller that
// exists: an approval team or an identity source.
func taggable(ctx context.Context, tx keyturn.Tx, c Caller, arn string) error {
	r, ok := keyturn.ParseResourceARN(arn)
	if !ok {
		return keyturn.Errorf(keyturn.ErrInvalid, "ResourceArn %q is not the ARN of an approval team or identity source.", arn)
	}
	if r.Type == "session" {
		return keyturn.Errorf(keyturn.ErrInvalid, "ResourceArn %q is a session; only approval teams and identity sources can be tagged.", arn)
	}
	if r.AccountID != c.AccountID || r.Region != c.Region {
		return notFound("Resource", arn)
	}
	switch r.Type {
	case "approval-team":
		if _, err := tx.GetTeam(ctx, arn); err != nil {
			return orNotFound(err, "Resource", arn)
		}
	case "identity-source":
		src, err := tx.GetIdentitySource(ctx, c.AccountID, c.Region)
		if err != nil {
			return orNotFound(err, "Resource", arn)
		}
		if src.Arn != arn {
			return notFound("Resource", arn)
		}
	}
	return nil
}

// ListTags returns the tags of a team or identity source.
func (e *Engine) ListTags(ctx context.Context, c Caller, arn string) (map[string]string, error) {
	var out map[string]string
	err := e.store.View(ctx, func(tx keyturn.Tx) error {
		if err := taggable(ctx, tx, c, arn); err != nil {
			return err
		}
		var err error
		out, err = tx.GetTags(ctx, arn)
		return err
	})
	return out, err
}

// TagResource adds tags to a resource, replacing the values of keys it
// already has.
func (e *Engine) TagResource(ctx context.Context, c Caller, arn string, tags map[string]string) error {
	if err := checkTagKeys(tags); err != nil {
		return err
	}
	return e.store.Update(ctx, func(tx keyturn.Tx) error {
		if err := taggable(ctx, tx, c, arn); err != nil {
			return err
		}
		current, err := tx.GetTags(ctx, arn)
		if err != nil {
			return err
		}
		merged := maps.Clone(current)
		if merged == nil {
			merged = make(map[string]string, len(tags))
		}
		maps.Copy(merged, tags)
		if len(merged) > e.cfg.MaxTagsPerResource {
			err := keyturn.Errorf(keyturn.ErrTooManyTags,
				"The resource would have %d tags; a resource can have at most %d.", len(merged), e.cfg.MaxTagsPerResource)
			err.Resource = arn
			return err
		}
		return tx.SetTags(ctx, arn, merged)
	})
}

// UntagResource removes tags by key. Keys the resource does not have are
// ignored.
func (e *Engine) UntagResource(ctx context.Context, c Caller, arn string, keys []string) error {
	return e.store.Update(ctx, func(tx keyturn.Tx) error {
		if err := taggable(ctx, tx, c, arn); err != nil {
			return err
		}
		current, err := tx.GetTags(ctx, arn)
		if err != nil {
			return err
		}
		for _, k := range keys {
			delete(current, k)
		}
		return tx.SetTags(ctx, arn, current)
	})
}
