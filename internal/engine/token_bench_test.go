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

// benchEngine returns an engine on an in-memory store whose token key is
// already loaded, so that token benchmarks measure no store access.
func benchEngine(b *testing.B) *Engine {
	b.Helper()
	store, err := sqlstore.OpenSQLite(context.Background(), sqlstore.Memory)
	if err != nil {
		b.Fatalf("open SQLite store: %v", err)
	}
	b.Cleanup(func() { store.Close() })
	e := New(store, Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if _, err := e.tokenKey(context.Background()); err != nil {
		b.Fatalf("load the token key: %v", err)
	}
	return e
}

// benchFilters are three ListSessions filters, one per field.
var benchFilters = []FilterInput{
	{FieldName: keyturn.FieldActionName, Operator: keyturn.OpEQ, Value: "deploy:PromoteToProduction"},
	{FieldName: keyturn.FieldSessionStatus, Operator: keyturn.OpEQ, Value: "APPROVED"},
	{FieldName: keyturn.FieldInitiationTime, Operator: keyturn.OpBetween, Value: "2026-08-01T00:00:00Z AND 2026-09-01T00:00:00Z"},
}

func BenchmarkEncodeToken(b *testing.B) {
	e := benchEngine(b)
	ctx := context.Background()
	bind := binding("ListSessions", testAccount, testRegion, "arn:aws:mpa:us-east-1:111122223333:approval-team/t", "")
	cursor := keyturn.Cursor{Time: time.Date(2026, 8, 14, 9, 30, 0, 0, time.UTC), Seq: 123456}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.encodeToken(ctx, bind, cursor); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeToken(b *testing.B) {
	e := benchEngine(b)
	ctx := context.Background()
	bind := binding("ListSessions", testAccount, testRegion, "arn:aws:mpa:us-east-1:111122223333:approval-team/t", "")
	cursor := keyturn.Cursor{Time: time.Date(2026, 8, 14, 9, 30, 0, 0, time.UTC), Seq: 123456}
	token, err := e.encodeToken(ctx, bind, cursor)
	if err != nil {
		b.Fatal(err)
	}
	if got, err := e.decodeToken(ctx, bind, token); err != nil || got != cursor {
		b.Fatalf("decodeToken = %+v, %v; want %+v", got, err, cursor)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.decodeToken(ctx, bind, token); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompileFilters(b *testing.B) {
	for _, tc := range []struct {
		name    string
		filters []FilterInput
	}{
		{"one", benchFilters[:1]},
		{"three", benchFilters},
	} {
		b.Run(tc.name, func(b *testing.B) {
			if _, err := CompileFilters(tc.filters); err != nil {
				b.Fatalf("CompileFilters: %v", err)
			}
			b.ReportAllocs()
			for b.Loop() {
				CompileFilters(tc.filters)
			}
		})
	}
}
