package mpaapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/keyturn/keyturn/internal/bench"
	"github.com/keyturn/keyturn/internal/engine"
	"github.com/keyturn/keyturn/internal/mpaapi"
	"github.com/keyturn/keyturn/internal/sigv4"
	"github.com/keyturn/keyturn/internal/sqlstore"
)

// BenchmarkHandler runs whole MPA requests through the handler, without
// the network: signature verification, decoding, validation, the engine,
// an in-memory SQLite store of 2,000 sessions, and the JSON response. It
// shows the server's own cost per request, which the load generator
// measures together with HTTP and the client. The store keeps ListSessions
// entries, as the server's does; ListSessions/documents lists from a store
// that does not, to show what the stored entries save.
func BenchmarkHandler(b *testing.B) {
	ctx := context.Background()
	summarized := newBenchHandler(b, true)
	documents := newBenchHandler(b, false)
	teamPath := "/approval-teams/" + url.PathEscape(summarized.team) + "/sessions/?List"

	cases := []struct {
		name, method, path, body string
		target                   *benchHandler
	}{
		{"ListSessions", "POST", teamPath, `{"MaxResults":20}`, summarized},
		{"ListSessions/status", "POST", teamPath,
			`{"MaxResults":20,"Filters":[{"FieldName":"SessionStatus","Operator":"EQ","Value":"APPROVED"}]}`, summarized},
		{"ListSessions/documents", "POST", teamPath, `{"MaxResults":20}`, documents},
		{"GetSession", "GET", "/sessions/" + url.PathEscape(summarized.session), "", summarized},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			body := []byte(tc.body)
			signed := httptest.NewRequest(tc.method, "http://127.0.0.1:8080"+tc.path, bytes.NewReader(body))
			signed.Header.Set("Content-Type", "application/json")
			sum := sha256.Sum256(body)
			cred := tc.target.cred
			creds := aws.Credentials{AccessKeyID: cred.AccessKeyID, SecretAccessKey: cred.SecretAccessKey}
			if err := v4.NewSigner().SignHTTP(ctx, creds, signed, hex.EncodeToString(sum[:]), "mpa", bench.Region, time.Now()); err != nil {
				b.Fatalf("sign: %v", err)
			}
			serve := func() *httptest.ResponseRecorder {
				r := signed.Clone(ctx)
				r.Body = io.NopCloser(bytes.NewReader(body))
				w := httptest.NewRecorder()
				tc.target.handler.ServeHTTP(w, r)
				return w
			}
			if w := serve(); w.Code != http.StatusOK {
				b.Fatalf("%s returned HTTP %d: %s", tc.name, w.Code, w.Body)
			}
			b.ReportAllocs()
			for b.Loop() {
				serve()
			}
		})
	}
}

// benchHandler is an MPA handler on a filled in-memory store.
type benchHandler struct {
	handler http.Handler
	cred    sigv4.Credential
	// team is the ARN of the team with the sessions, and session the ARN
	// of one of them.
	team, session string
}

// newBenchHandler fills an in-memory store with 2,000 sessions, the same
// ones on every call, and returns a handler on it. With summaries, the
// store keeps each session's ListSessions entry, as the server's does.
func newBenchHandler(b *testing.B, summaries bool) *benchHandler {
	ctx := context.Background()
	store, err := sqlstore.OpenSQLite(ctx, sqlstore.Memory)
	if err != nil {
		b.Fatalf("open SQLite store: %v", err)
	}
	b.Cleanup(func() { store.Close() })
	if summaries {
		store.SetSessionSummarizer(mpaapi.SessionSummarizer)
	}
	m, err := bench.Fill(ctx, store, bench.FillOptions{Sessions: 2000})
	if err != nil {
		b.Fatalf("fill: %v", err)
	}
	team := m.SessionTeamInfo()
	cred := bench.Credential(team.AccountID)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng := engine.New(store, engine.Config{Logger: logger})
	verifier := &sigv4.Verifier{Service: "mpa", Credentials: map[string]sigv4.Credential{cred.AccessKeyID: cred}}
	return &benchHandler{
		handler: mpaapi.New(eng, verifier, logger),
		cred:    cred,
		team:    team.TeamArn,
		session: m.SampleSessionArns[len(m.SampleSessionArns)/2],
	}
}
