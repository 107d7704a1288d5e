package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/keyturn/keyturn/client"
)

func newUsersCommand() *cobra.Command {
	o := new(connOptions)
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Manage the identity-store users who can be approvers",
		Long: `Manage the users of the identity store of your AWS account and region. Users
become approvers when a team names them, and vote with an approver token that
keyturn users enroll and keyturn approver enroll give them.

The account needs an identity source first: create one with the MPA API
(aws mpa create-identity-source).`,
		Example: `  keyturn users create --user-name alice --email alice@example.com
  keyturn users list
  keyturn users enroll alice`,
	}
	o.register(cmd.PersistentFlags())
	cmd.AddCommand(
		newUsersCreateCommand(o),
		newUsersListCommand(o),
		newUsersGetCommand(o),
		newUsersUpdateCommand(o),
		newUsersDeleteCommand(o),
		newUsersEnrollCommand(o),
		newUsersRevokeTokensCommand(o),
		newUsersResetFactorsCommand(o),
	)
	return cmd
}

func printUser(p printer, u *client.User) error {
	return p.print(u, func(w io.Writer) error { return writeFields(w, userFields(u)...) })
}

func newUsersCreateCommand(o *connOptions) *cobra.Command {
	var in client.CreateUserInput
	cmd := &cobra.Command{
		Use:     "create --user-name NAME",
		Short:   "Add a user to the identity store",
		Example: `  keyturn users create --user-name alice --display-name "Alice Liddell" --email alice@example.com`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.adminClient(cmd.Context())
			if err != nil {
				return err
			}
			u, err := c.CreateUser(cmd.Context(), in)
			if err != nil {
				return err
			}
			return printUser(o.printer(cmd), u)
		},
	}
	cmd.Flags().StringVar(&in.UserName, "user-name", "", "unique name of the user, which commands also accept in place of the user id (required)")
	cmd.Flags().StringVar(&in.DisplayName, "display-name", "", "name shown to other approvers")
	cmd.Flags().StringVar(&in.Email, "email", "", "e-mail address for enrolment codes, notifications and one-time vote codes")
	cmd.MarkFlagRequired("user-name")
	return cmd
}

func newUsersListCommand(o *connOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the users of the identity store, ordered by user name",
		Example: "  keyturn users list --output json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.adminClient(cmd.Context())
			if err != nil {
				return err
			}
			users := []client.User{}
			next := ""
			for {
				page, err := c.ListUsers(cmd.Context(), 100, next)
				if err != nil {
					return err
				}
				users = append(users, page.Users...)
				if next = page.NextToken; next == "" {
					break
				}
			}
			return o.printer(cmd).print(struct{ Users []client.User }{users}, func(w io.Writer) error {
				rows := make([][]string, 0, len(users))
				for _, u := range users {
					rows = append(rows, []string{u.UserName, u.UserID, u.DisplayName, u.Email, u.Status})
				}
				return writeTable(w, []string{"USER NAME", "USER ID", "DISPLAY NAME", "E-MAIL", "STATUS"}, rows)
			})
		},
	}
}

func newUsersGetCommand(o *connOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "get USER",
		Short:   "Show a user, named by user id or user name",
		Example: "  keyturn users get alice",
		Args:    usageArgs("USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.adminClient(cmd.Context())
			if err != nil {
				return err
			}
			u, err := c.GetUser(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printUser(o.printer(cmd), u)
		},
	}
}

func newUsersUpdateCommand(o *connOptions) *cobra.Command {
	var (
		displayName, email string
		enable, disable    bool
	)
	cmd := &cobra.Command{
		Use:   "update USER",
		Short: "Change a user's display name, e-mail address or status",
		Long: `Change a user's display name, e-mail address or status. Flags that are not
given leave their value as it is. A disabled user cannot vote or enrol.`,
		Example: `  keyturn users update alice --email alice@example.org
  keyturn users update alice --disable`,
		Args: usageArgs("USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var in client.UpdateUserInput
			flags := cmd.Flags()
			if flags.Changed("display-name") {
				in.DisplayName = &displayName
			}
			if flags.Changed("email") {
				in.Email = &email
			}
			if enable || disable {
				in.Enabled = &enable
			}
			if in == (client.UpdateUserInput{}) {
				return fmt.Errorf("nothing to change for user %s: give --display-name, --email, --enable or --disable", args[0])
			}
			c, err := o.adminClient(cmd.Context())
			if err != nil {
				return err
			}
			u, err := c.UpdateUser(cmd.Context(), args[0], in)
			if err != nil {
				return err
			}
			return printUser(o.printer(cmd), u)
		},
	}
	cmd.Flags().StringVar(&displayName, "display-name", "", "new display name; an empty value removes it")
	cmd.Flags().StringVar(&email, "email", "", "new e-mail address; an empty value removes it")
	cmd.Flags().BoolVar(&enable, "enable", false, "enable the user")
	cmd.Flags().BoolVar(&disable, "disable", false, "disable the user, who then cannot vote or enrol")
	cmd.MarkFlagsMutuallyExclusive("enable", "disable")
	return cmd
}

func newUsersDeleteCommand(o *connOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "delete USER",
		Short:   "Delete a user who is no approver of any team",
		Example: "  keyturn users delete alice",
		Args:    usageArgs("USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.adminClient(cmd.Context())
			if err != nil {
				return err
			}
			if err := c.DeleteUser(cmd.Context(), args[0]); err != nil {
				return err
			}
			out := struct {
				User    string
				Deleted bool
			}{args[0], true}
			return o.printer(cmd).print(out, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "Deleted user %s.\n", args[0])
				return err
			})
		},
	}
}

func newUsersEnrollCommand(o *connOptions) *cobra.Command {
	var byEmail bool
	cmd := &cobra.Command{
		Use:   "enroll USER",
		Short: "Issue a one-time enrolment code with which a user gets an approver token",
		Long: `Issue a one-time enrolment code for a user. The user exchanges it for an
approver token with keyturn approver enroll --code CODE, or in the approval
portal. The code expires after 24 hours; issue a new one if it does.

With --email the server e-mails the code to the user's address and does not
print it, so the administrator never sees it.`,
		Example: `  keyturn users enroll alice
  keyturn users enroll alice --email`,
		Args: usageArgs("USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.adminClient(cmd.Context())
			if err != nil {
				return err
			}
			enr, err := c.IssueEnrollment(cmd.Context(), args[0], byEmail)
			if err != nil {
				return err
			}
			return o.printer(cmd).print(enr, func(w io.Writer) error {
				expires := formatTime(enr.ExpirationTime)
				if enr.Emailed {
					_, err := fmt.Fprintf(w, "E-mailed an enrolment code to user %s. It expires at %s.\n", args[0], expires)
					return err
				}
				_, err := fmt.Fprintf(w, "Enrolment code for user %s, valid until %s:\n\n  %s\n\nThe user enrols with:\n\n  keyturn approver enroll --endpoint-url %s --code %s\n",
					args[0], expires, enr.EnrollmentCode, o.endpointURL, enr.EnrollmentCode)
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&byEmail, "email", false, "e-mail the code to the user instead of printing it")
	return cmd
}

func newUsersRevokeTokensCommand(o *connOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke-tokens USER",
		Short: "Delete a user's approver tokens and open enrolment codes",
		Long: `Delete every approver token and open enrolment code of a user, for example
after a lost laptop. The user needs a new enrolment code to vote again.`,
		Example: "  keyturn users revoke-tokens alice",
		Args:    usageArgs("USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.adminClient(cmd.Context())
			if err != nil {
				return err
			}
			n, err := c.RevokeTokens(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			out := struct {
				User    string
				Revoked int
			}{args[0], n}
			return o.printer(cmd).print(out, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "Revoked %s of user %s.\n", count(n, "approver token or enrolment code", "approver tokens and enrolment codes"), args[0])
				return err
			})
		},
	}
}

func newUsersResetFactorsCommand(o *connOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "reset-factors USER",
		Short: "Delete a user's second factors and approver tokens, after a lost device",
		Long: `Delete every second factor, approver token and open enrolment code of a user
who lost their authenticator app or e-mail access. The user then needs a new
enrolment code (keyturn users enroll) and enrols new factors. Only identity
administrator credentials may.`,
		Example: "  keyturn users reset-factors alice",
		Args:    usageArgs("USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.adminClient(cmd.Context())
			if err != nil {
				return err
			}
			n, err := c.ResetFactors(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			out := struct {
				User    string
				Removed int
			}{args[0], n}
			return o.printer(cmd).print(out, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "Deleted %s of user %s.\n", count(n, "factor, token or code", "factors, tokens and codes"), args[0])
				return err
			})
		},
	}
}
