package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/keyturn/keyturn"
)

// idempotencyTTL is how long a client token is remembered. SDKs retry
// within seconds; a day covers a client that resumes after an outage.
const idempotencyTTL = 24 * time.Hour

func idempotencyKey(c Caller, op, token string) string {
	return fmt.Sprintf("%s|%s|%s|%s", c.AccountID, c.Region, op, token)
}

func requestHash(request any) (string, error) {
	b, err := json.Marshal(request)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// replay looks up an earlier request with the same client token. When one
// exists with the same parameters, it decodes that request's result into out
// and returns true. When one exists with other parameters, it returns an
// error with the mismatch code. Without a token, it does nothing.
func (e *Engine) replay(ctx context.Context, tx keyturn.Tx, c Caller, op, token string, request any, mismatch keyturn.ErrorCode, out any) (bool, error) {
	if token == "" {
		return false, nil
	}
	rec, err := tx.GetIdempotencyRecord(ctx, idempotencyKey(c, op, token))
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if e.Now().Sub(rec.CreationTime) > idempotencyTTL {
		return false, nil
	}
	hash, err := requestHash(request)
	if err != nil {
		return false, err
	}
	if hash != rec.RequestHash {
		return false, keyturn.Errorf(mismatch,
			"ClientToken %q was already used with different parameters. Use a new ClientToken for a new request.", token)
	}
	return true, json.Unmarshal(rec.Result, out)
}

// remember stores the result of a request made with a client token.
func (e *Engine) remember(ctx context.Context, tx keyturn.Tx, c Caller, op, token string, request, result any) error {
	if token == "" {
		return nil
	}
	hash, err := requestHash(request)
	if err != nil {
		return err
	}
	b, err := json.Marshal(result)
	if err != nil {
		return err
	}
	return tx.PutIdempotencyRecord(ctx, &keyturn.IdempotencyRecord{
		Key:          idempotencyKey(c, op, token),
		RequestHash:  hash,
		Result:       b,
		CreationTime: e.Now(),
	})
}
