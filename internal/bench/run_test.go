package bench

import (
	"context"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keyturn/keyturn/internal/sqlstore"
)

// TestRunAgainstDevServer fills a small database, serves it from an
// in-process development server, and runs every Keyturn scenario against
// it with short durations.
func TestRunAgainstDevServer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs load for several seconds")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	db := filepath.Join(dir, "bench.db")
	store, err := sqlstore.OpenSQLite(ctx, db)
	if err != nil {
		t.Fatalf("open SQLite store: %v", err)
	}
	if _, err := Fill(ctx, store, FillOptions{Sessions: 600}); err != nil {
		t.Fatalf("Fill: %v", err)
	}
	store.Close()

	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	served := make(chan error, 1)
	go func() {
		served <- RunServer(ctx, ServerOptions{Addr: addr, Database: db, Dev: true, LogLevel: "warn"}, io.Discard)
	}()
	hc := newHTTPClient(1)
	probe := newMPAEndpoint("http://"+addr, AccountID(0), hc)
	deadline := time.Now().Add(10 * time.Second)
	for probe.listApprovalTeams(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatal("the in-process server did not answer within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}

	var out strings.Builder
	rep, err := Run(ctx, RunOptions{
		Databases:      []string{db},
		Connect:        "http://" + addr,
		Client:         ClientSigned,
		Concurrency:    []int{2},
		Duration:       200 * time.Millisecond,
		MaxRequests:    1000,
		Pages:          []int{2, 5, 100},
		VoteSessions:   50,
		ServerLogLevel: "warn",
		WorkDir:        dir,
		Out:            &out,
	})
	if err != nil {
		t.Fatalf("Run: %v\noutput:\n%s", err, out.String())
	}
	seen := map[string]bool{}
	for _, r := range rep.Results {
		seen[r.Scenario] = true
		if r.Errors > 0 {
			t.Errorf("%s: %d errors: %v", r.Scenario, r.Errors, r.ErrorSamples)
		}
		if r.Requests == 0 {
			t.Errorf("%s sent no requests", r.Scenario)
		}
	}
	for _, want := range []string{"list/first", "list/multi", "list/page-5", "list/status-eq/page-5", "get", "start", "vote"} {
		if !seen[want] {
			t.Errorf("no result for %s; output:\n%s", want, out.String())
		}
	}
	if seen["list/page-100"] {
		t.Error("list/page-100 was measured, but 600 sessions fill 30 pages")
	}
	if !strings.Contains(strings.Join(rep.Notes, "\n"), "list/page-100 skipped") {
		t.Errorf("notes %q do not explain the skipped page", rep.Notes)
	}
	var deepRatio bool
	for _, r := range rep.Ratios {
		deepRatio = deepRatio || strings.Contains(r.Name, "list/page-5")
	}
	if !deepRatio {
		t.Errorf("ratios %+v compare no deep page with the first", rep.Ratios)
	}

	cancel()
	if err := <-served; err != nil {
		t.Errorf("server: %v", err)
	}
}
