package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Process is a child process that serves HTTP on a loopback port.
type Process struct {
	Name    string
	URL     string
	LogPath string
	// Started is when the process was started, the zero point of its
	// cold start time.
	Started time.Time

	cmd     *exec.Cmd
	logFile *os.File
	exited  chan struct{}
	waitErr error
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// StartProcess starts argv with its standard output and error going to
// logPath. The process receives SIGTERM if this one dies, so that no child
// outlives the harness.
func StartProcess(name string, argv []string, url, logPath string) (*Process, error) {
	if err := CheckLoopback(url); err != nil {
		return nil, err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create the log of %s: %w", name, err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	setParentDeathSignal(cmd)
	p := &Process{Name: name, URL: url, LogPath: logPath, cmd: cmd, logFile: logFile, exited: make(chan struct{})}
	p.Started = time.Now()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s (%s): %w", name, argv[0], err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		logFile.Close()
		close(p.exited)
	}()
	return p, nil
}

// PID returns the process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// WaitReady calls probe every pollInterval until it succeeds, and returns
// the time from the start of the process to the first success. It fails
// when the process exits or timeout passes.
func (p *Process) WaitReady(ctx context.Context, probe func(context.Context) error, pollInterval, timeout time.Duration) (time.Duration, error) {
	deadline := time.Now().Add(timeout)
	var lastErr error
	for {
		attemptCtx, cancel := context.WithTimeout(ctx, time.Second)
		err := probe(attemptCtx)
		cancel()
		if err == nil {
			return time.Since(p.Started), nil
		}
		lastErr = err
		select {
		case <-p.exited:
			return 0, fmt.Errorf("%s exited before it responded (%v); its log %s ends with:\n%s", p.Name, p.waitErr, p.LogPath, p.logTail(10))
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(pollInterval):
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%s timed out: no response within %s, last error: %v; see its log %s", p.Name, timeout, lastErr, p.LogPath)
		}
	}
}

// logTail returns the last n lines of the process's log.
func (p *Process) logTail(n int) string {
	b, err := os.ReadFile(p.LogPath)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}

// Stop sends SIGTERM and waits up to ten seconds for the process to exit,
// then kills it.
func (p *Process) Stop() error {
	select {
	case <-p.exited:
		return nil
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop %s: %w", p.Name, err)
	}
	select {
	case <-p.exited:
		return nil
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("%s did not stop within 10s of SIGTERM and was killed", p.Name)
	}
}

// ReadRSS returns the resident set size of a process, and its peak over
// the process's life (VmHWM), in KiB, from /proc/PID/status.
func ReadRSS(pid int) (rss, peak int64, err error) {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		var target *int64
		switch name {
		case "VmRSS":
			target = &rss
		case "VmHWM":
			target = &peak
		default:
			continue
		}
		fields := strings.Fields(value)
		if len(fields) == 0 {
			continue
		}
		if *target, err = strconv.ParseInt(fields[0], 10, 64); err != nil {
			return 0, 0, fmt.Errorf("parse %s of process %d: %w", name, pid, err)
		}
	}
	return rss, peak, sc.Err()
}

// rssSampler records the largest resident set size of a process while it
// runs.
type rssSampler struct {
	stop chan struct{}
	done sync.WaitGroup
	peak int64
}

// sampleRSS reads the process's RSS every interval until Stop. A pid of 0
// samples nothing.
func sampleRSS(pid int, interval time.Duration) *rssSampler {
	s := &rssSampler{stop: make(chan struct{})}
	if pid == 0 {
		return s
	}
	read := func() {
		if rss, _, err := ReadRSS(pid); err == nil && rss > s.peak {
			s.peak = rss
		}
	}
	read()
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				read()
				return
			case <-t.C:
				read()
			}
		}
	}()
	return s
}

// Stop ends the sampling and returns the peak RSS in KiB.
func (s *rssSampler) Stop() int64 {
	close(s.stop)
	s.done.Wait()
	return s.peak
}

// ResolveMoto returns the path of the moto_server program. A pyenv shim is
// resolved to the script it runs, so that the process started is Python
// itself: the shim's own start-up would count in the cold start time, and
// its process would hide Python's memory.
func ResolveMoto(name string) (string, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("moto_server not found (%w): install moto[server] or pass its path", err)
	}
	if !strings.Contains(path, "/shims/") {
		return path, nil
	}
	out, err := exec.Command("pyenv", "which", filepath.Base(path)).Output()
	if err != nil {
		return "", fmt.Errorf("resolve the pyenv shim %s with pyenv which: %w", path, err)
	}
	return string(bytes.TrimSpace(out)), nil
}
