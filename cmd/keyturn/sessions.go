package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyturn/keyturn/client"
)

// Exit codes of the commands that wait for a session's decision. An error
// exits with 1.
const (
	exitRejected  = 2
	exitExpired   = 3
	exitCancelled = 4
	exitTimeout   = 5
)

const exitCodesHelp = `Exit codes:
  0  the session was APPROVED
  1  an error, such as invalid input or a server that cannot be reached
  2  the session FAILED because approvers REJECTED it (or for any other
     reason than expiry)
  3  the session FAILED because it EXPIRED before enough approvals
  4  the session was CANCELLED
  5  the wait timed out (--timeout) while the session was still PENDING`

// decisionExitCode returns the exit code for a decided session.
func decisionExitCode(s *client.Session) int {
	switch s.Status {
	case "APPROVED":
		return 0
	case "CANCELLED":
		return exitCancelled
	case "FAILED":
		if s.StatusCode == "EXPIRED" {
			return exitExpired
		}
		return exitRejected
	}
	return 1
}

// waitOptions are the flags of the commands that wait for a decision.
type waitOptions struct {
	timeout      durationValue
	pollInterval durationValue
}

func (w *waitOptions) register(cmd *cobra.Command) {
	w.timeout = durationValue(24 * time.Hour)
	w.pollInterval = durationValue(2 * time.Second)
	cmd.Flags().Var(&w.timeout, "timeout", "longest time to wait for a decision, such as 30m, 24h or 2d")
	cmd.Flags().Var(&w.pollInterval, "poll-interval", "time between two reads of the session while waiting, such as 2s")
}

func (w *waitOptions) validate() error {
	if w.timeout <= 0 {
		return fmt.Errorf("invalid --timeout %s: it must be positive", w.timeout.String())
	}
	if w.pollInterval <= 0 {
		return fmt.Errorf("invalid --poll-interval %s: it must be positive", w.pollInterval.String())
	}
	return nil
}

// wait polls the session until it is decided or the wait times out, prints
// its final state, and returns an *exitError unless it was APPROVED.
func (w *waitOptions) wait(cmd *cobra.Command, p printer, c *client.Client, arn string) error {
	ctx, cancel := context.WithTimeout(cmd.Context(), time.Duration(w.timeout))
	defer cancel()
	s, err := pollDecision(ctx, c, arn, time.Duration(w.pollInterval), cmd.ErrOrStderr())

	timedOut := errors.Is(err, context.DeadlineExceeded) && cmd.Context().Err() == nil
	if timedOut {
		// Read the session once more without the deadline, to print its
		// state and to catch a decision taken at the last moment.
		s, err = c.GetSession(cmd.Context(), arn)
		if err != nil {
			fmt.Fprintf(cmd.ErrOrStderr(), "keyturn: timed out after %s waiting for a decision on session %s: %s\n", w.timeout.String(), arn, errorMessage(err))
			return &exitError{exitTimeout}
		}
	} else if err != nil {
		return err
	}

	if err := p.print(s, func(out io.Writer) error { return writeSession(out, s) }); err != nil {
		return err
	}
	if !s.Decided() {
		fmt.Fprintf(cmd.ErrOrStderr(), "keyturn: timed out after %s waiting for a decision on session %s, which is still %s\n", w.timeout.String(), arn, s.Status)
		return &exitError{exitTimeout}
	}
	if code := decisionExitCode(s); code != 0 {
		return &exitError{code}
	}
	return nil
}

// pollDecision reads the session every interval until it is decided or ctx
// ends. It retries the errors that a later read may not have, such as a
// server that restarts, and reports the first error of each run of
// failures on stderr. Other errors end the wait.
func pollDecision(ctx context.Context, c *client.Client, arn string, interval time.Duration, stderr io.Writer) (*client.Session, error) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	failing := false
	for {
		s, err := c.GetSession(ctx, arn)
		switch {
		case err == nil && s.Decided():
			return s, nil
		case err == nil:
			failing = false
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case !retryable(err):
			return nil, err
		case !failing:
			failing = true
			fmt.Fprintf(stderr, "keyturn: reading session %s failed, retrying every %s: %s\n", arn, interval, errorMessage(err))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-ticker.C:
		}
	}
}

// retryable reports whether a later request may succeed where this one
// failed: the server could not be reached, failed with HTTP 5xx, or
// throttled the request.
func retryable(err error) bool {
	var apiErr *client.Error
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode >= 500 || apiErr.Code == "ThrottlingException"
	}
	var urlErr *url.Error
	return errors.As(err, &urlErr)
}

func newSessionsCommand() *cobra.Command {
	o := new(connOptions)
	cmd := &cobra.Command{
		Use:   "sessions",
		Short: "Ask a team to approve an operation, and follow the decision",
		Long: `Start sessions that ask an approval team to approve a protected operation,
wait for the team's decision, and report whether the approved operation ran.`,
		Example: `  SESSION_ARN=$(keyturn sessions start --team "$TEAM_ARN" --action deploy:Promote --output json | jq -r .SessionArn)
  keyturn sessions wait "$SESSION_ARN" && ./deploy.sh
  keyturn sessions report-execution "$SESSION_ARN" --status EXECUTED`,
	}
	o.register(cmd.PersistentFlags())
	cmd.AddCommand(
		newSessionsStartCommand(o),
		newSessionsGetCommand(o),
		newSessionsWaitCommand(o),
		newSessionsReportExecutionCommand(o),
	)
	return cmd
}

// parseMetadata turns key=value pairs into a map.
func parseMetadata(pairs []string) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(pairs))
	for _, pair := range pairs {
		k, v, ok := strings.Cut(pair, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("invalid --metadata %q: use KEY=VALUE", pair)
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("invalid --metadata %q: key %s is given twice", pair, k)
		}
		m[k] = v
	}
	return m, nil
}

func newSessionsStartCommand(o *connOptions) *cobra.Command {
	var (
		in         client.StartSessionInput
		metadata   []string
		duration   durationValue
		requireMFA bool
		wait       bool
		w          waitOptions
	)
	cmd := &cobra.Command{
		Use:   "start --team ARN --action NAME",
		Short: "Start a session that asks a team to approve an operation",
		Long: `Start a session that asks an approval team to approve an operation. The
team's policy must protect the action. The session stays PENDING until enough
approvers approve, enough reject, or it expires.

With --wait the command then waits for the decision, prints the final state,
and exits 0 only if the session was APPROVED, so that a script can run the
operation with "keyturn sessions start ... --wait && deploy".

` + exitCodesHelp,
		Example: `  keyturn sessions start --team "$TEAM_ARN" --action deploy:Promote \
    --description "Promote build 1234 to production" --metadata build=1234 \
    --duration 2h --require-mfa --wait --timeout 2h`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if in.Metadata, err = parseMetadata(metadata); err != nil {
				return err
			}
			d := time.Duration(duration)
			if d < 0 || d%time.Minute != 0 {
				return fmt.Errorf("invalid --duration %s: use a positive whole number of minutes, such as 90m or 2h", d)
			}
			in.DurationMinutes = int(d / time.Minute)
			if requireMFA {
				in.AdditionalSecurityRequirements = []string{"APPROVER_VERIFICATION_REQUIRED"}
			}
			if wait {
				if err := w.validate(); err != nil {
					return err
				}
			}

			c, err := o.adminClient(cmd.Context())
			if err != nil {
				return err
			}
			s, err := c.StartSession(cmd.Context(), in)
			if err != nil {
				return err
			}
			p := o.printer(cmd)
			if !wait {
				return p.print(s, func(out io.Writer) error { return writeSession(out, s) })
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "Started session %s. Waiting for %d of %d approvers to approve it...\n",
				s.SessionArn, s.ApprovalStrategy.MofN.MinApprovalsRequired, s.NumberOfApprovers)
			return w.wait(cmd, p, c, s.SessionArn)
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.ApprovalTeamArn, "team", "", "ARN of the approval team that decides (required)")
	f.StringVar(&in.ActionName, "action", "", "name of the protected action, such as deploy:Promote (required)")
	f.StringVar(&in.ProtectedResourceArn, "resource", "", "ARN of the resource that the operation acts on")
	f.StringVar(&in.Description, "description", "", "what the operation does, shown to approvers")
	f.StringVar(&in.RequesterComment, "comment", "", "why the operation is needed, shown to approvers")
	f.StringArrayVar(&metadata, "metadata", nil, "KEY=VALUE shown to approvers; repeat for more pairs")
	f.Var(&duration, "duration", "how long approvers have to decide, in whole minutes, such as 90m, 2h or 7d (default: the server's session lifetime)")
	f.BoolVar(&requireMFA, "require-mfa", false, "make every vote need a second factor (TOTP or e-mailed code)")
	f.StringVar(&in.ClientToken, "client-token", "", "idempotency token: a retry with the same token returns the first session instead of starting another")
	f.BoolVar(&wait, "wait", false, "wait for the decision and exit with a code that tells it")
	w.register(cmd)
	cmd.MarkFlagRequired("team")
	cmd.MarkFlagRequired("action")
	return cmd
}

func newSessionsGetCommand(o *connOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "get SESSION_ARN",
		Short:   "Show a session, with the approvers' responses",
		Example: `  keyturn sessions get "$SESSION_ARN"`,
		Args:    usageArgs("SESSION_ARN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.adminClient(cmd.Context())
			if err != nil {
				return err
			}
			s, err := c.GetSession(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return o.printer(cmd).print(s, func(w io.Writer) error { return writeSession(w, s) })
		},
	}
}

func newSessionsWaitCommand(o *connOptions) *cobra.Command {
	var w waitOptions
	cmd := &cobra.Command{
		Use:   "wait SESSION_ARN",
		Short: "Wait for a session's decision and exit with a code that tells it",
		Long: `Wait until a session is decided, print its final state, and exit 0 only if it
was APPROVED.

` + exitCodesHelp,
		Example: `  keyturn sessions wait "$SESSION_ARN" --timeout 1h && ./deploy.sh`,
		Args:    usageArgs("SESSION_ARN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := w.validate(); err != nil {
				return err
			}
			c, err := o.adminClient(cmd.Context())
			if err != nil {
				return err
			}
			return w.wait(cmd, o.printer(cmd), c, args[0])
		},
	}
	w.register(cmd)
	return cmd
}

func newSessionsReportExecutionCommand(o *connOptions) *cobra.Command {
	var execStatus string
	cmd := &cobra.Command{
		Use:   "report-execution SESSION_ARN --status EXECUTED|FAILED",
		Short: "Record whether an approved operation ran",
		Long: `Record whether the operation that a session approved ran: EXECUTED if it
did, FAILED if it was attempted and failed. Approvers and auditors see it with
the session.`,
		Example: `  ./deploy.sh && keyturn sessions report-execution "$SESSION_ARN" --status EXECUTED`,
		Args:    usageArgs("SESSION_ARN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if execStatus != "EXECUTED" && execStatus != "FAILED" {
				return fmt.Errorf("invalid --status %q: use EXECUTED or FAILED", execStatus)
			}
			c, err := o.adminClient(cmd.Context())
			if err != nil {
				return err
			}
			s, err := c.ReportExecution(cmd.Context(), args[0], execStatus)
			if err != nil {
				return err
			}
			return o.printer(cmd).print(s, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "Recorded execution %s for session %s.\n", s.ExecutionStatus, s.SessionArn)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&execStatus, "status", "", "EXECUTED or FAILED (required)")
	cmd.MarkFlagRequired("status")
	return cmd
}
