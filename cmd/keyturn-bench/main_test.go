package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// execute runs the command tree with args and returns its output.
func execute(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCommand()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func TestHelpListsCommands(t *testing.T) {
	out, err := execute(t, "--help")
	if err != nil {
		t.Fatalf("--help: %v", err)
	}
	for _, name := range []string{"fill", "run", "growth", "coldstart", "credentials"} {
		if !strings.Contains(out, "  "+name+" ") {
			t.Errorf("help does not list %s:\n%s", name, out)
		}
	}
	_, commands, _ := strings.Cut(out, "Available Commands:")
	for _, hidden := range []string{"server", "minimal"} {
		if strings.Contains(commands, "\n  "+hidden+" ") {
			t.Errorf("help lists the internal command %s:\n%s", hidden, commands)
		}
	}
}

func TestSubcommandHelp(t *testing.T) {
	for _, tc := range []struct {
		command string
		flags   []string
	}{
		{"fill", []string{"--database", "--teams", "--sessions", "--seed", "--batch"}},
		{"run", []string{"--database", "--concurrency", "--duration", "--json", "--client", "--moto", "--profile-dir", "--scenarios"}},
		{"growth", []string{"--database", "--pages", "--concurrency", "--json"}},
		{"coldstart", []string{"--keyturn", "--database", "--repeat", "--json"}},
		{"credentials", []string{"--database"}},
	} {
		out, err := execute(t, tc.command, "--help")
		if err != nil {
			t.Errorf("%s --help: %v", tc.command, err)
			continue
		}
		for _, flag := range tc.flags {
			if !strings.Contains(out, flag) {
				t.Errorf("%s --help does not document %s", tc.command, flag)
			}
		}
	}
}

func TestFillAndCredentials(t *testing.T) {
	db := filepath.Join(t.TempDir(), "bench.db")
	out, err := execute(t, "fill", "--database", db, "--sessions", "200", "--teams", "2")
	if err != nil {
		t.Fatalf("fill: %v\n%s", err, out)
	}
	if !strings.Contains(out, "Filled 2 teams and 200 sessions") {
		t.Errorf("fill output does not report the counts:\n%s", out)
	}

	_, err = execute(t, "fill", "--database", db, "--sessions", "10")
	if err == nil || !strings.Contains(err.Error(), "already contains") {
		t.Errorf("second fill: got error %v, want one that says the database is filled", err)
	}

	out, err = execute(t, "credentials", "--database", db)
	if err != nil {
		t.Fatalf("credentials: %v", err)
	}
	if !strings.Contains(out, `"AccessKeyId": "200000000000"`) || !strings.Contains(out, `"AccessKeyId": "200000000001"`) {
		t.Errorf("credentials do not name both accounts:\n%s", out)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run"}, "--database is required"},
		{[]string{"run", "--database", "x.db", "--client", "curl"}, "invalid --client"},
		{[]string{"run", "--database", "x.db", "--concurrency", "0"}, "invalid --concurrency"},
		{[]string{"run", "--database", "x.db", "--connect", "http://192.168.1.10:8080", "--moto", ""}, "loopback"},
		{[]string{"coldstart"}, "--keyturn is required"},
	} {
		_, err := execute(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got error %v, want one that contains %q", tc.args, err, tc.want)
		}
	}
}

func TestParseInts(t *testing.T) {
	got, err := parseInts("pages", "10, 100,1000")
	if err != nil || len(got) != 3 || got[0] != 10 || got[2] != 1000 {
		t.Errorf("parseInts = %v, %v; want [10 100 1000]", got, err)
	}
	for _, bad := range []string{"", "a", "1,-2", "0"} {
		if _, err := parseInts("pages", bad); err == nil {
			t.Errorf("parseInts(%q) succeeded, want an error", bad)
		}
	}
}
