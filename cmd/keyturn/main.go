// Command keyturn runs a Keyturn server and administers one: identity-store
// users, sessions for protected operations, and approvers' invitations and
// votes.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCommand().ExecuteContext(ctx)
	stop()
	if err != nil {
		var exit *exitError
		if errors.As(err, &exit) {
			os.Exit(exit.code)
		}
		fmt.Fprintln(os.Stderr, "keyturn:", err)
		os.Exit(1)
	}
}

// exitError ends the program with a status code other than 1, after the
// command has printed what it needs to.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "keyturn",
		Short: "Keyturn: a self-hosted AWS Multi-party Approval service",
		Long: `Keyturn implements the AWS Multi-party Approval (MPA) API, so that boto3, the
AWS CLI and aws-sdk-go-v2 work against it unchanged, and runs the approval
workflow behind it: invitations, sessions, votes and M-of-N decisions.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCommand())
	return root
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
