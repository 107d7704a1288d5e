// Package server assembles Keyturn: it opens the store, builds the engine,
// serves the MPA API, Keyturn's own API and the approval portal over HTTP,
// and runs the background sweeper that applies expiries.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/keyturn/keyturn"
	"github.com/keyturn/keyturn/internal/ctlapi"
	"github.com/keyturn/keyturn/internal/engine"
	"github.com/keyturn/keyturn/internal/mail"
	"github.com/keyturn/keyturn/internal/mpaapi"
	"github.com/keyturn/keyturn/internal/portal"
	"github.com/keyturn/keyturn/internal/sigv4"
	"github.com/keyturn/keyturn/internal/sqlstore"
	"github.com/keyturn/keyturn/internal/wire"
)

// Config is the configuration of a server. Zero fields take the defaults
// given in their comments.
type Config struct {
	// Addr is the TCP address to listen on. Default: 127.0.0.1:8080.
	// Port 0 picks a free port; URL reports it.
	Addr string
	// Database is a SQLite file path, "memory" for an in-memory SQLite
	// database that keeps nothing on disk, or a postgres:// URL.
	// Default: keyturn.db.
	Database string
	// Dev turns on development mode: any AWS credentials are accepted,
	// tests can move the clock, reset state, and act as any approver.
	// Never use it in production.
	Dev bool
	// DefaultAccountID is the account of development-mode requests whose
	// access key is not 12 digits. Default: 000000000000.
	DefaultAccountID string
	// Credentials are the access keys that production mode accepts.
	Credentials []sigv4.Credential
	// PublicURL is the base URL under which clients reach the server, used
	// in approval portal links. Default: http://<Addr>.
	PublicURL string
	// SweepInterval is how often the sweeper applies expiries. Default: 1s.
	SweepInterval time.Duration
	// RequestTimeout bounds the work of one request and of one sweep. A
	// database that stops responding without closing its connections fails
	// them when it passes. Default: 30s.
	RequestTimeout time.Duration
	// Seed, when not zero, makes ids repeatable: the same seed and the same
	// requests give the same ARNs. Development mode only.
	Seed uint64
	// SMTP, when set, is the server through which Keyturn e-mails
	// one-time codes and enrolment codes.
	SMTP *mail.Config
	// Engine holds workflow settings; its Clock, Random, Logger, PortalURL
	// and EmailSender are set by the server.
	Engine engine.Config
	// Logger receives the server's logs. Default: JSON to standard error.
	Logger *slog.Logger
}

// Server is a running Keyturn.
type Server struct {
	cfg      Config
	log      *slog.Logger
	store    keyturn.Store
	engine   *engine.Engine
	clock    *DevClock
	listener net.Listener
	http     *http.Server

	stopSweeper context.CancelFunc
	sweeperDone chan struct{}
	closeOnce   sync.Once
}

// New opens the store, applies migrations and binds the listener, so that
// configuration and bind errors come back before the server runs.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:8080"
	}
	if cfg.Database == "" {
		cfg.Database = "keyturn.db"
	}
	if cfg.DefaultAccountID == "" {
		cfg.DefaultAccountID = "000000000000"
	}
	if cfg.SweepInterval == 0 {
		cfg.SweepInterval = time.Second
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	if !cfg.Dev && len(cfg.Credentials) == 0 {
		return nil, errors.New("no credentials are configured: pass a credentials file with --credentials-file, or run in development mode (--dev) to accept any credentials")
	}
	if !cfg.Dev && cfg.Seed != 0 {
		return nil, errors.New("a seed makes tokens and codes predictable, so it is allowed in development mode only")
	}
	s := &Server{cfg: cfg, log: cfg.Logger}

	store, err := OpenStore(ctx, cfg.Database)
	if err != nil {
		return nil, err
	}
	s.store = store

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	s.listener = ln
	if s.cfg.PublicURL == "" {
		s.cfg.PublicURL = "http://" + ln.Addr().String()
	}

	ecfg := cfg.Engine
	ecfg.Logger = s.log
	ecfg.Development = cfg.Dev
	if cfg.SMTP != nil {
		sender, err := mail.New(*cfg.SMTP)
		if err != nil {
			s.Close()
			return nil, err
		}
		ecfg.EmailSender = sender
	}
	ecfg.PortalURL = strings.TrimSuffix(s.cfg.PublicURL, "/") + "/portal/"
	if cfg.Dev {
		s.clock = &DevClock{}
		if err := s.clock.load(ctx, store); err != nil {
			s.Close()
			return nil, fmt.Errorf("load the development clock: %w", err)
		}
		ecfg.Clock = s.clock
		if cfg.Seed != 0 {
			ecfg.Random = rand.NewChaCha8(seedBytes(cfg.Seed))
		}
	}
	s.engine = engine.New(store, ecfg)
	if err := s.engine.EnsureCatalogue(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("seed the policy catalogue: %w", err)
	}
	if !cfg.Dev {
		if rules, err := s.engine.Rules(ctx); err == nil && len(rules) > 0 {
			s.log.Warn("the database holds rules that a development server added to answer for approvers; this production server does not apply them",
				"rules", len(rules))
		}
	}

	verifier := &sigv4.Verifier{
		Service:          "mpa",
		Credentials:      map[string]sigv4.Credential{},
		AnyKey:           cfg.Dev,
		DefaultAccountID: cfg.DefaultAccountID,
	}
	for _, c := range cfg.Credentials {
		verifier.Credentials[c.AccessKeyID] = c
	}

	var dev ctlapi.DevControls
	if cfg.Dev {
		dev = devControls{s}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /keyturn/health", s.health)
	mux.HandleFunc("/keyturn/health", func(w http.ResponseWriter, r *http.Request) {
		wire.WriteError(w, r, s.log, &wire.APIError{Status: http.StatusMethodNotAllowed, Code: "UnknownOperationException",
			Message: fmt.Sprintf("The health check takes GET, not %s.", r.Method), Allow: "GET"})
	})
	mux.Handle(ctlapi.Prefix, ctlapi.New(s.engine, verifier, dev, s.log))
	mux.Handle(portal.Prefix, portal.New(s.engine, portal.Config{PublicURL: s.cfg.PublicURL, Logger: s.log}))
	mux.Handle("/", mpaapi.New(s.engine, verifier, s.log))
	s.http = &http.Server{
		Handler: withTimeout(mux, cfg.RequestTimeout),
		// Bounds against slow clients; MPA requests and responses are small.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// seedBytes stretches a seed into the 32 bytes of a ChaCha8 key.
func seedBytes(seed uint64) [32]byte {
	var b [32]byte
	for i := range 4 {
		v := seed + uint64(i)*0x9e3779b97f4a7c15
		for j := range 8 {
			b[i*8+j] = byte(v >> (8 * j))
		}
	}
	return b
}

// OpenStore opens the store that a database setting names: a postgres://
// or postgresql:// URL, "memory", or a SQLite file path. The store keeps
// each session's ListSessions entry in its wire form, so that listing
// sessions does not decode them.
func OpenStore(ctx context.Context, database string) (keyturn.Store, error) {
	var (
		store *sqlstore.Store
		err   error
	)
	switch {
	case strings.HasPrefix(database, "postgres://"), strings.HasPrefix(database, "postgresql://"):
		store, err = sqlstore.OpenPostgres(ctx, database, sqlstore.PostgresOptions{})
	case database == "memory":
		store, err = sqlstore.OpenSQLite(ctx, sqlstore.Memory)
	default:
		store, err = sqlstore.OpenSQLite(ctx, database)
	}
	if err != nil {
		return nil, err
	}
	store.SetSessionSummarizer(mpaapi.SessionSummarizer)
	return store, nil
}

// URL returns the base URL the server listens on.
func (s *Server) URL() string { return "http://" + s.listener.Addr().String() }

// Engine returns the server's engine.
func (s *Server) Engine() *engine.Engine { return s.engine }

// Run serves requests and sweeps expiries until ctx ends or Close is
// called. It returns nil after a clean shutdown.
func (s *Server) Run(ctx context.Context) error {
	sweepCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stopSweeper = stop
	s.sweeperDone = make(chan struct{})
	go s.sweep(sweepCtx)

	s.log.Info("keyturn started", "url", s.URL(), "dev", s.cfg.Dev, "database", describeDatabase(s.cfg.Database),
		"credentials", len(s.cfg.Credentials))
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(s.listener) }()
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
		return s.Close()
	}
}

// Close stops accepting requests, waits up to ten seconds for those in
// flight, stops the sweeper and closes the store.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		if s.http != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err = s.http.Shutdown(ctx)
		} else if s.listener != nil {
			s.listener.Close()
		}
		if s.stopSweeper != nil {
			s.stopSweeper()
			<-s.sweeperDone
		}
		if s.store != nil {
			err = errors.Join(err, s.store.Close())
		}
		s.log.Info("keyturn stopped")
	})
	return err
}

// sweep applies expiries every SweepInterval. Each replica sweeps; the
// engine makes each transition happen once.
func (s *Server) sweep(ctx context.Context) {
	defer close(s.sweeperDone)
	t := time.NewTicker(s.cfg.SweepInterval)
	defer t.Stop()
	var lastErr string
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := s.sweepOnce(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			// Log a failure once until it changes or clears, not every tick.
			if err.Error() != lastErr {
				s.log.Error("sweep failed", "err", err)
				lastErr = err.Error()
			}
		case err == nil:
			if lastErr != "" {
				s.log.Info("sweep recovered")
				lastErr = ""
			}
			if n > 0 {
				s.log.Debug("sweep applied transitions", "count", n)
			}
		}
	}
}

// sweepOnce runs one sweep, bounded by the request timeout. Each
// transition has its own transaction, so a sweep cut short keeps the
// transitions it applied, and the next one goes on from there.
func (s *Server) sweepOnce(ctx context.Context) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	return s.engine.Sweep(ctx)
}

// withTimeout gives every request a deadline. A database that stops
// responding without closing its connections, as happens behind a network
// partition, would otherwise hold a request until the client gives up.
// Clients see a request that ran out of time as InternalServerException:
// the PostgreSQL store returns ErrUnavailable when the deadline passes.
func withTimeout(h http.Handler, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// health reports whether the store answers. Load balancers take a replica
// out of service while it returns 503.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("health check failed", "err", err)
		wire.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"Status": "unavailable", "Message": "The database does not answer."})
		return
	}
	wire.WriteJSON(w, http.StatusOK, map[string]string{"Status": "ok"})
}

// describeDatabase returns the database setting without a password.
func describeDatabase(database string) string {
	if i := strings.Index(database, "://"); i >= 0 {
		if at := strings.LastIndex(database, "@"); at > i {
			userinfo := database[i+3 : at]
			if user, _, ok := strings.Cut(userinfo, ":"); ok {
				return database[:i+3] + user + ":***" + database[at:]
			}
		}
	}
	return database
}

// LoadCredentials reads a credentials file: a JSON array of objects with
// AccessKeyId, SecretAccessKey, AccountId, PrincipalArn and, optionally,
// Operator and IdentityAdmin. Unknown members are errors, so that a
// misspelt permission is not silently dropped, and so are duplicate keys.
// It also returns warnings: a file that other users can read.
func LoadCredentials(path string) (creds []sigv4.Credential, warnings []string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read the credentials file (--credentials-file): %w", err)
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.Mode().Perm()&0o077 != 0 {
		warnings = append(warnings, fmt.Sprintf(
			"the credentials file %s has mode %v, so other users can read its secret keys; make it readable by its owner only (chmod 600)", path, info.Mode().Perm()))
	}
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&creds); err != nil {
		return nil, nil, fmt.Errorf("credentials file %s is not a JSON array of credentials with AccessKeyId, SecretAccessKey, AccountId, PrincipalArn, Operator and IdentityAdmin: %w", path, err)
	}
	seen := map[string]bool{}
	for i, c := range creds {
		switch {
		case c.AccessKeyID == "" || c.SecretAccessKey == "":
			return nil, nil, fmt.Errorf("credentials file %s: entry %d needs AccessKeyId and SecretAccessKey", path, i)
		case len(c.AccountID) != 12 || strings.Trim(c.AccountID, "0123456789") != "":
			return nil, nil, fmt.Errorf("credentials file %s: entry %d (%s) needs a 12-digit AccountId", path, i, c.AccessKeyID)
		case seen[c.AccessKeyID]:
			return nil, nil, fmt.Errorf("credentials file %s: access key %s appears twice", path, c.AccessKeyID)
		case c.PrincipalArn == "":
			creds[i].PrincipalArn = fmt.Sprintf("arn:aws:iam::%s:user/%s", c.AccountID, c.AccessKeyID)
		}
		seen[c.AccessKeyID] = true
	}
	return creds, warnings, nil
}
