package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/keyturn/keyturn/client"
)

// approverOptions are the flags of the approver commands: the connection
// flags, and where the approver's identity comes from.
type approverOptions struct {
	connOptions
	tokenFile string
	actAs     string
}

func (o *approverOptions) register(flags *pflag.FlagSet) {
	o.connOptions.register(flags)
	flags.Lookup("endpoint-url").Usage = "base URL of the Keyturn server (env KEYTURN_ENDPOINT_URL; default: the server in the token file, else " + defaultEndpointURL + ")"
	flags.Lookup("endpoint-url").DefValue = ""
	flags.StringVar(&o.tokenFile, "token-file", "", "file of the approver token that keyturn approver enroll saves (env KEYTURN_TOKEN_FILE; default: $XDG_CONFIG_HOME/keyturn/approver.json, else ~/.config/keyturn/approver.json)")
	setFlagEnv(flags, "token-file", "KEYTURN_TOKEN_FILE")
	flags.StringVar(&o.actAs, "as", "", "development servers only: act as this user id or user name, signing with AWS credentials instead of sending an approver token (env KEYTURN_AS)")
	setFlagEnv(flags, "as", "KEYTURN_AS")
}

func (o *approverOptions) tokenPath() (string, error) {
	if o.tokenFile != "" {
		return o.tokenFile, nil
	}
	return defaultTokenFile()
}

// client returns a client that acts as the approver. Its identity comes
// from, in order: --as, the KEYTURN_APPROVER_TOKEN environment variable,
// and the token file.
func (o *approverOptions) client(cmd *cobra.Command) (*client.Client, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	if o.actAs != "" {
		c, err := o.adminClient(cmd.Context())
		if err != nil {
			return nil, err
		}
		c.ActAs = o.actAs
		return c, nil
	}
	if token := os.Getenv(approverTokenEnv); token != "" {
		return &client.Client{BaseURL: o.endpointURL, ApproverToken: token}, nil
	}
	path, err := o.tokenPath()
	if err != nil {
		return nil, err
	}
	saved, err := readTokenFile(path, cmd.ErrOrStderr())
	if err != nil {
		return nil, err
	}
	if cmd.Flags().Changed("endpoint-url") && strings.TrimSuffix(o.endpointURL, "/") != strings.TrimSuffix(saved.EndpointURL, "/") {
		return nil, fmt.Errorf("the approver token in %s is for %s, not for --endpoint-url %s. Leave out --endpoint-url and KEYTURN_ENDPOINT_URL, or enrol with that server using another --token-file",
			path, saved.EndpointURL, o.endpointURL)
	}
	return &client.Client{BaseURL: saved.EndpointURL, ApproverToken: saved.ApproverToken}, nil
}

func newApproverCommand() *cobra.Command {
	o := new(approverOptions)
	cmd := &cobra.Command{
		Use:   "approver",
		Short: "Act as an approver: answer invitations and vote in sessions",
		Long: `Act as an approver: enrol, answer invitations to approval teams, list the
sessions that wait for your vote, and approve or reject them.

An approver command sends the approver token that keyturn approver enroll
saved in the token file, or the token in the KEYTURN_APPROVER_TOKEN
environment variable. On a development server, --as USER signs the request
with AWS credentials and acts as that user instead, so scripts need no token.`,
		Example: `  keyturn approver enroll --endpoint-url https://keyturn.example.com --code ENROLMENT_CODE
  keyturn approver invitations
  keyturn approver accept "$TEAM_ARN"
  keyturn approver sessions
  keyturn approver approve "$SESSION_ARN" --totp 123456`,
	}
	o.register(cmd.PersistentFlags())
	cmd.AddCommand(
		newApproverEnrollCommand(o),
		newApproverWhoamiCommand(o),
		newApproverInvitationsCommand(o),
		newApproverAnswerCommand(o, true),
		newApproverAnswerCommand(o, false),
		newApproverSessionsCommand(o),
		newApproverShowCommand(o),
		newApproverVoteCommand(o, "APPROVED"),
		newApproverVoteCommand(o, "REJECTED"),
		newApproverEmailCodeCommand(o),
		newApproverMFACommand(o),
	)
	return cmd
}

func newApproverEnrollCommand(o *approverOptions) *cobra.Command {
	var code, label string
	cmd := &cobra.Command{
		Use:   "enroll --code CODE",
		Short: "Exchange an enrolment code for an approver token and save it",
		Long: `Exchange the one-time enrolment code that an administrator issued (keyturn
users enroll) for an approver token, and save the token with the server's URL
in the token file, with mode 0600 in a directory with mode 0700. Later
approver commands read the server's URL and the token from that file.`,
		Example: `  keyturn approver enroll --endpoint-url https://keyturn.example.com --code ENROLMENT_CODE --label laptop`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.actAs != "" {
				return errors.New("--as does not apply to enroll: acting as a user needs no token")
			}
			if err := o.validate(); err != nil {
				return err
			}
			path, err := o.tokenPath()
			if err != nil {
				return err
			}
			c := &client.Client{BaseURL: o.endpointURL}
			out, err := c.Enroll(cmd.Context(), code, label)
			if err != nil {
				return err
			}
			saved := savedToken{EndpointURL: o.endpointURL, ApproverToken: out.ApproverToken, UserID: out.User.UserID, UserName: out.User.UserName}
			if err := writeTokenFile(path, saved); err != nil {
				return err
			}
			result := struct {
				User      client.User
				TokenFile string
			}{out.User, path}
			return o.printer(cmd).print(result, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "Enrolled as %s (%s) on %s. Saved the approver token in %s.\n",
					out.User.UserName, out.User.UserID, o.endpointURL, path)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&code, "code", "", "one-time enrolment code from an administrator (required)")
	cmd.Flags().StringVar(&label, "label", "", "name of the new token, such as the device it is on, at most 100 characters")
	cmd.MarkFlagRequired("code")
	return cmd
}

func newApproverWhoamiCommand(o *approverOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "whoami",
		Short:   "Show the approver you act as and your second factors",
		Example: "  keyturn approver whoami",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client(cmd)
			if err != nil {
				return err
			}
			me, err := c.Me(cmd.Context())
			if err != nil {
				return err
			}
			return o.printer(cmd).print(me, func(w io.Writer) error {
				var factors []string
				for _, f := range me.Factors {
					state := "confirmed"
					if !f.Confirmed {
						state = "not confirmed"
					}
					factors = append(factors, f.Method+" ("+state+")")
				}
				if len(factors) == 0 {
					factors = []string{"none"}
				}
				fields := append(userFields(&me.User),
					field{"Account", me.AccountID},
					field{"Region", me.Region},
					field{"Second factors", strings.Join(factors, ", ")},
				)
				return writeFields(w, fields...)
			})
		},
	}
}

func newApproverInvitationsCommand(o *approverOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "invitations",
		Short: "List your open invitations to join approval teams",
		Long: `List your open invitations to join approval teams. An invitation with UPDATE
"yes" asks you to join through a pending change of an active team.`,
		Example: "  keyturn approver invitations",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client(cmd)
			if err != nil {
				return err
			}
			invs, err := c.ListInvitations(cmd.Context())
			if err != nil {
				return err
			}
			if invs == nil {
				invs = []client.Invitation{}
			}
			out := struct{ Invitations []client.Invitation }{invs}
			return o.printer(cmd).print(out, func(w io.Writer) error {
				rows := make([][]string, 0, len(invs))
				for _, i := range invs {
					update := "no"
					if i.Update {
						update = "yes"
					}
					rows = append(rows, []string{i.ApprovalTeamName, fmt.Sprintf("%d of %d", i.MinApprovalsRequired, i.NumberOfApprovers),
						update, formatTime(i.ExpirationTime), i.ApprovalTeamArn})
				}
				return writeTable(w, []string{"TEAM", "APPROVALS", "UPDATE", "EXPIRES", "TEAM ARN"}, rows)
			})
		},
	}
}

// newApproverAnswerCommand returns the accept command, or the decline
// command when accept is false.
func newApproverAnswerCommand(o *approverOptions, accept bool) *cobra.Command {
	name, verb, short := "accept", "Accepted", "Accept an invitation to join an approval team"
	if !accept {
		name, verb, short = "decline", "Declined", "Decline an invitation to join an approval team"
	}
	return &cobra.Command{
		Use:     name + " TEAM_ARN",
		Short:   short,
		Example: fmt.Sprintf(`  keyturn approver %s "$TEAM_ARN"`, name),
		Args:    usageArgs("TEAM_ARN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client(cmd)
			if err != nil {
				return err
			}
			res, err := c.AnswerInvitation(cmd.Context(), args[0], accept)
			if err != nil {
				return err
			}
			return o.printer(cmd).print(res, func(w io.Writer) error {
				team := res.Status
				if res.StatusCode != "" {
					team += " (" + res.StatusCode + ")"
				}
				_, err := fmt.Fprintf(w, "%s the invitation to team %s. The team is %s.\n", verb, res.ApprovalTeamArn, team)
				return err
			})
		},
	}
}

// myVote formats the approver's vote in a session, or "-" before a vote.
func myVote(s *client.ApproverSession) string {
	if s.MyVote == nil {
		return "-"
	}
	return s.MyVote.Response
}

func newApproverSessionsCommand(o *approverOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "sessions",
		Short:   "List the pending sessions in which you may vote, with your vote",
		Example: "  keyturn approver sessions",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client(cmd)
			if err != nil {
				return err
			}
			sessions, err := c.ListApproverSessions(cmd.Context())
			if err != nil {
				return err
			}
			if sessions == nil {
				sessions = []client.ApproverSession{}
			}
			out := struct{ Sessions []client.ApproverSession }{sessions}
			return o.printer(cmd).print(out, func(w io.Writer) error {
				rows := make([][]string, 0, len(sessions))
				for _, s := range sessions {
					rows = append(rows, []string{s.Session.ApprovalTeamName, s.Session.ActionName,
						fmt.Sprintf("%d of %d", approvals(&s.Session), s.Session.ApprovalStrategy.MofN.MinApprovalsRequired),
						myVote(&s), formatTime(s.Session.ExpirationTime), s.Session.SessionArn})
				}
				return writeTable(w, []string{"TEAM", "ACTION", "APPROVALS", "MY VOTE", "EXPIRES", "SESSION ARN"}, rows)
			})
		},
	}
}

func newApproverShowCommand(o *approverOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "show SESSION_ARN",
		Short:   "Show a session in which you may vote, with your vote",
		Example: `  keyturn approver show "$SESSION_ARN"`,
		Args:    usageArgs("SESSION_ARN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client(cmd)
			if err != nil {
				return err
			}
			s, err := c.GetApproverSession(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return o.printer(cmd).print(s, func(w io.Writer) error {
				return writeSession(w, &s.Session, field{"My vote", myVote(s)})
			})
		},
	}
}

// newApproverVoteCommand returns the approve command, or the reject
// command for the response REJECTED.
func newApproverVoteCommand(o *approverOptions, response string) *cobra.Command {
	var totp, emailCode string
	name, short := "approve", "Approve the operation of a session"
	if response == "REJECTED" {
		name, short = "reject", "Reject the operation of a session"
	}
	cmd := &cobra.Command{
		Use:   name + " SESSION_ARN",
		Short: short,
		Long: short + `. Votes are final. A session that requires
approver verification needs a second factor with the vote: a code from your
authenticator app (--totp), or a code that keyturn approver email-code had
e-mailed to you (--email-code).`,
		Example: fmt.Sprintf(`  keyturn approver %s "$SESSION_ARN"
  keyturn approver %s "$SESSION_ARN" --totp 123456`, name, name),
		Args: usageArgs("SESSION_ARN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := client.VoteInput{Response: response}
			switch {
			case totp != "":
				in.MfaMethod, in.MfaCode = "TOTP", totp
			case emailCode != "":
				in.MfaMethod, in.MfaCode = "EMAIL_OTP", emailCode
			}
			c, err := o.client(cmd)
			if err != nil {
				return err
			}
			s, err := c.Vote(cmd.Context(), args[0], in)
			if err != nil {
				return err
			}
			return o.printer(cmd).print(s, func(w io.Writer) error {
				fmt.Fprintf(w, "Voted %s in session %s.\n", response, s.SessionArn)
				_, err := fmt.Fprintf(w, "The session is %s: %s.\n", status(s), approvalSummary(s))
				if err == nil && s.StatusMessage != "" {
					_, err = fmt.Fprintln(w, s.StatusMessage)
				}
				return err
			})
		},
	}
	cmd.Flags().StringVar(&totp, "totp", "", "current code of your authenticator app, as the second factor")
	cmd.Flags().StringVar(&emailCode, "email-code", "", "code that keyturn approver email-code had e-mailed to you, as the second factor")
	cmd.MarkFlagsMutuallyExclusive("totp", "email-code")
	return cmd
}

func newApproverEmailCodeCommand(o *approverOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "email-code SESSION_ARN",
		Short: "E-mail yourself a one-time code for a vote in a session",
		Long: `Ask the server to e-mail you a one-time code for a vote in a session that
requires approver verification. Your e-mail factor must be confirmed (keyturn
approver mfa email enroll). Vote with --email-code CODE.`,
		Example: `  keyturn approver email-code "$SESSION_ARN"
  keyturn approver approve "$SESSION_ARN" --email-code 123456`,
		Args: usageArgs("SESSION_ARN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client(cmd)
			if err != nil {
				return err
			}
			if err := c.RequestVoteCode(cmd.Context(), args[0]); err != nil {
				return err
			}
			out := struct {
				SessionArn string
				Sent       bool
			}{args[0], true}
			return o.printer(cmd).print(out, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "E-mailed you a vote code. Vote with:\n\n  keyturn approver approve %s --email-code CODE\n", args[0])
				return err
			})
		},
	}
}
