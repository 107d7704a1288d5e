package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyturn/keyturn/client"
)

func newDevRulesCommand(o *connOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the automatic answers of a development server",
		Long: `Rules answer for approvers automatically on a development server, so that a
test suite runs without scripting every invitation and vote. An invitation
rule accepts or declines every invitation; a vote rule approves or rejects
every session for an action until it is decided. A rule acts once its delay
has passed on the workflow clock since the invitation or session started, the
next time the server's sweeper runs.`,
		Example: `  keyturn dev rules
  keyturn dev rules accept-invitations
  keyturn dev rules approve --action 'deploy:*' --delay 10m
  keyturn dev rules delete --all`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.adminClient(cmd.Context())
			if err != nil {
				return err
			}
			rules, err := c.ListRules(cmd.Context())
			if err != nil {
				return err
			}
			return o.printer(cmd).print(struct{ Rules []client.Rule }{rules}, func(w io.Writer) error {
				if len(rules) == 0 {
					_, err := fmt.Fprintln(w, "No rules.")
					return err
				}
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "RULE ID\tKIND\tACCOUNT\tTEAM\tACTION\tRESPONSE\tDELAY")
				for _, r := range rules {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.RuleID, r.Kind, orAll(r.AccountID), orAll(r.ApprovalTeamArn),
						orAll(r.ActionName), orDash(r.Response), time.Duration(r.DelaySeconds)*time.Second)
				}
				return tw.Flush()
			})
		},
	}
	cmd.AddCommand(
		newAddRuleCommand(o, "accept-invitations", client.RuleAcceptInvitations, "",
			"Accept every invitation, so that new teams become ACTIVE by themselves"),
		newAddRuleCommand(o, "decline-invitations", client.RuleDeclineInvitations, "",
			"Decline every invitation, so that new teams fail activation"),
		newAddRuleCommand(o, "approve", client.RuleVote, "APPROVED",
			"Approve every session for an action until it is approved"),
		newAddRuleCommand(o, "reject", client.RuleVote, "REJECTED",
			"Reject every session for an action until it is rejected"),
		newDeleteRuleCommand(o),
	)
	return cmd
}

func orAll(s string) string {
	if s == "" {
		return "all"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newAddRuleCommand(o *connOptions, use, kind, response, short string) *cobra.Command {
	var (
		rule  = client.Rule{Kind: kind, Response: response}
		delay time.Duration
	)
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if delay < 0 || delay%time.Second != 0 {
				return fmt.Errorf("invalid --delay %s: it must be whole seconds, 0 or more", delay)
			}
			rule.DelaySeconds = int64(delay / time.Second)
			c, err := o.adminClient(cmd.Context())
			if err != nil {
				return err
			}
			out, err := c.AddRule(cmd.Context(), rule)
			if err != nil {
				return err
			}
			return o.printer(cmd).print(out, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "Added rule %s.\n", out.RuleID)
				return err
			})
		},
	}
	f := cmd.Flags()
	f.DurationVar(&delay, "delay", 0, "workflow time between the start of an invitation or session and the answer, such as 10m")
	f.StringVar(&rule.ApprovalTeamArn, "team", "", "answer only for this approval team (default: every team)")
	f.StringVar(&rule.AccountID, "account", "", "answer only in this account (default: the account of your credentials)")
	f.BoolVar(&rule.AllAccounts, "all-accounts", false, "answer in every account")
	if kind == client.RuleVote {
		f.StringVar(&rule.ActionName, "action", "", "answer only sessions for this action; a trailing * matches a prefix, such as 'deploy:*' (default: every session, including team changes)")
		cmd.Example = fmt.Sprintf("  keyturn dev rules %s --action 'deploy:*' --delay 10m", use)
	} else {
		cmd.Example = fmt.Sprintf("  keyturn dev rules %s\n  keyturn dev rules %s --team \"$TEAM_ARN\" --delay 1h", use, use)
	}
	return cmd
}

func newDeleteRuleCommand(o *connOptions) *cobra.Command {
	var all, allAccounts bool
	cmd := &cobra.Command{
		Use:   "delete [RULE_ID]",
		Short: "Delete one automatic answer, or all of your account's with --all",
		Example: `  keyturn dev rules delete 5f0c3f0e-...
  keyturn dev rules delete --all`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			many := all || allAccounts
			if many == (len(args) == 1) {
				return fmt.Errorf("give a RULE_ID, --all or --all-accounts")
			}
			c, err := o.adminClient(cmd.Context())
			if err != nil {
				return err
			}
			deleted := 1
			if many {
				deleted, err = c.DeleteRules(cmd.Context(), allAccounts)
			} else {
				err = c.DeleteRule(cmd.Context(), strings.TrimSpace(args[0]))
			}
			if err != nil {
				return err
			}
			return o.printer(cmd).print(struct{ Deleted int }{deleted}, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "Deleted %s.\n", count(deleted, "rule", "rules"))
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "delete every rule of the account of your credentials")
	cmd.Flags().BoolVar(&allAccounts, "all-accounts", false, "delete every rule of every account")
	return cmd
}
