package engine

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/keyturn/keyturn"
	"github.com/keyturn/keyturn/internal/sqlstore"
)

// FuzzDecodeToken checks that no client-supplied token makes decodeToken
// panic, and that only tokens that the engine made decode: a token either
// comes back with its cursor or is refused with ErrInvalid.
func FuzzDecodeToken(f *testing.F) {
	ctx := context.Background()
	store, err := sqlstore.OpenSQLite(ctx, sqlstore.Memory)
	if err != nil {
		f.Fatalf("open SQLite store: %v", err)
	}
	f.Cleanup(func() { store.Close() })
	e := New(store, Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})

	bind := binding("ListSessions", "111122223333", "us-east-1", "team")
	cursor := keyturn.Cursor{Time: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), Seq: 42}
	valid, err := e.encodeToken(ctx, bind, cursor)
	if err != nil {
		f.Fatalf("encodeToken: %v", err)
	}
	f.Add(valid)
	f.Add(valid[:len(valid)-1])
	f.Add("")
	f.Add(".")
	f.Add("eyJ2IjoxfQ.AAAA")

	f.Fuzz(func(t *testing.T, token string) {
		got, err := e.decodeToken(ctx, bind, token)
		switch {
		case err != nil && keyturn.Code(err) != keyturn.ErrInvalid:
			t.Fatalf("decodeToken(%q) error code = %s, want invalid", token, keyturn.Code(err))
		case err == nil && token != "" && token != valid && got != cursor:
			// Another encoding of the same signed payload is fine only if
			// it decodes to the same cursor.
			t.Fatalf("decodeToken(%q) = %+v, an unsigned cursor", token, got)
		}
	})
}
