package engine

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"github.com/keyturn/keyturn"
)

// Pagination tokens are opaque to clients. Each carries the cursor of the
// last item returned, a hash that binds it to the request that made it, and
// a random nonce, so that the server never issues the same token twice. An
// HMAC-SHA256 with a key kept in the store, and so shared by every replica,
// authenticates it. Sending one token twice yields the same page.

const (
	tokenVersion = 1
	tokenKeyMeta = "pagination_token_key"
)

type pageToken struct {
	Version int    `json:"v"`
	Binding string `json:"b"`
	Time    int64  `json:"t,omitempty"`
	Seq     int64  `json:"s,omitempty"`
	Key     string `json:"k,omitempty"`
	Nonce   string `json:"n"`
}

// errBadToken is the error for a token that is malformed, tampered with or
// made by another request.
var errBadToken = keyturn.Errorf(keyturn.ErrInvalid,
	"The NextToken is not valid for this request: it is malformed, or it was returned for a different operation, resource or filters. Repeat the request without NextToken to start from the first page.")

// Page is a client's request for one page of a list.
type Page struct {
	MaxResults int // 0 means the default page size
	NextToken  string
}

const defaultPageSize = 20

func (p Page) limit() int {
	if p.MaxResults <= 0 {
		return defaultPageSize
	}
	return p.MaxResults
}

// binding hashes the parts of a request that a token must be sent with
// again: the operation, the caller's account and region, the resource and
// the filters.
func binding(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// tokenKey returns the key that authenticates tokens, creating it in the
// store the first time any replica needs it.
func (e *Engine) tokenKey(ctx context.Context) ([]byte, error) {
	e.keyMu.Lock()
	defer e.keyMu.Unlock()
	if e.key != nil {
		return e.key, nil
	}
	key, err := e.loadTokenKey(ctx)
	if err != nil {
		return nil, err // the next call tries again
	}
	e.key = key
	return key, nil
}

// loadTokenKey reads the token key, or creates it. When replicas start at
// once, one creation wins and the others read the winner's key.
func (e *Engine) loadTokenKey(ctx context.Context) ([]byte, error) {
	read := func() ([]byte, error) {
		var v string
		err := e.store.View(ctx, func(tx keyturn.Tx) error {
			var err error
			v, err = tx.GetMeta(ctx, tokenKeyMeta)
			return err
		})
		if err != nil {
			return nil, err
		}
		return hex.DecodeString(v)
	}
	key, err := read()
	if !isNotFound(err) {
		return key, err
	}
	key = e.randomBytes(32)
	err = e.store.Update(ctx, func(tx keyturn.Tx) error {
		return tx.CreateMeta(ctx, tokenKeyMeta, hex.EncodeToString(key))
	})
	if keyturn.Code(err) == keyturn.ErrConflict {
		return read()
	}
	return key, err
}

// encodeToken returns a token that resumes the list after the cursor.
func (e *Engine) encodeToken(ctx context.Context, bind string, c keyturn.Cursor) (string, error) {
	key, err := e.tokenKey(ctx)
	if err != nil {
		return "", err
	}
	t := pageToken{Version: tokenVersion, Binding: bind, Seq: c.Seq, Key: c.Key,
		Nonce: base64.RawURLEncoding.EncodeToString(e.randomBytes(9))}
	if !c.Time.IsZero() {
		t.Time = c.Time.UnixNano()
	}
	payload, err := json.Marshal(t)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(payload)
	return base64.RawURLEncoding.EncodeToString(payload) + "." +
		base64.RawURLEncoding.EncodeToString(mac.Sum(nil)), nil
}

// decodeToken returns the cursor of a token made for the same binding. An
// empty token is the start of the list.
func (e *Engine) decodeToken(ctx context.Context, bind, token string) (keyturn.Cursor, error) {
	if token == "" {
		return keyturn.Cursor{}, nil
	}
	key, err := e.tokenKey(ctx)
	if err != nil {
		return keyturn.Cursor{}, err
	}
	payloadPart, macPart, ok := strings.Cut(token, ".")
	if !ok {
		return keyturn.Cursor{}, errBadToken
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(payloadPart)
	sum, err2 := base64.RawURLEncoding.DecodeString(macPart)
	if err1 != nil || err2 != nil {
		return keyturn.Cursor{}, errBadToken
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(payload)
	if !hmac.Equal(sum, mac.Sum(nil)) {
		return keyturn.Cursor{}, errBadToken
	}
	var t pageToken
	if err := json.Unmarshal(payload, &t); err != nil || t.Version != tokenVersion || t.Binding != bind {
		return keyturn.Cursor{}, errBadToken
	}
	c := keyturn.Cursor{Seq: t.Seq, Key: t.Key}
	if t.Time != 0 {
		c.Time = time.Unix(0, t.Time).UTC()
	}
	return c, nil
}
