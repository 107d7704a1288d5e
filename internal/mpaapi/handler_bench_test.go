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
// measures together with HTTP and the client.
func BenchmarkHandler(b *testing.B) {
	ctx := context.Background()
	store, err := sqlstore.OpenSQLite(ctx, sqlstore.Memory)
	if err != nil {
		b.Fatalf("open SQLite store: %v", err)
	}
	b.Cleanup(func() { store.Close() })
	m, err := bench.Fill(ctx, store, bench.FillOptions{Sessions: 2000})
	if err != nil {
		b.Fatalf("fill: %v", err)
	}
	team := m.SessionTeamInfo()
	cred := bench.Credential(team.AccountID)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng := engine.New(store, engine.Config{Logger: logger})
	verifier := &sigv4.Verifier{Service: "mpa", Credentials: map[string]sigv4.Credential{cred.AccessKeyID: cred}}
	handler := mpaapi.New(eng, verifier, logger)

	cases := []struct {
		name, method, path, body string
	}{
		{"ListSessions", "POST", "/approval-teams/" + url.PathEscape(team.TeamArn) + "/sessions/?List", `{"MaxResults":20}`},
		{"ListSessions/status", "POST", "/approval-teams/" + url.PathEscape(team.TeamArn) + "/sessions/?List",
			`{"MaxResults":20,"Filters":[{"FieldName":"SessionStatus","Operator":"EQ","Value":"APPROVED"}]}`},
		{"GetSession", "GET", "/sessions/" + url.PathEscape(m.SampleSessionArns[len(m.SampleSessionArns)/2]), ""},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			body := []byte(tc.body)
			signed := httptest.NewRequest(tc.method, "http://127.0.0.1:8080"+tc.path, bytes.NewReader(body))
			signed.Header.Set("Content-Type", "application/json")
			sum := sha256.Sum256(body)
			creds := aws.Credentials{AccessKeyID: cred.AccessKeyID, SecretAccessKey: cred.SecretAccessKey}
			if err := v4.NewSigner().SignHTTP(ctx, creds, signed, hex.EncodeToString(sum[:]), "mpa", bench.Region, time.Now()); err != nil {
				b.Fatalf("sign: %v", err)
			}
			serve := func() *httptest.ResponseRecorder {
				r := signed.Clone(ctx)
				r.Body = io.NopCloser(bytes.NewReader(body))
				w := httptest.NewRecorder()
				handler.ServeHTTP(w, r)
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
