package server

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keyturn/keyturn/internal/sqlstore"
	"github.com/keyturn/keyturn/internal/storetest"
)

// startServer starts a development server on the database and stops it
// when the test ends.
func startServer(t *testing.T, database string) *Server {
	t.Helper()
	srv, err := New(t.Context(), Config{
		Addr:     "127.0.0.1:0",
		Database: database,
		Dev:      true,
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(context.Background()) }()
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return srv
}

// getHealth returns the status and the Status member of GET
// /keyturn/health.
func getHealth(t *testing.T, srv *Server) (int, string) {
	t.Helper()
	hc := &http.Client{Timeout: 10 * time.Second}
	resp, err := hc.Get(srv.URL() + "/keyturn/health")
	if err != nil {
		t.Fatalf("GET /keyturn/health: %v", err)
	}
	defer resp.Body.Close()
	var body struct{ Status string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("decode the health response: %v", err)
	}
	return resp.StatusCode, body.Status
}

func TestHealthFollowsStore(t *testing.T) {
	srv := startServer(t, filepath.Join(t.TempDir(), "keyturn.db"))
	if status, body := getHealth(t, srv); status != http.StatusOK || body != "ok" {
		t.Errorf("GET /keyturn/health with an open store: got %d %q, want 200 \"ok\"", status, body)
	}

	// A closed store cannot respond, as a lost database cannot. Close
	// closes it again, which is allowed.
	if err := srv.store.Close(); err != nil {
		t.Fatalf("close the store: %v", err)
	}
	if status, body := getHealth(t, srv); status != http.StatusServiceUnavailable || body != "unavailable" {
		t.Errorf("GET /keyturn/health with a closed store: got %d %q, want 503 \"unavailable\"", status, body)
	}
}

func TestWithTimeoutSetsDeadline(t *testing.T) {
	const timeout = 3 * time.Second
	var deadline time.Time
	var ok bool
	h := withTimeout(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		deadline, ok = r.Context().Deadline()
	}), timeout)

	before := time.Now()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if !ok {
		t.Fatal("the request's context has no deadline, want one")
	}
	if deadline.Before(before.Add(timeout)) || deadline.After(time.Now().Add(timeout)) {
		t.Errorf("got deadline %s after the request, want %s", deadline.Sub(before), timeout)
	}
}

func TestNewRejectsNewerSchema(t *testing.T) {
	database := storetest.PostgresURL(t)
	store, err := OpenStore(t.Context(), database)
	if err != nil {
		t.Fatalf("OpenStore: %v", err)
	}
	store.Close()
	db, err := sql.Open("pgx", database)
	if err != nil {
		t.Fatalf("open the test schema: %v", err)
	}
	defer db.Close()
	newer := sqlstore.SchemaVersion() + 1
	if _, err := db.ExecContext(t.Context(), `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'from_a_newer_keyturn', 0)`, newer); err != nil {
		t.Fatalf("record a newer migration: %v", err)
	}

	_, err = New(t.Context(), Config{Addr: "127.0.0.1:0", Database: database, Dev: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if !errors.Is(err, sqlstore.ErrSchemaTooNew) {
		t.Fatalf("New on a schema newer than the binary: got error %v, want ErrSchemaTooNew", err)
	}
	if !strings.Contains(err.Error(), "Upgrade keyturn") {
		t.Errorf("got message %q, want it to tell the operator to upgrade keyturn", err)
	}
}

// TestDevClockPerProcess checks that each development server keeps its
// clock in memory, stores it when it moves, and loads it only when it
// starts.
func TestDevClockPerProcess(t *testing.T) {
	database := storetest.PostgresURL(t)
	first := startServer(t, database)
	second := startServer(t, database)

	const ahead = time.Hour
	if _, err := first.AdvanceClockWithoutSweep(t.Context(), ahead); err != nil {
		t.Fatalf("advance the first server's clock: %v", err)
	}
	// An offset is the distance to the real time when the clock moved,
	// so it reads a little less than the move.
	if got := first.clock.Offset(); got < ahead-time.Minute || got > ahead {
		t.Errorf("the first server's clock is %s ahead after it moved, want %s", got, ahead)
	}
	if got := second.clock.Offset(); got != 0 {
		t.Errorf("the second server's clock is %s ahead after the first one's moved, want 0 until it restarts", got)
	}

	third := startServer(t, database)
	if got := third.clock.Offset(); got < ahead-time.Minute || got > ahead {
		t.Errorf("a server started after the move is %s ahead, want the stored %s", got, ahead)
	}
}

func TestDescribeDatabaseHidesPassword(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://keyturn:s3cret@db.example.com:5432/keyturn?sslmode=verify-full", "postgres://keyturn:***@db.example.com:5432/keyturn?sslmode=verify-full"},
		{"postgres://keyturn@db.example.com/keyturn", "postgres://keyturn@db.example.com/keyturn"},
		{"/var/lib/keyturn/keyturn.db", "/var/lib/keyturn/keyturn.db"},
		{"memory", "memory"},
	}
	for _, tt := range tests {
		if got := describeDatabase(tt.in); got != tt.want {
			t.Errorf("describeDatabase(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLoadCredentialsWarnsOfReadableFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credentials.json")
	if err := os.WriteFile(path, []byte(`[]`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, warnings, err := LoadCredentials(path)
	if err != nil {
		t.Fatalf("LoadCredentials: %v", err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "chmod 600") {
		t.Errorf("got warnings %q for a file of mode 0644, want one that says chmod 600", warnings)
	}
}

func TestLoadCredentials(t *testing.T) {
	write := func(t *testing.T, content string) string {
		t.Helper()
		path := filepath.Join(t.TempDir(), "credentials.json")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}

	t.Run("valid", func(t *testing.T) {
		creds, warnings, err := LoadCredentials(write(t, `[{"AccessKeyId": "AKIDEXAMPLE", "SecretAccessKey": "secret", "AccountId": "111122223333"}]`))
		if err != nil {
			t.Fatalf("LoadCredentials: %v", err)
		}
		if len(warnings) != 0 {
			t.Errorf("got warnings %q for a file of mode 0600, want none", warnings)
		}
		if len(creds) != 1 {
			t.Fatalf("got %d credentials, want 1", len(creds))
		}
		if want := "arn:aws:iam::111122223333:user/AKIDEXAMPLE"; creds[0].PrincipalArn != want {
			t.Errorf("got PrincipalArn %q, want the default %q", creds[0].PrincipalArn, want)
		}
	})

	invalid := []struct {
		name, content, message string
	}{
		{"not an array", `{"AccessKeyId": "AKIDEXAMPLE"}`, "not a JSON array"},
		{"no secret", `[{"AccessKeyId": "AKIDEXAMPLE", "AccountId": "111122223333"}]`, "needs AccessKeyId and SecretAccessKey"},
		{"short account", `[{"AccessKeyId": "AKIDEXAMPLE", "SecretAccessKey": "secret", "AccountId": "1111"}]`, "12-digit AccountId"},
		{"misspelt permission", `[{"AccessKeyId": "AKIDEXAMPLE", "SecretAccessKey": "secret", "AccountId": "111122223333", "Operater": true}]`, "unknown field"},
		{"duplicate key", `[{"AccessKeyId": "AKIDEXAMPLE", "SecretAccessKey": "a", "AccountId": "111122223333"},
			{"AccessKeyId": "AKIDEXAMPLE", "SecretAccessKey": "b", "AccountId": "111122223333"}]`, "appears twice"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := LoadCredentials(write(t, tt.content))
			if err == nil || !strings.Contains(err.Error(), tt.message) {
				t.Errorf("got error %v, want one that contains %q", err, tt.message)
			}
		})
	}
}
