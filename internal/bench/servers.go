package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/keyturn/keyturn/internal/server"
)

// ServerOptions configures a Keyturn server started by the harness. The
// flags of keyturn-bench server, and of keyturn serve, carry the same
// names.
type ServerOptions struct {
	Addr     string
	Database string
	// Dev starts a development server, which accepts any access key
	// without checking signatures and lets signed requests act as
	// approvers. Without it, requests are verified against the
	// credentials in CredentialsFile.
	Dev             bool
	CredentialsFile string
	// LogLevel is the lowest level logged, as in keyturn serve: info logs
	// one line per request.
	LogLevel string
	// PprofAddr, when set, serves net/http/pprof on this loopback address.
	PprofAddr string
}

// RunServer runs a Keyturn server in this process, configured as keyturn
// serve configures it, until ctx ends. It logs JSON to logOut.
func RunServer(ctx context.Context, opts ServerOptions, logOut io.Writer) error {
	if err := CheckLoopback("http://" + opts.Addr); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(opts.LogLevel)); err != nil {
		return fmt.Errorf("invalid log level %q: use debug, info, warn or error", opts.LogLevel)
	}
	cfg := server.Config{
		Addr:     opts.Addr,
		Database: opts.Database,
		Dev:      opts.Dev,
		Logger:   slog.New(slog.NewJSONHandler(logOut, &slog.HandlerOptions{Level: level})),
	}
	if opts.CredentialsFile != "" {
		creds, _, err := server.LoadCredentials(opts.CredentialsFile)
		if err != nil {
			return err
		}
		cfg.Credentials = creds
	}
	srv, err := server.New(ctx, cfg)
	if err != nil {
		return err
	}
	if opts.PprofAddr != "" {
		stop, err := servePprof(opts.PprofAddr)
		if err != nil {
			srv.Close()
			return err
		}
		defer stop()
	}
	return srv.Run(ctx)
}

// servePprof serves the CPU and heap profiles on a loopback address of its
// own, apart from the API.
func servePprof(addr string) (stop func(), err error) {
	if err := CheckLoopback("http://" + addr); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for pprof on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return func() { srv.Close() }, nil
}

// ServeMinimal runs the minimal reference server until ctx ends. It
// responds to every request with status 200 and body, as a JSON service
// that does no work would, so it is the ceiling of an HTTP JSON service on
// the machine.
func ServeMinimal(ctx context.Context, addr string, body []byte) error {
	if err := CheckLoopback("http://" + addr); err != nil {
		return err
	}
	length := strconv.Itoa(len(body))
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", length)
		h.Set("x-amzn-RequestId", "00000000-0000-0000-0000-000000000000")
		w.Write(body)
	})
	srv := &http.Server{Addr: addr, Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := srv.Shutdown(shutdownCtx)
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}

// keyturnArgs returns the command line that starts a Keyturn server: bin's
// serve command, or this program's built-in server when bin is empty.
func keyturnArgs(bin string, opts ServerOptions) ([]string, error) {
	var argv []string
	if bin == "" {
		self, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find this program to start its built-in server: %w", err)
		}
		argv = []string{self, "server"}
	} else {
		argv = []string{bin, "serve"}
	}
	argv = append(argv, "--addr", opts.Addr, "--database", opts.Database, "--log-level", opts.LogLevel)
	if opts.Dev {
		argv = append(argv, "--dev")
	}
	if opts.CredentialsFile != "" {
		argv = append(argv, "--credentials-file", opts.CredentialsFile)
	}
	if opts.PprofAddr != "" {
		if bin != "" {
			return nil, errors.New("CPU profiles need the built-in server: leave out the server binary")
		}
		argv = append(argv, "--pprof-addr", opts.PprofAddr)
	}
	return argv, nil
}

// startKeyturn starts a Keyturn server on a free port and waits until it
// responds to a signed MPA request from the account.
func startKeyturn(ctx context.Context, name, bin string, opts ServerOptions, workDir, accountID string, hc *http.Client) (*Process, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	opts.Addr = "127.0.0.1:" + strconv.Itoa(port)
	argv, err := keyturnArgs(bin, opts)
	if err != nil {
		return nil, err
	}
	p, err := StartProcess(name, argv, "http://"+opts.Addr, filepath.Join(workDir, name+".log"))
	if err != nil {
		return nil, err
	}
	ep := newMPAEndpoint(p.URL, accountID, hc)
	if _, err := p.WaitReady(ctx, ep.listApprovalTeams, 5*time.Millisecond, 60*time.Second); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

// startMinimal starts the minimal reference server as a child process that
// responds with the body in bodyFile.
func startMinimal(ctx context.Context, bodyFile, workDir string, hc *http.Client) (*Process, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	p, err := StartProcess("minimal", []string{self, "minimal", "--addr", addr, "--body", bodyFile}, "http://"+addr, filepath.Join(workDir, "minimal.log"))
	if err != nil {
		return nil, err
	}
	ep := newMPAEndpoint(p.URL, AccountID(0), hc)
	if _, err := p.WaitReady(ctx, ep.listApprovalTeams, 5*time.Millisecond, 30*time.Second); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}
