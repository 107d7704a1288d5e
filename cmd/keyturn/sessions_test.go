package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mpa"

	"github.com/keyturn/keyturn/client"
	"github.com/keyturn/keyturn/keyturntest"
)

// findSession polls the team's sessions until one exists and returns its
// ARN. It gives up after about ten seconds.
func findSession(t *testing.T, srv *keyturntest.Server, team string) string {
	t.Helper()
	for range 1000 {
		out, err := srv.MPA().ListSessions(context.Background(), &mpa.ListSessionsInput{ApprovalTeamArn: aws.String(team)})
		if err != nil {
			t.Fatalf("list sessions: %v", err)
		}
		if len(out.Sessions) > 0 {
			return aws.ToString(out.Sessions[0].SessionArn)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no session of team %s appeared", team)
	return ""
}

func TestSessionsStartWait(t *testing.T) {
	tests := []struct {
		name       string
		decide     func(t *testing.T, srv *keyturntest.Server, arn, approver string)
		wantCode   int
		wantStatus string
	}{
		{"approved", func(t *testing.T, srv *keyturntest.Server, arn, approver string) {
			srv.Vote(t, arn, approver, "APPROVED")
		}, 0, "APPROVED"},
		{"rejected", func(t *testing.T, srv *keyturntest.Server, arn, approver string) {
			srv.Vote(t, arn, approver, "REJECTED")
		}, exitRejected, "FAILED (REJECTED)"},
		{"expired", func(t *testing.T, srv *keyturntest.Server, arn, approver string) {
			srv.AdvanceClock(t, 25*time.Hour)
		}, exitExpired, "FAILED (EXPIRED)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t)
			team, users := srv.ActiveTeam(t, "deploy", 1, 1)

			done := make(chan result, 1)
			go func() {
				done <- runCLI(context.Background(), "sessions", "start", "--team", team, "--action", "test:Deploy",
					"--wait", "--poll-interval", "10ms", "--timeout", "1m")
			}()
			arn := findSession(t, srv, team)
			tt.decide(t, srv, arn, users[0].UserID)
			r := <-done

			if r.code != tt.wantCode {
				t.Fatalf("got exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.wantCode, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, "Status:") || !strings.Contains(r.stdout, tt.wantStatus) {
				t.Errorf("got output %q, want status %s", r.stdout, tt.wantStatus)
			}
			if !strings.Contains(r.stderr, "Started session "+arn) {
				t.Errorf("got stderr %q, want the started session %s", r.stderr, arn)
			}
		})
	}
}

func TestSessionsStartWaitTimeout(t *testing.T) {
	srv := startServer(t)
	team, _ := srv.ActiveTeam(t, "deploy", 1, 1)

	r := run(t, exitTimeout, "sessions", "start", "--team", team, "--action", "test:Deploy",
		"--wait", "--poll-interval", "10ms", "--timeout", "50ms", "--output", "json")
	var s client.Session
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, r.stdout)
	}
	if s.Status != "PENDING" {
		t.Errorf("got status %s, want PENDING", s.Status)
	}
	if !strings.Contains(r.stderr, "timed out after 50ms") {
		t.Errorf("got stderr %q, want the timeout reported", r.stderr)
	}
}

func TestSessionsWaitRetriesUnreachableServer(t *testing.T) {
	startServer(t)
	arn := "arn:aws:mpa:us-east-1:111122223333:session/team-1/session-1"

	r := run(t, exitTimeout, "sessions", "wait", arn, "--endpoint-url", "http://127.0.0.1:1",
		"--poll-interval", "10ms", "--timeout", "100ms")
	if n := strings.Count(r.stderr, "retrying every 10ms"); n != 1 {
		t.Errorf("got %d retry messages in %q, want 1", n, r.stderr)
	}
	if !strings.Contains(r.stderr, "timed out after 100ms") {
		t.Errorf("got stderr %q, want the timeout reported", r.stderr)
	}
}

func TestSessionsWaitStopsOnClientError(t *testing.T) {
	startServer(t)
	arn := "arn:aws:mpa:us-east-1:111122223333:session/team-1/session-1"

	r := run(t, 1, "sessions", "wait", arn, "--poll-interval", "10ms", "--timeout", "1m")
	if !strings.HasPrefix(r.stderr, "keyturn: ResourceNotFoundException: ") {
		t.Errorf("got stderr %q, want ResourceNotFoundException", r.stderr)
	}
}

func TestSessionsGetWaitAndReport(t *testing.T) {
	srv := startServer(t)
	team, users := srv.ActiveTeam(t, "deploy", 1, 2)

	var started client.Session
	runJSON(t, &started, "sessions", "start", "--team", team, "--action", "test:Deploy",
		"--resource", "arn:aws:s3:::bucket", "--description", "Deploy build 7", "--comment", "hotfix",
		"--metadata", "build=7", "--metadata", "env=prod", "--duration", "2h", "--client-token", "build-7")
	if started.Status != "PENDING" {
		t.Errorf("got status %s, want PENDING", started.Status)
	}
	if got := started.ExpirationTime.Sub(started.InitiationTime); got != 2*time.Hour {
		t.Errorf("got a session of %s, want 2h", got)
	}
	if started.Metadata["build"] != "7" || started.Metadata["env"] != "prod" {
		t.Errorf("got metadata %v, want build=7 and env=prod", started.Metadata)
	}

	var again client.Session
	runJSON(t, &again, "sessions", "start", "--team", team, "--action", "test:Deploy",
		"--resource", "arn:aws:s3:::bucket", "--description", "Deploy build 7", "--comment", "hotfix",
		"--metadata", "build=7", "--metadata", "env=prod", "--duration", "2h", "--client-token", "build-7")
	if again.SessionArn != started.SessionArn {
		t.Errorf("got session %s for a retry with the same client token, want %s", again.SessionArn, started.SessionArn)
	}

	r := run(t, 0, "sessions", "get", started.SessionArn)
	for _, want := range []string{"Deploy build 7", "hotfix", "build=7, env=prod", "0 of 1 required approvals, from 2 approvers"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("got %q, want %q in it", r.stdout, want)
		}
	}

	srv.Vote(t, started.SessionArn, users[0].UserID, "APPROVED")
	r = run(t, 0, "sessions", "wait", started.SessionArn, "--poll-interval", "10ms")
	if !strings.Contains(r.stdout, "APPROVED") {
		t.Errorf("got %q, want APPROVED", r.stdout)
	}

	var reported client.Session
	runJSON(t, &reported, "sessions", "report-execution", started.SessionArn, "--status", "EXECUTED")
	if reported.ExecutionStatus != "EXECUTED" {
		t.Errorf("got execution status %s, want EXECUTED", reported.ExecutionStatus)
	}
}

func TestDecisionExitCode(t *testing.T) {
	tests := []struct {
		status, statusCode string
		want               int
	}{
		{"APPROVED", "", 0},
		{"FAILED", "REJECTED", exitRejected},
		{"FAILED", "EXPIRED", exitExpired},
		{"FAILED", "", exitRejected},
		{"CANCELLED", "CONFIGURATION_CHANGED", exitCancelled},
		{"PENDING", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.status+"/"+tt.statusCode, func(t *testing.T) {
			s := &client.Session{Status: tt.status, StatusCode: tt.statusCode}
			if got := decisionExitCode(s); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}
