package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyturn/keyturn/client"
)

func newDevCommand() *cobra.Command {
	o := new(connOptions)
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Control a development server: its workflow clock, state and automatic answers",
		Long: `Control a server started with keyturn serve --dev, for tests: read and move the
workflow clock that drives expiry, delete state, and add rules that answer
invitations and sessions automatically. Production servers reject these
commands.`,
		Example: `  keyturn dev clock advance 25h
  keyturn dev reset`,
	}
	o.register(cmd.PersistentFlags())
	cmd.AddCommand(newDevClockCommand(o), newDevResetCommand(o), newDevRulesCommand(o))
	return cmd
}

func printClock(p printer, c *client.Clock) error {
	return p.print(c, func(w io.Writer) error {
		offset := time.Duration(c.OffsetSeconds * float64(time.Second)).Round(time.Second)
		state := "running"
		if c.Frozen {
			state = "frozen"
		}
		_, err := fmt.Fprintf(w, "%s (%s, %s ahead of the real time)\n", formatTime(c.Time), state, offset)
		return err
	})
}

func newDevClockCommand(o *connOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "clock",
		Short: "Print the workflow clock of a development server",
		Long: `Print the workflow clock of a development server, which decides when sessions,
invitations and deletion windows expire. It only moves forward, and runs with
the real time unless it is frozen. Request signatures are always checked
against the real time.`,
		Example: "  keyturn dev clock",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.adminClient(cmd.Context())
			if err != nil {
				return err
			}
			clock, err := c.GetClock(cmd.Context())
			if err != nil {
				return err
			}
			return printClock(o.printer(cmd), clock)
		},
	}
	cmd.AddCommand(
		&cobra.Command{
			Use:   "advance DURATION",
			Short: "Move the workflow clock forward and apply the expiries that fall due",
			Example: `  keyturn dev clock advance 25h
  keyturn dev clock advance 7d`,
			Args: usageArgs("DURATION"),
			RunE: func(cmd *cobra.Command, args []string) error {
				d, err := parseDuration(args[0])
				if err != nil {
					return err
				}
				if d < 0 {
					return fmt.Errorf("invalid DURATION %s: the clock only moves forward", args[0])
				}
				c, err := o.adminClient(cmd.Context())
				if err != nil {
					return err
				}
				clock, err := c.AdvanceClock(cmd.Context(), d)
				if err != nil {
					return err
				}
				return printClock(o.printer(cmd), clock)
			},
		},
		&cobra.Command{
			Use:     "set TIME",
			Short:   "Move the workflow clock forward to a time and apply the expiries that fall due",
			Example: "  keyturn dev clock set 2030-01-01T00:00:00Z",
			Args:    usageArgs("TIME"),
			RunE: func(cmd *cobra.Command, args []string) error {
				t, err := time.Parse(time.RFC3339, args[0])
				if err != nil {
					return fmt.Errorf("invalid TIME %q: use RFC 3339, such as 2030-01-01T00:00:00Z", args[0])
				}
				c, err := o.adminClient(cmd.Context())
				if err != nil {
					return err
				}
				clock, err := c.SetClock(cmd.Context(), t)
				if err != nil {
					return err
				}
				return printClock(o.printer(cmd), clock)
			},
		},
		newDevClockFreezeCommand(o),
		&cobra.Command{
			Use:     "unfreeze",
			Short:   "Let the workflow clock run again from its current time",
			Example: "  keyturn dev clock unfreeze",
			Args:    cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				c, err := o.adminClient(cmd.Context())
				if err != nil {
					return err
				}
				clock, err := c.SetClockFrozen(cmd.Context(), false)
				if err != nil {
					return err
				}
				return printClock(o.printer(cmd), clock)
			},
		},
	)
	return cmd
}

func newDevClockFreezeCommand(o *connOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "freeze [TIME]",
		Short: "Stop the workflow clock, at its current time or at a later TIME",
		Long: `Stop the workflow clock of a development server, at its current time or at a
later TIME in RFC 3339. A frozen clock moves only with keyturn dev clock
advance or set, so that the times and version ids of a scripted run repeat.`,
		Example: `  keyturn dev clock freeze
  keyturn dev clock freeze 2030-01-01T00:00:00Z`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.adminClient(cmd.Context())
			if err != nil {
				return err
			}
			var clock *client.Clock
			if len(args) == 1 {
				t, parseErr := time.Parse(time.RFC3339, args[0])
				if parseErr != nil {
					return fmt.Errorf("invalid TIME %q: use RFC 3339, such as 2030-01-01T00:00:00Z", args[0])
				}
				clock, err = c.FreezeClock(cmd.Context(), t)
			} else {
				clock, err = c.SetClockFrozen(cmd.Context(), true)
			}
			if err != nil {
				return err
			}
			return printClock(o.printer(cmd), clock)
		},
	}
}

func newDevResetCommand(o *connOptions) *cobra.Command {
	var (
		account string
		all     bool
	)
	cmd := &cobra.Command{
		Use:   "reset",
		Short: "Delete the state of an account, or of every account, on a development server",
		Long: `Delete the teams, sessions, users and other state, in every region, of the
account of your credentials on a development server, or of the account that
--account names. With --all, delete the state of every account and the
policies added with keyturn policies put; AWS's published policies stay.`,
		Example: `  keyturn dev reset
  keyturn dev reset --all`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.adminClient(cmd.Context())
			if err != nil {
				return err
			}
			target, text := account, "Deleted the state of account "+account+"."
			switch {
			case all:
				target, text = "*", "Deleted the state of every account."
			case account == "":
				text = "Deleted the state of the account of your credentials."
			}
			if err := c.Reset(cmd.Context(), target); err != nil {
				return err
			}
			out := struct {
				AccountID   string `json:"AccountId,omitempty"`
				AllAccounts bool
			}{account, all}
			return o.printer(cmd).print(out, func(w io.Writer) error {
				_, err := fmt.Fprintln(w, text)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&account, "account", "", "12-digit id of the account to reset (default: the account of your credentials)")
	cmd.Flags().BoolVar(&all, "all", false, "reset every account")
	cmd.MarkFlagsMutuallyExclusive("account", "all")
	return cmd
}
