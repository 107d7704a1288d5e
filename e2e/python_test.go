package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/keyturn/keyturn/internal/storetest"
	"github.com/keyturn/keyturn/keyturntest"
)

// pythonModuleTimeout bounds one Python test module, so that a hung
// request fails the subtest instead of the whole run.
const pythonModuleTimeout = 5 * time.Minute

// TestPython runs the Python end-to-end tests in e2e/python against the
// real keyturn binary: boto3, the AWS CLI and raw SigV4-signed HTTP. It
// builds the binary, starts one development server that every module
// shares, and runs each test_*.py module with `python3 -m unittest` in a
// subtest of its own.
func TestPython(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the Python end-to-end tests in -short mode")
	}
	python := findPythonWithBoto3(t)

	modules, err := filepath.Glob(filepath.Join("python", "test_*.py"))
	if err != nil || len(modules) == 0 {
		t.Fatalf("no Python test modules in e2e/python (glob error: %v)", err)
	}

	binary := buildServerForPython(t)
	server := startServerForPython(t, binary)

	env := append(os.Environ(),
		"KEYTURN_URL="+server.url,
		"KEYTURN_BIN="+binary,
		"AWS_ACCESS_KEY_ID=111122223333",
		"AWS_SECRET_ACCESS_KEY=anything",
		"AWS_DEFAULT_REGION=us-east-1",
		// Keep the tests independent of the user's AWS configuration.
		"AWS_CONFIG_FILE="+filepath.Join(t.TempDir(), "aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(t.TempDir(), "aws-credentials"),
		"PYTHONDONTWRITEBYTECODE=1",
		"PYTHONUNBUFFERED=1",
	)
	for _, path := range modules {
		module := strings.TrimSuffix(filepath.Base(path), ".py")
		t.Run(module, func(t *testing.T) {
			runPythonModule(t, python, module, env)
		})
	}

	server.stop(t)
	if lines := server.errorLines(); len(lines) > 0 {
		t.Errorf("the shared server logged %d errors or panics; want none:\n%s", len(lines), strings.Join(lines, "\n"))
	}
}

// findPythonWithBoto3 returns the python3 interpreter, or skips the test
// when python3 or boto3 is missing.
func findPythonWithBoto3(t *testing.T) string {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not on PATH; install Python 3.9 or later and `python3 -m pip install boto3 awscli` to run the Python end-to-end tests")
	}
	out, err := exec.Command(python, "-c", "import boto3, botocore; print(botocore.__version__)").CombinedOutput()
	if err != nil {
		t.Skipf("boto3 is not installed for %s (%v: %s); install it with `python3 -m pip install boto3 awscli`", python, err, bytes.TrimSpace(out))
	}
	t.Logf("using %s with botocore %s", python, bytes.TrimSpace(out))
	return python
}

// buildServerForPython builds cmd/keyturn into a temporary directory and
// returns the binary's path.
func buildServerForPython(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root %s has no go.mod: %v", root, err)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH: %v", err)
	}

	binary := filepath.Join(t.TempDir(), "keyturn")
	build := exec.Command(goTool, "build", "-o", binary, "./cmd/keyturn")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/keyturn failed: %v\n%s", err, out)
	}
	return binary
}

// pythonServer is a keyturn subprocess that the Python tests share.
type pythonServer struct {
	cmd     *exec.Cmd
	url     string
	logPath string
	done    chan struct{}
	stopped sync.Once
}

// startServerForPython starts `keyturn serve --dev` on a free loopback
// port with a SQLite database in a temporary directory, or a fresh
// PostgreSQL schema when KEYTURN_TEST_STORE is "postgres", and waits until
// its health check returns 200. The server is stopped when the test ends.
func startServerForPython(t *testing.T, binary string) *pythonServer {
	t.Helper()
	dir := t.TempDir()
	addr := freeAddrForPython(t)
	s := &pythonServer{url: "http://" + addr, logPath: filepath.Join(dir, "server.log"), done: make(chan struct{})}

	logFile, err := os.Create(s.logPath)
	if err != nil {
		t.Fatal(err)
	}
	database := filepath.Join(dir, "keyturn.db")
	if os.Getenv(keyturntest.StoreEnv) == "postgres" {
		database = storetest.PostgresURL(t)
	}
	s.cmd = exec.Command(binary, "serve", "--dev",
		"--addr", addr,
		"--database", database,
		"--log-format", "text")
	s.cmd.Stdout = logFile
	s.cmd.Stderr = logFile
	if err := s.cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("start %s: %v", binary, err)
	}
	go func() {
		s.cmd.Wait()
		logFile.Close()
		close(s.done)
	}()
	t.Cleanup(func() { s.stop(t) })

	if err := s.waitHealthy(20 * time.Second); err != nil {
		t.Fatalf("keyturn serve did not become healthy: %v\nserver log:\n%s", err, s.log())
	}
	t.Logf("keyturn serve --dev is listening on %s", s.url)
	return s
}

func freeAddrForPython(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitHealthy polls GET /keyturn/health until it returns 200, the server
// exits, or the timeout passes.
func (s *pythonServer) waitHealthy(timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	var lastErr error
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("the server exited: %v", s.cmd.ProcessState)
		default:
		}
		resp, err := client.Get(s.url + "/keyturn/health")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("GET /keyturn/health returned %s", resp.Status)
		}
		lastErr = err
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("timed out after %s; last error: %v", timeout, lastErr)
}

// stop sends SIGTERM and waits for the server to exit, killing it after
// ten seconds. A server that exits with an error fails the test.
func (s *pythonServer) stop(t *testing.T) {
	s.stopped.Do(func() {
		if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Errorf("send SIGTERM to keyturn: %v", err)
		}
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
			<-s.done
			t.Errorf("keyturn did not stop within 10s of SIGTERM; killed it")
			return
		}
		if !s.cmd.ProcessState.Success() {
			t.Errorf("keyturn exited with %v after SIGTERM; want status 0\nserver log:\n%s", s.cmd.ProcessState, s.log())
		}
	})
}

func (s *pythonServer) log() string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return fmt.Sprintf("(cannot read the server log: %v)", err)
	}
	return string(b)
}

// errorLines returns the log lines of level ERROR and panics: internal
// errors that a client sees as InternalServerException.
func (s *pythonServer) errorLines() []string {
	var lines []string
	for line := range strings.Lines(s.log()) {
		if strings.Contains(line, "level=ERROR") || strings.Contains(line, "panic") {
			lines = append(lines, strings.TrimRight(line, "\n"))
		}
	}
	return lines
}

// runPythonModule runs one test module with unittest in e2e/python and
// streams its output into the test log.
func runPythonModule(t *testing.T, python, module string, env []string) {
	ctx, cancel := context.WithTimeout(context.Background(), pythonModuleTimeout)
	defer cancel()

	cmd := exec.CommandContext(ctx, python, "-m", "unittest", "-v", module)
	cmd.Dir = "python"
	cmd.Env = env
	cmd.WaitDelay = 5 * time.Second
	// One writer for both streams, so that os/exec writes from one
	// goroutine at a time.
	out := t.Output()
	cmd.Stdout = out
	cmd.Stderr = out

	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("python3 -m unittest %s timed out after %s", module, pythonModuleTimeout)
	}
	if err != nil {
		t.Fatalf("python3 -m unittest %s failed: %v (the failures are in the log above)", module, err)
	}
}
