package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

func newSnapshotCommand() *cobra.Command {
	o := new(connOptions)
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "Export a server's state to a file, or import one",
		Long: `Export the state of an account, or of every account, as a snapshot file, and
import it into another server, for example so that a test suite starts from a
known fixture. docs/snapshots.md describes the file format.

A snapshot holds approvers' credentials, including authenticator secrets, so
keep the file secret. Only operator credentials, or any credentials on a
development server, may export or import snapshots.`,
		Example: `  keyturn snapshot export --file fixture.json
  keyturn snapshot import --file fixture.json --replace`,
	}
	o.register(cmd.PersistentFlags())
	cmd.AddCommand(newSnapshotExportCommand(o), newSnapshotImportCommand(o))
	return cmd
}

func newSnapshotExportCommand(o *connOptions) *cobra.Command {
	var (
		file        string
		account     string
		allAccounts bool
	)
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write a snapshot of an account, or of every account, to a file",
		Example: `  keyturn snapshot export --file fixture.json
  keyturn snapshot export --all-accounts --file backup.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if account != "" && allAccounts {
				return fmt.Errorf("give --account or --all-accounts, not both")
			}
			if allAccounts {
				account = "*"
			}
			c, err := o.adminClient(cmd.Context())
			if err != nil {
				return err
			}
			snap, err := c.ExportSnapshot(cmd.Context(), account)
			if err != nil {
				return err
			}
			if file == "" || file == "-" {
				_, err := cmd.OutOrStdout().Write(append(snap, '\n'))
				return err
			}
			if err := os.WriteFile(file, append(snap, '\n'), 0o600); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "Wrote the snapshot to %s (%d bytes). It holds approvers' credentials: keep it secret.\n", file, len(snap)+1)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&file, "file", "", "file to write, created with mode 0600 (default: standard output)")
	f.StringVar(&account, "account", "", "account to export (default: the account of your credentials)")
	f.BoolVar(&allAccounts, "all-accounts", false, "export every account and the policy catalogue")
	return cmd
}

func newSnapshotImportCommand(o *connOptions) *cobra.Command {
	var (
		file    string
		replace bool
	)
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Write the records of a snapshot file into a server",
		Long: `Write the records of a snapshot file into a server, in one transaction: all of
them or none. Without --replace a record that exists already fails the import;
with --replace the state the snapshot covers (its account, or everything for a
snapshot of every account) is deleted first. A development server moves its
workflow clock forward to the snapshot's time if it is behind.`,
		Example: `  keyturn snapshot import --file fixture.json --replace`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var in io.Reader = cmd.InOrStdin()
			if file != "" && file != "-" {
				f, err := os.Open(file)
				if err != nil {
					return err
				}
				defer f.Close()
				in = f
			}
			snap, err := io.ReadAll(in)
			if err != nil {
				return err
			}
			if !json.Valid(snap) {
				return fmt.Errorf("%s is not a JSON snapshot file", describeInput(file))
			}
			c, err := o.adminClient(cmd.Context())
			if err != nil {
				return err
			}
			res, err := c.ImportSnapshot(cmd.Context(), snap, replace)
			if err != nil {
				return err
			}
			return o.printer(cmd).print(res, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "Imported %s, %s, %s, %s with %s, and %s.\n",
					count(res.IdentitySources, "identity source", "identity sources"), count(res.Users, "user", "users"),
					count(res.Teams, "team", "teams"), count(res.Sessions, "session", "sessions"),
					count(res.Votes, "vote", "votes"), count(res.Policies, "policy version", "policy versions"))
				return err
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&file, "file", "", "snapshot file to read (default: standard input)")
	f.BoolVar(&replace, "replace", false, "delete the state the snapshot covers before importing")
	return cmd
}

func describeInput(file string) string {
	if file == "" || file == "-" {
		return "the standard input"
	}
	return file
}
