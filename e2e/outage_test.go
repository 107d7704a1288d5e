package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/mpa"
	"github.com/aws/aws-sdk-go-v2/service/mpa/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/keyturn/keyturn/client"
	"github.com/keyturn/keyturn/internal/server"
	"github.com/keyturn/keyturn/internal/storetest"
	"github.com/keyturn/keyturn/keyturntest"
)

// outageBound is the longest a request may take while the database is
// unreachable. Requests fail at once when connections are refused, and the
// bound leaves room for a slow machine.
const outageBound = 5 * time.Second

// recoveryBound is the longest the server may take to serve again once the
// database is back.
const recoveryBound = 15 * time.Second

// dbProxy forwards TCP connections from a loopback port to the PostgreSQL
// test server, so that a test can cut the database off from a Keyturn
// server and give it back, without touching PostgreSQL itself.
type dbProxy struct {
	addr     string // the loopback address, the same after each restore
	upstream string

	mu       sync.Mutex
	listener net.Listener
	conns    map[net.Conn]struct{}
	// blackhole makes the proxy swallow traffic: it accepts connections
	// and reads what arrives, but forwards nothing in either direction,
	// as a network that drops packets does.
	blackhole bool
	accepts   sync.WaitGroup
}

// startDBProxy starts a proxy to upstream, a host:port, on a free loopback
// port. It stops when the test ends.
func startDBProxy(t *testing.T, upstream string) *dbProxy {
	t.Helper()
	p := &dbProxy{addr: "127.0.0.1:0", upstream: upstream, conns: map[net.Conn]struct{}{}}
	if err := p.listen(); err != nil {
		t.Fatalf("start the database proxy: %v", err)
	}
	t.Cleanup(p.cut)
	return p
}

// listen binds p.addr and accepts connections until the listener closes.
func (p *dbProxy) listen() error {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.listener = ln
	p.addr = ln.Addr().String()
	p.mu.Unlock()
	p.accepts.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(ln, conn)
		}
	})
	return nil
}

// serve forwards one client connection that ln accepted, or swallows it
// in black-hole mode.
func (p *dbProxy) serve(ln net.Listener, conn net.Conn) {
	defer p.forget(conn)
	blackhole, ok := p.track(ln, conn)
	if !ok {
		return
	}
	if blackhole {
		io.Copy(io.Discard, conn)
		return
	}
	up, err := net.DialTimeout("tcp", p.upstream, 5*time.Second)
	if err != nil {
		return
	}
	defer p.forget(up)
	if _, ok := p.track(ln, up); !ok {
		return
	}

	var wg sync.WaitGroup
	wg.Go(func() { p.pipe(up, conn) })
	wg.Go(func() { p.pipe(conn, up) })
	wg.Wait()
}

// pipe copies from src to dst until either closes, and drops the bytes
// instead while the proxy is a black hole.
func (p *dbProxy) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32*1024)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			blackhole := p.blackhole
			p.mu.Unlock()
			if !blackhole {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// track adds conn to the connections that cut closes, and returns the
// black-hole mode. It returns false, and leaves conn alone, when ln was cut
// after it accepted the connection.
func (p *dbProxy) track(ln net.Listener, conn net.Conn) (blackhole, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.listener != ln {
		return false, false
	}
	p.conns[conn] = struct{}{}
	return p.blackhole, true
}

func (p *dbProxy) forget(conn net.Conn) {
	conn.Close()
	p.mu.Lock()
	delete(p.conns, conn)
	p.mu.Unlock()
}

// cut closes the listener and every connection, as a database that went
// down does: new connections are refused and open ones reset.
func (p *dbProxy) cut() {
	p.mu.Lock()
	if p.listener != nil {
		p.listener.Close()
		p.listener = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.accepts.Wait()
}

// swallow keeps the connections open but forwards nothing, and accepts
// new connections without responding, as a network partition does.
func (p *dbProxy) swallow() {
	p.mu.Lock()
	p.blackhole = true
	p.mu.Unlock()
}

// restore forwards traffic again on the same address. Connections
// swallowed until now are closed, as a partition that ends leaves their
// TCP state broken.
func (p *dbProxy) restore(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	wasBlackhole := p.blackhole
	p.blackhole = false
	if wasBlackhole {
		for c := range p.conns {
			c.Close()
		}
	}
	listening := p.listener != nil
	p.mu.Unlock()
	if listening {
		return
	}
	// The proxy held the port until the cut, so binding it again fails
	// only if another process took it since.
	if err := p.listen(); err != nil {
		t.Fatalf("restore the database proxy on %s: %v", p.addr, err)
	}
}

// proxiedURL returns the database URL with its host and port replaced by
// the proxy's.
func proxiedURL(t *testing.T, database string, p *dbProxy) string {
	t.Helper()
	u, err := url.Parse(database)
	if err != nil {
		t.Fatalf("parse the test database URL: %v", err)
	}
	u.Host = p.addr
	return u.String()
}

// upstreamOf returns the host:port of a postgres:// URL.
func upstreamOf(t *testing.T, database string) string {
	t.Helper()
	u, err := url.Parse(database)
	if err != nil {
		t.Fatalf("parse the test database URL: %v", err)
	}
	if u.Port() == "" {
		return net.JoinHostPort(u.Hostname(), "5432")
	}
	return u.Host
}

// syncBuffer is a bytes.Buffer that the server's logger and the test can
// use at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// outageServer is a development server in the test's process whose
// database connections go through a proxy.
type outageServer struct {
	*keyturntest.Server
	proxy *dbProxy
	logs  *syncBuffer
}

// startOutageServer starts a development server on a fresh PostgreSQL
// schema reached through a proxy, and stops it when the test ends.
func startOutageServer(t *testing.T, requestTimeout time.Duration) *outageServer {
	t.Helper()
	database := storetest.PostgresURL(t)
	proxy := startDBProxy(t, upstreamOf(t, database))
	logs := &syncBuffer{}
	srv, err := server.New(t.Context(), server.Config{
		Addr:           "127.0.0.1:0",
		Database:       proxiedURL(t, database, proxy),
		Dev:            true,
		SweepInterval:  50 * time.Millisecond,
		RequestTimeout: requestTimeout,
		Logger:         slog.New(slog.NewJSONHandler(logs, nil)),
	})
	if err != nil {
		t.Fatalf("start the server: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(context.Background()) }()
	t.Cleanup(func() {
		// Give the database back, so that Close does not wait on it.
		proxy.restore(t)
		if err := srv.Close(); err != nil {
			t.Errorf("stop the server: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("server.Run: %v", err)
		}
	})
	return &outageServer{
		Server: &keyturntest.Server{URL: srv.URL(), AccountID: randomAccount(), Region: "us-east-1"},
		proxy:  proxy,
		logs:   logs,
	}
}

// health returns the status of GET /keyturn/health, or 0 when the request
// fails.
func (s *outageServer) health(t *testing.T) int {
	t.Helper()
	hc := &http.Client{Timeout: outageBound}
	resp, err := hc.Get(s.URL + "/keyturn/health")
	if err != nil {
		t.Logf("GET /keyturn/health: %v", err)
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// waitHealth polls the health check until it returns the status, and
// fails the test if that takes longer than the bound.
func (s *outageServer) waitHealth(t *testing.T, want int, bound time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		got := s.health(t)
		if got == want {
			return time.Since(start)
		}
		if time.Since(start) > bound {
			t.Fatalf("GET /keyturn/health: got %d for %s, want %d", got, bound, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// wantUnavailable checks that err is the SDK's InternalServerException
// with HTTP 500 and a Retry-After header, which the SDK's standard retryer
// classifies as retryable.
func wantUnavailable(t *testing.T, operation string, err error) {
	t.Helper()
	var ise *types.InternalServerException
	if !errors.As(err, &ise) {
		t.Errorf("%s: got error %v, want InternalServerException", operation, err)
		return
	}
	var re *smithyhttp.ResponseError
	if !errors.As(err, &re) {
		t.Errorf("%s: error %v carries no HTTP response", operation, err)
		return
	}
	if got := re.HTTPStatusCode(); got != http.StatusInternalServerError {
		t.Errorf("%s: got HTTP status %d, want 500", operation, got)
	}
	if got := re.Response.Header.Get("Retry-After"); got == "" {
		t.Errorf("%s: got no Retry-After header, want one", operation)
	}
	if got := retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err); got != aws.TrueTernary {
		t.Errorf("%s: the SDK's default retryables classify the error as %v, want retryable", operation, got)
	}
}

// timed runs fn and fails the test if it takes longer than the bound. The
// context that fn gets ends at twice the bound, so that a request that
// hangs fails the test instead of stopping it.
func timed(t *testing.T, operation string, bound time.Duration, fn func(ctx context.Context)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*bound)
	defer cancel()
	start := time.Now()
	fn(ctx)
	if elapsed := time.Since(start); elapsed > bound {
		t.Errorf("%s took %s, want at most %s", operation, elapsed.Round(time.Millisecond), bound)
	}
}

func TestOutageDatabaseDown(t *testing.T) {
	t.Parallel()
	s := startOutageServer(t, 0)
	ctx := t.Context()
	team, users := s.ActiveTeam(t, "outage", 1, 2)
	session := s.StartSession(t, team, "test:BeforeOutage").SessionArn
	if got := s.health(t); got != http.StatusOK {
		t.Fatalf("GET /keyturn/health before the outage: got %d, want 200", got)
	}

	s.proxy.cut()

	// Reads and writes of both APIs fail fast with a retryable error, as
	// often as they are sent.
	api := s.MPA()
	for i := range 3 {
		timed(t, "GetApprovalTeam during the outage", outageBound, func(ctx context.Context) {
			_, err := api.GetApprovalTeam(ctx, &mpa.GetApprovalTeamInput{Arn: aws.String(team)})
			wantUnavailable(t, fmt.Sprintf("GetApprovalTeam %d during the outage", i+1), err)
		})
	}
	timed(t, "ListSessions during the outage", outageBound, func(ctx context.Context) {
		_, err := api.ListSessions(ctx, &mpa.ListSessionsInput{ApprovalTeamArn: aws.String(team)})
		wantUnavailable(t, "ListSessions during the outage", err)
	})
	timed(t, "CancelSession during the outage", outageBound, func(ctx context.Context) {
		_, err := api.CancelSession(ctx, &mpa.CancelSessionInput{SessionArn: aws.String(session)})
		wantUnavailable(t, "CancelSession during the outage", err)
	})
	timed(t, "a vote during the outage", outageBound, func(ctx context.Context) {
		_, err := s.As(users[0].UserID).Vote(ctx, session, client.VoteInput{Response: "APPROVED"})
		var apiErr *client.Error
		if !errors.As(err, &apiErr) || apiErr.Code != "InternalServerException" || apiErr.StatusCode != http.StatusInternalServerError {
			t.Errorf("vote during the outage: got error %v, want InternalServerException with HTTP 500", err)
		}
	})
	timed(t, "the health check during the outage", outageBound, func(ctx context.Context) {
		if got := s.health(t); got != http.StatusServiceUnavailable {
			t.Errorf("GET /keyturn/health during the outage: got %d, want 503", got)
		}
	})

	// The sweeper keeps running, and logs that it fails.
	waitForLog(t, s.logs, `"msg":"sweep failed"`, outageBound)

	// The same process serves again once the database is back.
	s.proxy.restore(t)
	t.Logf("healthy %s after the database came back", s.waitHealth(t, http.StatusOK, recoveryBound).Round(time.Millisecond))
	got := s.Vote(t, session, users[0].UserID, "APPROVED")
	if got.Status != "APPROVED" {
		t.Errorf("got session status %s after the vote that follows the outage, want APPROVED", got.Status)
	}
	if _, err := api.GetApprovalTeam(ctx, &mpa.GetApprovalTeamInput{Arn: aws.String(team)}); err != nil {
		t.Errorf("GetApprovalTeam after the outage: %v", err)
	}

	waitForLog(t, s.logs, `"msg":"sweep recovered"`, recoveryBound)
}

// silentTimeout is the request timeout of the server in
// TestOutageDatabaseSilent, short so that the test is quick.
const silentTimeout = time.Second

func TestOutageDatabaseSilent(t *testing.T) {
	t.Parallel()
	s := startOutageServer(t, silentTimeout)
	team, users := s.ActiveTeam(t, "silent", 1, 2)
	session := s.StartSession(t, team, "test:BeforeSilence").SessionArn

	// The connections stay open but nothing comes back, and new ones are
	// accepted but never get a response: only deadlines end the requests.
	s.proxy.swallow()

	api := s.MPA()
	bound := silentTimeout + outageBound
	for i := range 3 {
		timed(t, "GetApprovalTeam while the database is silent", bound, func(ctx context.Context) {
			_, err := api.GetApprovalTeam(ctx, &mpa.GetApprovalTeamInput{Arn: aws.String(team)})
			wantUnavailable(t, fmt.Sprintf("GetApprovalTeam %d while the database is silent", i+1), err)
		})
	}
	timed(t, "a vote while the database is silent", bound, func(ctx context.Context) {
		_, err := s.As(users[0].UserID).Vote(ctx, session, client.VoteInput{Response: "APPROVED"})
		var apiErr *client.Error
		if !errors.As(err, &apiErr) || apiErr.Code != "InternalServerException" || apiErr.StatusCode != http.StatusInternalServerError {
			t.Errorf("vote while the database is silent: got error %v, want InternalServerException with HTTP 500", err)
		}
	})
	// The health check has a deadline of its own, of 2 seconds.
	timed(t, "the health check while the database is silent", 2*time.Second+outageBound, func(ctx context.Context) {
		if got := s.health(t); got != http.StatusServiceUnavailable {
			t.Errorf("GET /keyturn/health while the database is silent: got %d, want 503", got)
		}
	})
	waitForLog(t, s.logs, `"msg":"sweep failed"`, bound)

	s.proxy.restore(t)
	t.Logf("healthy %s after the database answered again", s.waitHealth(t, http.StatusOK, recoveryBound).Round(time.Millisecond))
	got := s.Vote(t, session, users[0].UserID, "APPROVED")
	if got.Status != "APPROVED" {
		t.Errorf("got session status %s after the vote that follows the silence, want APPROVED", got.Status)
	}
	waitForLog(t, s.logs, `"msg":"sweep recovered"`, recoveryBound)
}

// waitForLog polls the logs until they contain the text, and fails the
// test if the bound passes first.
func waitForLog(t *testing.T, logs *syncBuffer, text string, bound time.Duration) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !strings.Contains(logs.String(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("the server did not log %s within %s; logs:\n%s", text, bound, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestOutageSDKRetries(t *testing.T) {
	t.Parallel()
	s := startOutageServer(t, 0)
	team, _ := s.ActiveTeam(t, "retried", 1, 1)

	// The SDK's standard retryer, as a default client has it. The HTTP
	// client gives the database back after the first 500, so the retry
	// finds it there.
	var attempts atomic.Int32
	var restoreOnce sync.Once
	cfg := s.AWSConfig()
	cfg.Retryer = func() aws.Retryer { return retry.NewStandard() }
	cfg.HTTPClient = httpClientFunc(func(req *http.Request) (*http.Response, error) {
		attempts.Add(1)
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err == nil && resp.StatusCode == http.StatusInternalServerError {
			restoreOnce.Do(func() { s.proxy.restore(t) })
		}
		return resp, err
	})
	api := mpa.NewFromConfig(cfg)

	s.proxy.cut()
	out, err := api.GetApprovalTeam(t.Context(), &mpa.GetApprovalTeamInput{Arn: aws.String(team)})
	if err != nil {
		t.Fatalf("GetApprovalTeam with the SDK's retries across an outage: %v", err)
	}
	if got := aws.ToString(out.Arn); got != team {
		t.Errorf("got team %s, want %s", got, team)
	}
	if got := attempts.Load(); got < 2 {
		t.Errorf("the SDK sent %d attempts, want a retry after the 500", got)
	}
}

// httpClientFunc is an aws.HTTPClient made of a function.
type httpClientFunc func(*http.Request) (*http.Response, error)

func (f httpClientFunc) Do(req *http.Request) (*http.Response, error) { return f(req) }
