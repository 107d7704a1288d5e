package main

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyturn/keyturn/internal/mail"
	"github.com/keyturn/keyturn/internal/server"
)

func newServeCommand() *cobra.Command {
	var (
		cfg             server.Config
		credentialsFile string
		smtp            mail.Config
		strict          bool
		logLevel        string
		logFormat       string
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Keyturn server",
		Long: `Run the Keyturn server. It serves the MPA API and Keyturn's own API on one
port, and keeps its state in a SQLite file unless --database names another
store.

Every flag can also be set with an environment variable: KEYTURN_ and the
flag name in upper case, with dashes as underscores (KEYTURN_DATABASE).`,
		Example: `  # Development: any AWS credentials, state in ./keyturn.db
  keyturn serve --dev

  # Production on PostgreSQL, with credentials from a file
  keyturn serve --addr 0.0.0.0:8080 --database postgres://keyturn@db/keyturn \
    --credentials-file /etc/keyturn/credentials.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := bindEnv(cmd.Flags()); err != nil {
				return err
			}
			logger, err := newLogger(logLevel, logFormat)
			if err != nil {
				return err
			}
			cfg.Logger = logger
			if credentialsFile != "" {
				var warnings []string
				if cfg.Credentials, warnings, err = server.LoadCredentials(credentialsFile); err != nil {
					return err
				}
				for _, w := range warnings {
					logger.Warn(w)
				}
			}
			if strict {
				cfg.Engine.MinApprovers, cfg.Engine.MinApprovals = 3, 2
			}
			if smtp.Addr != "" {
				cfg.SMTP = &smtp
			}
			if cfg.Dev {
				logger.Warn("development mode: any AWS credentials are accepted and tests can move the clock and act as any approver; never use it in production")
			}
			srv, err := server.New(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			return srv.Run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "TCP address to listen on")
	f.StringVar(&cfg.Database, "database", "keyturn.db", `where to keep state: a SQLite file path, "memory" for an in-memory database that keeps nothing on disk, or a postgres:// URL`)
	f.BoolVar(&cfg.Dev, "dev", false, "development mode: accept any AWS credentials, and let tests move the clock, reset state and act as any approver")
	f.StringVar(&credentialsFile, "credentials-file", "", "JSON file of accepted access keys, each with AccessKeyId, SecretAccessKey, AccountId, PrincipalArn and the optional permissions Operator and IdentityAdmin")
	f.StringVar(&cfg.DefaultAccountID, "default-account", "000000000000", "account of development-mode requests whose access key is not a 12-digit account id")
	f.StringVar(&cfg.PublicURL, "public-url", "", "base URL under which clients reach the server, for approval portal links (default: http:// and the listen address)")
	f.DurationVar(&cfg.SweepInterval, "sweep-interval", time.Second, "how often expired sessions, invitations and deletion windows are applied in the background")
	f.Uint64Var(&cfg.Seed, "seed", 0, "development mode: seed for repeatable ARNs and ids (0 means random)")
	f.DurationVar(&cfg.Engine.InvitationTTL, "invitation-ttl", 24*time.Hour, "how long approvers have to accept a team invitation")
	f.DurationVar(&cfg.Engine.SessionTTL, "session-ttl", 24*time.Hour, "lifetime of a session whose requester names no duration")
	f.DurationVar(&cfg.Engine.MaxSessionTTL, "max-session-ttl", 7*24*time.Hour, "longest session duration a requester may ask for")
	f.IntVar(&cfg.Engine.MaxTeamsPerAccount, "max-teams-per-account", 100, "approval teams an account may have in a region")
	f.BoolVar(&strict, "strict-team-rules", false, "require at least 3 approvers and 2 approvals per team, as the AWS console does")
	f.BoolVar(&cfg.Engine.TeamChangesRequireVerification, "team-changes-require-mfa", false, "make every vote on a team's update or deletion need a second factor")
	f.StringVar(&smtp.Addr, "smtp-addr", "", "host:port of the SMTP server that delivers e-mailed one-time codes and enrolment codes (default: no e-mail)")
	f.StringVar(&smtp.From, "smtp-from", "", "sender address of Keyturn's e-mail, such as keyturn@example.com")
	f.StringVar(&smtp.Username, "smtp-username", "", "user name for SMTP authentication (default: no authentication)")
	f.StringVar(&smtp.Password, "smtp-password", "", "password for SMTP authentication; prefer the environment variable KEYTURN_SMTP_PASSWORD, which other users cannot see in the process list")
	f.StringVar(&smtp.TLS, "smtp-tls", mail.TLSStartTLS, "SMTP encryption: starttls (required STARTTLS), tls (TLS from the start, as on port 465) or none (only towards a relay on the same host)")
	f.DurationVar(&smtp.Timeout, "smtp-timeout", 30*time.Second, "longest time to connect to the SMTP server and send one message")
	f.StringVar(&logLevel, "log-level", "info", "lowest level logged: debug, info, warn or error")
	f.StringVar(&logFormat, "log-format", "json", "log format: json or text")
	return cmd
}

func newLogger(level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("invalid --log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("invalid --log-format %q: use json or text", format)
}
