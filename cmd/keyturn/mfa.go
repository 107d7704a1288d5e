package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/keyturn/keyturn/client"
)

func newApproverMFACommand(o *approverOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mfa",
		Short: "Manage your second factors: an authenticator app (TOTP) and e-mailed codes",
		Long: `Manage the second factors with which you prove a vote in a session that
requires approver verification: an authenticator app (TOTP) and one-time codes
e-mailed to your address (EMAIL_OTP). keyturn approver whoami lists yours.`,
		Example: `  keyturn approver mfa totp enroll
  keyturn approver mfa totp confirm 123456
  keyturn approver mfa remove TOTP`,
	}
	totp := &cobra.Command{
		Use:   "totp",
		Short: "Enrol an authenticator app (TOTP)",
		Example: `  keyturn approver mfa totp enroll
  keyturn approver mfa totp confirm 123456`,
	}
	totp.AddCommand(newTOTPEnrollCommand(o), newMFAConfirmCommand(o, "TOTP"))
	email := &cobra.Command{
		Use:   "email",
		Short: "Enrol one-time codes e-mailed to your address (EMAIL_OTP)",
		Example: `  keyturn approver mfa email enroll
  keyturn approver mfa email confirm 123456`,
	}
	email.AddCommand(newEmailEnrollCommand(o), newMFAConfirmCommand(o, "EMAIL_OTP"))
	cmd.AddCommand(totp, email, newMFARemoveCommand(o), newMFAEmailCodeCommand(o))
	return cmd
}

// proofFlags are the flags with which an approver who has a factor proves
// it before factors change.
type proofFlags struct {
	totp, emailCode string
}

func (p *proofFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&p.totp, "totp", "", "current code of the authenticator app you have, needed once you have a factor")
	cmd.Flags().StringVar(&p.emailCode, "email-code", "", "code that keyturn approver mfa email-code e-mailed you, needed once you have a factor")
	cmd.MarkFlagsMutuallyExclusive("totp", "email-code")
}

func (p *proofFlags) proof() client.FactorProof {
	switch {
	case p.totp != "":
		return client.FactorProof{MfaMethod: "TOTP", MfaCode: p.totp}
	case p.emailCode != "":
		return client.FactorProof{MfaMethod: "EMAIL_OTP", MfaCode: p.emailCode}
	}
	return client.FactorProof{}
}

func newMFAEmailCodeCommand(o *approverOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "email-code",
		Short: "E-mail yourself a code that proves your e-mail factor before factors change",
		Long: `E-mail yourself a one-time code that proves your e-mail factor. Once you have a
factor, adding or removing one needs a code from a factor you have: pass it
with --email-code, or pass a code from your authenticator app with --totp.`,
		Example: `  keyturn approver mfa email-code
  keyturn approver mfa totp enroll --email-code 123456`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client(cmd)
			if err != nil {
				return err
			}
			if err := c.RequestFactorCode(cmd.Context()); err != nil {
				return err
			}
			return o.printer(cmd).print(struct{ Sent bool }{true}, func(w io.Writer) error {
				_, err := fmt.Fprintln(w, "E-mailed you a code. Pass it with --email-code to the command that changes your factors.")
				return err
			})
		},
	}
}

func newTOTPEnrollCommand(o *approverOptions) *cobra.Command {
	var p proofFlags
	cmd := &cobra.Command{
		Use:   "enroll",
		Short: "Create an authenticator secret, to confirm with a first code",
		Long: `Create a secret for an authenticator app and print it with its otpauth:// URL,
which most apps read from a QR code. The factor counts once keyturn approver
mfa totp confirm has checked a first code from the app. Running enroll again
before that replaces the secret. If you have a factor already, prove it with
--totp or --email-code.`,
		Example: `  keyturn approver mfa totp enroll
  keyturn approver mfa totp enroll --email-code 123456`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client(cmd)
			if err != nil {
				return err
			}
			enr, err := c.EnrollTOTP(cmd.Context(), p.proof())
			if err != nil {
				return err
			}
			return o.printer(cmd).print(enr, func(w io.Writer) error {
				if err := writeFields(w, field{"Secret", enr.Secret}, field{"URL", enr.OtpauthURL}); err != nil {
					return err
				}
				_, err := fmt.Fprintf(w, "\nAdd the secret to your authenticator app, then confirm with a code from it:\n\n  keyturn approver mfa totp confirm CODE\n")
				return err
			})
		},
	}
	p.register(cmd)
	return cmd
}

func newEmailEnrollCommand(o *approverOptions) *cobra.Command {
	var p proofFlags
	cmd := &cobra.Command{
		Use:   "enroll",
		Short: "E-mail yourself a code that confirms your address for one-time codes",
		Long: `E-mail yourself a code that confirms your address for one-time codes. If you
have a factor already, prove it with --totp or --email-code.`,
		Example: "  keyturn approver mfa email enroll",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client(cmd)
			if err != nil {
				return err
			}
			if err := c.EnrollEmail(cmd.Context(), p.proof()); err != nil {
				return err
			}
			out := struct {
				Method string
				Sent   bool
			}{"EMAIL_OTP", true}
			return o.printer(cmd).print(out, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "E-mailed you a confirmation code. Confirm with:\n\n  keyturn approver mfa email confirm CODE\n")
				return err
			})
		},
	}
	p.register(cmd)
	return cmd
}

// newMFAConfirmCommand returns the confirm command of the method, TOTP or
// EMAIL_OTP.
func newMFAConfirmCommand(o *approverOptions, method string) *cobra.Command {
	short, example := "Confirm your authenticator app with a code from it", "  keyturn approver mfa totp confirm 123456"
	if method == "EMAIL_OTP" {
		short, example = "Confirm your e-mail address with the code e-mailed to it", "  keyturn approver mfa email confirm 123456"
	}
	return &cobra.Command{
		Use:     "confirm CODE",
		Short:   short,
		Example: example,
		Args:    usageArgs("CODE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client(cmd)
			if err != nil {
				return err
			}
			if method == "TOTP" {
				err = c.ConfirmTOTP(cmd.Context(), args[0])
			} else {
				err = c.ConfirmEmail(cmd.Context(), args[0])
			}
			if err != nil {
				return err
			}
			out := struct {
				Method    string
				Confirmed bool
			}{method, true}
			return o.printer(cmd).print(out, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "Confirmed your %s factor. Votes that require approver verification can use it now.\n", method)
				return err
			})
		},
	}
}

func newMFARemoveCommand(o *approverOptions) *cobra.Command {
	var p proofFlags
	cmd := &cobra.Command{
		Use:   "remove TOTP|EMAIL_OTP",
		Short: "Remove one of your second factors, proved with a code",
		Long: `Remove one of your second factors. Prove a factor you have with --totp or
--email-code. If you lost every factor, ask an administrator to run keyturn users
reset-factors.`,
		Example:   "  keyturn approver mfa remove TOTP --totp 123456",
		Args:      usageArgs("TOTP|EMAIL_OTP"),
		ValidArgs: []string{"TOTP", "EMAIL_OTP"},
		RunE: func(cmd *cobra.Command, args []string) error {
			method := args[0]
			if method != "TOTP" && method != "EMAIL_OTP" {
				return fmt.Errorf("invalid factor %q: use TOTP or EMAIL_OTP", method)
			}
			c, err := o.client(cmd)
			if err != nil {
				return err
			}
			if err := c.RemoveFactor(cmd.Context(), method, p.proof()); err != nil {
				return err
			}
			out := struct {
				Method  string
				Removed bool
			}{method, true}
			return o.printer(cmd).print(out, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "Removed your %s factor.\n", method)
				return err
			})
		},
	}
	p.register(cmd)
	return cmd
}
