// Command keyturn runs a Keyturn server and administers one: identity-store
// users, sessions for protected operations, and approvers' invitations and
// votes.
package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/keyturn/keyturn/client"
)

// version is the version that keyturn version prints. Release builds set it
// with -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := execute(ctx, newRootCommand())
	stop()
	os.Exit(code)
}

// execute runs the command tree, prints an error on the command's error
// output, and returns the process exit status.
func execute(ctx context.Context, root *cobra.Command) int {
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var exit *exitError
	if !errors.As(err, &exit) {
		fmt.Fprintln(root.ErrOrStderr(), "keyturn:", errorMessage(err))
	}
	return exitCode(err)
}

// exitError ends the program with a status code other than 1, after the
// command has printed what it needs to.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// exitCode returns the process exit status for the error that a command
// returned: 0 for nil, the code of an *exitError, else 1.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var exit *exitError
	if errors.As(err, &exit) {
		return exit.code
	}
	return 1
}

// errorMessage formats an error for the user: "<Code>: <Message>" for an
// error response of the server, and a hint for a server that cannot be
// reached.
func errorMessage(err error) string {
	var apiErr *client.Error
	if errors.As(err, &apiErr) {
		if apiErr.Message == "" {
			return fmt.Sprintf("%s: the server returned HTTP status %d with no message", apiErr.Code, apiErr.StatusCode)
		}
		return apiErr.Code + ": " + apiErr.Message
	}
	if errors.Is(err, context.Canceled) {
		return "interrupted before the command finished"
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return fmt.Sprintf("cannot reach the Keyturn server: %v. Check --endpoint-url or KEYTURN_ENDPOINT_URL, and that the server is running", urlErr)
	}
	return err.Error()
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "keyturn",
		Short: "Keyturn: a self-hosted AWS Multi-party Approval service",
		Long: `Keyturn implements the AWS Multi-party Approval (MPA) API, so that boto3, the
AWS CLI and aws-sdk-go-v2 work against it unchanged, and runs the approval
workflow behind it: invitations, sessions, votes and M-of-N decisions.

Administrator commands (users, sessions, policies, dev, snapshot) sign their requests
with AWS credentials, found the way the AWS CLI finds them: --profile,
AWS_PROFILE, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, the shared
configuration files, and so on. Approver commands send the approver token
that keyturn approver enroll saved.

Every command exits 0 on success and 1 on an error, which it prints as
"keyturn: <Code>: <Message>". Commands that wait for a decision use more
exit codes, listed in their help.`,
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return applyEnv(cmd.Flags())
		},
	}
	root.AddCommand(
		newServeCommand(),
		newUsersCommand(),
		newSessionsCommand(),
		newPoliciesCommand(),
		newApproverCommand(),
		newDevCommand(),
		newSnapshotCommand(),
		newVersionCommand(),
	)
	return root
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version of keyturn",
		Example: "  keyturn version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "keyturn", version)
			return err
		},
	}
}

// bindEnv sets each flag that was not given on the command line from its
// environment variable, KEYTURN_ followed by the flag name in upper case
// with dashes as underscores.
func bindEnv(flags *pflag.FlagSet) error {
	var err error
	flags.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed {
			return
		}
		name := envName(f.Name)
		if v, ok := os.LookupEnv(name); ok {
			if setErr := flags.Set(f.Name, v); setErr != nil {
				err = fmt.Errorf("environment variable %s: %w", name, setErr)
			}
		}
	})
	return err
}

func envName(flag string) string {
	return "KEYTURN_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}
