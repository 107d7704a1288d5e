package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keyturn/keyturn/keyturntest"
)

// startServer starts a development server and points the environment at
// it: AWS credentials whose access key is the server's account, and
// KEYTURN_ENDPOINT_URL. It clears the other variables that commands read,
// so that the developer's own configuration cannot leak into a test.
func startServer(t *testing.T) *keyturntest.Server {
	t.Helper()
	srv := keyturntest.NewServer(t)
	dir := t.TempDir()
	env := map[string]string{
		"AWS_ACCESS_KEY_ID":           srv.AccountID,
		"AWS_SECRET_ACCESS_KEY":       "cli-test-secret",
		"AWS_SESSION_TOKEN":           "",
		"AWS_REGION":                  srv.Region,
		"AWS_DEFAULT_REGION":          "",
		"AWS_PROFILE":                 "",
		"AWS_DEFAULT_PROFILE":         "",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "aws-credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
		"KEYTURN_ENDPOINT_URL":        srv.URL,
		"KEYTURN_OUTPUT":              "",
		"KEYTURN_APPROVER_TOKEN":      "",
		"KEYTURN_TOKEN_FILE":          "",
		"KEYTURN_AS":                  "",
		"XDG_CONFIG_HOME":             filepath.Join(dir, "config"),
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	return srv
}

// result is what one run of the command tree printed and its exit status.
type result struct {
	stdout, stderr string
	code           int
}

// runCLI runs the keyturn command tree in-process with the arguments.
func runCLI(ctx context.Context, args ...string) result {
	root := newRootCommand()
	var stdout, stderr bytes.Buffer
	root.SetArgs(args)
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	code := execute(ctx, root)
	return result{stdout.String(), stderr.String(), code}
}

// run runs the command tree and fails the test unless it exits with want.
func run(t *testing.T, want int, args ...string) result {
	t.Helper()
	r := runCLI(context.Background(), args...)
	if r.code != want {
		t.Fatalf("keyturn %s: got exit code %d, want %d\nstdout:\n%s\nstderr:\n%s",
			strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
	}
	return r
}

// runJSON runs the command tree with --output json, expects exit code 0,
// and decodes its output into out.
func runJSON(t *testing.T, out any, args ...string) {
	t.Helper()
	r := run(t, 0, append(args, "--output", "json")...)
	if err := json.Unmarshal([]byte(r.stdout), out); err != nil {
		t.Fatalf("keyturn %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, r.stdout)
	}
}

func TestErrorPrintsCodeAndMessage(t *testing.T) {
	srv := startServer(t)
	srv.IdentitySourceArn(t)

	r := run(t, 1, "users", "get", "nobody")
	if r.stdout != "" {
		t.Errorf("got stdout %q, want none", r.stdout)
	}
	if !strings.HasPrefix(r.stderr, "keyturn: ResourceNotFoundException: ") {
		t.Errorf("got stderr %q, want it to start with \"keyturn: ResourceNotFoundException: \"", r.stderr)
	}
	if !strings.Contains(r.stderr, "nobody") {
		t.Errorf("got stderr %q, want it to name the user nobody", r.stderr)
	}
	if strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("got stderr %q, want one line", r.stderr)
	}
}

func TestErrorsOfLocalChecks(t *testing.T) {
	startServer(t)

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"invalid output", []string{"users", "list", "--output", "yaml"}, `invalid --output "yaml"`},
		{"invalid endpoint", []string{"users", "list", "--endpoint-url", "127.0.0.1:8080"}, `invalid --endpoint-url "127.0.0.1:8080"`},
		{"missing argument", []string{"users", "get"}, "takes 1 argument(s), USER, but got 0"},
		{"missing required flag", []string{"sessions", "start", "--action", "test:Run"}, `"team" not set`},
		{"invalid duration", []string{"sessions", "start", "--team", "t", "--action", "test:Run", "--duration", "90s"}, "invalid --duration 1m30s"},
		{"invalid metadata", []string{"sessions", "start", "--team", "t", "--action", "test:Run", "--metadata", "novalue"}, `invalid --metadata "novalue"`},
		{"invalid execution status", []string{"sessions", "report-execution", "arn", "--status", "DONE"}, `invalid --status "DONE"`},
		{"both factors", []string{"approver", "approve", "arn", "--as", "u", "--totp", "1", "--email-code", "2"}, "none of the others can be"},
		{"nothing to update", []string{"users", "update", "alice"}, "nothing to change for user alice"},
		{"invalid factor", []string{"approver", "mfa", "remove", "SMS", "--as", "u"}, `invalid factor "SMS"`},
		{"no approver token", []string{"approver", "whoami"}, "no approver token"},
		{"server not reachable", []string{"users", "list", "--endpoint-url", "http://127.0.0.1:1"}, "cannot reach the Keyturn server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, 1, tt.args...)
			if !strings.HasPrefix(r.stderr, "keyturn: ") || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("got stderr %q, want \"keyturn: \" and %q", r.stderr, tt.want)
			}
		})
	}
}

func TestFlagsFallBackToEnvironment(t *testing.T) {
	srv := startServer(t)
	srv.CreateUser(t, "alice")

	t.Run("KEYTURN_OUTPUT", func(t *testing.T) {
		t.Setenv("KEYTURN_OUTPUT", "json")
		r := run(t, 0, "users", "list")
		if !json.Valid([]byte(r.stdout)) {
			t.Errorf("got output %q, want JSON", r.stdout)
		}
	})
	t.Run("flag wins over environment", func(t *testing.T) {
		t.Setenv("KEYTURN_OUTPUT", "json")
		r := run(t, 0, "users", "list", "--output", "text")
		if !strings.HasPrefix(r.stdout, "USER NAME") {
			t.Errorf("got output %q, want a table", r.stdout)
		}
	})
	t.Run("KEYTURN_ENDPOINT_URL", func(t *testing.T) {
		t.Setenv("KEYTURN_ENDPOINT_URL", "http://127.0.0.1:1")
		r := run(t, 1, "users", "list")
		if !strings.Contains(r.stderr, "127.0.0.1:1") {
			t.Errorf("got stderr %q, want the endpoint of KEYTURN_ENDPOINT_URL", r.stderr)
		}
	})

	// Users live in one region, so the region that a command signs for
	// decides whether it sees alice.
	regions := []struct {
		name          string
		env           map[string]string
		args          []string
		wantUserCount int
	}{
		{"AWS_REGION", map[string]string{"AWS_REGION": "eu-west-1"}, nil, 0},
		{"AWS_DEFAULT_REGION", map[string]string{"AWS_REGION": "", "AWS_DEFAULT_REGION": "eu-west-1"}, nil, 0},
		{"AWS_REGION before AWS_DEFAULT_REGION", map[string]string{"AWS_REGION": srv.Region, "AWS_DEFAULT_REGION": "eu-west-1"}, nil, 1},
		{"region flag wins", map[string]string{"AWS_REGION": "eu-west-1"}, []string{"--region", srv.Region}, 1},
		{"default region", map[string]string{"AWS_REGION": "", "AWS_DEFAULT_REGION": ""}, nil, 1},
	}
	for _, tt := range regions {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var out struct{ Users []struct{ UserName string } }
			runJSON(t, &out, append([]string{"users", "list"}, tt.args...)...)
			if len(out.Users) != tt.wantUserCount {
				t.Errorf("got %d users, want %d", len(out.Users), tt.wantUserCount)
			}
		})
	}

	// A profile's credentials sign as another account, whose identity
	// store is empty.
	credentials := filepath.Join(t.TempDir(), "credentials")
	profile := "[other]\naws_access_key_id = 444455556666\naws_secret_access_key = other-secret\n"
	if err := os.WriteFile(credentials, []byte(profile), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", credentials)
	profiles := []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"profile flag", nil, []string{"--profile", "other"}},
		{"AWS_PROFILE", map[string]string{"AWS_PROFILE": "other"}, nil},
	}
	for _, tt := range profiles {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("AWS_ACCESS_KEY_ID", "")
			t.Setenv("AWS_SECRET_ACCESS_KEY", "")
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var out struct{ Users []struct{ UserName string } }
			runJSON(t, &out, append([]string{"users", "list"}, tt.args...)...)
			if len(out.Users) != 0 {
				t.Errorf("got %d users, want 0 in the profile's account", len(out.Users))
			}
		})
	}
	t.Run("missing profile", func(t *testing.T) {
		r := run(t, 1, "users", "list", "--profile", "missing")
		if !strings.Contains(r.stderr, "missing") {
			t.Errorf("got stderr %q, want it to name the profile", r.stderr)
		}
	})

	t.Run("KEYTURN_AS", func(t *testing.T) {
		t.Setenv("KEYTURN_AS", "alice")
		var me struct{ User struct{ UserName string } }
		runJSON(t, &me, "approver", "whoami")
		if me.User.UserName != "alice" {
			t.Errorf("got user %q, want alice", me.User.UserName)
		}
	})
}

func TestVersion(t *testing.T) {
	r := run(t, 0, "version")
	if want := "keyturn " + version + "\n"; r.stdout != want {
		t.Errorf("got %q, want %q", r.stdout, want)
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"90m", 90 * time.Minute, false},
		{"2h", 2 * time.Hour, false},
		{"7d", 7 * 24 * time.Hour, false},
		{"1d12h", 36 * time.Hour, false},
		{"0d", 0, false},
		{"", 0, true},
		{"d", 0, true},
		{"-1d", 0, true},
		{"1d-1h", 0, true},
		{"1w", 0, true},
		{"2x3d", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseDuration(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("got error %v, want error: %t", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestParseMetadata(t *testing.T) {
	got, err := parseMetadata([]string{"build=1234", "note=a=b", "empty="})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"build": "1234", "note": "a=b", "empty": ""}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("got %s=%q, want %q", k, got[k], v)
		}
	}

	for _, bad := range [][]string{{"novalue"}, {"=value"}, {"k=1", "k=2"}} {
		if _, err := parseMetadata(bad); err == nil {
			t.Errorf("parseMetadata(%q): got no error, want one", bad)
		}
	}
}

func TestDurationValueString(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0"},
		{24 * time.Hour, "24h"},
		{90 * time.Minute, "1h30m"},
		{10 * time.Minute, "10m"},
		{90 * time.Second, "1m30s"},
		{2 * time.Second, "2s"},
		{50 * time.Millisecond, "50ms"},
	}
	for _, tt := range tests {
		d := durationValue(tt.in)
		if got := d.String(); got != tt.want {
			t.Errorf("durationValue(%s).String(): got %q, want %q", tt.in, got, tt.want)
		}
	}
}
