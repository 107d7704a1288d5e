package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/keyturn/keyturn/internal/bench"
)

func newColdStartCommand() *cobra.Command {
	var (
		opts     bench.ColdStartOptions
		keyturn  string
		moto     string
		workDir  string
		jsonPath string
	)
	cmd := &cobra.Command{
		Use:   "coldstart --keyturn PATH [--database FILE] [flags]",
		Short: "Time keyturn serve and moto_server from process start to first response",
		Long: `Start each server --repeat times on a free port of 127.0.0.1 and time it
from process start to its first response, polling every
--poll-interval with a signed request: ListApprovalTeams for Keyturn,
DescribeLogGroups for moto. After each first response the server idles for
--idle-wait and its resident set size (VmRSS in /proc) is read.

The servers:
  keyturn serve --dev on a new, empty SQLite file (schema created at start)
  keyturn serve --dev on --database, a filled database, when given
  moto_server, unless --moto is ""

With --load-duration, each server with data is started once more and
loaded: Keyturn with the first ListSessions page of --database, moto with
DescribeLogGroups after --moto-items log groups are created; the peak RSS
under load is sampled every 100 ms.

The report gives the median and range of each measurement, and the ratio
of moto's median cold start to Keyturn's.`,
		Example: `  go build -o bin/ ./cmd/keyturn
  keyturn-bench coldstart --keyturn bin/keyturn --database /tmp/bench-10k.db \
    --repeat 7 --json /tmp/coldstart.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if keyturn == "" {
				return fmt.Errorf("--keyturn is required: build it with go build -o bin/ ./cmd/keyturn and pass bin/keyturn")
			}
			if opts.KeyturnBin, err = exec.LookPath(keyturn); err != nil {
				return fmt.Errorf("invalid --keyturn: %w", err)
			}
			if opts.Repeat < 1 {
				return fmt.Errorf("invalid --repeat %d: start each server at least once", opts.Repeat)
			}
			if opts.Client != bench.ClientSDK && opts.Client != bench.ClientSigned {
				return fmt.Errorf("invalid --client %q: use sdk or signed", opts.Client)
			}
			if moto != "" {
				if opts.MotoPath, err = bench.ResolveMoto(moto); err != nil {
					return err
				}
			}
			opts.WorkDir = workDir
			if opts.WorkDir == "" {
				if opts.WorkDir, err = os.MkdirTemp("", "keyturn-bench-coldstart-"); err != nil {
					return err
				}
				defer os.RemoveAll(opts.WorkDir)
			} else if err := os.MkdirAll(opts.WorkDir, 0o755); err != nil {
				return err
			}
			opts.Out = cmd.ErrOrStderr()

			rep, err := bench.ColdStart(cmd.Context(), opts)
			if rep != nil {
				rep.Command = strings.Join(os.Args, " ")
				if len(rep.Targets) > 0 {
					bench.PrintColdStart(cmd.OutOrStdout(), rep)
				}
				if jsonPath != "" {
					if writeErr := bench.WriteJSON(jsonPath, rep); writeErr != nil && err == nil {
						err = writeErr
					}
				}
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&keyturn, "keyturn", "", "keyturn binary to start with its serve command (required)")
	f.StringVar(&opts.Database, "database", "", "filled database to start Keyturn on besides an empty one")
	f.StringVar(&moto, "moto", "moto_server", `moto_server program to time; "" leaves moto out`)
	f.IntVar(&opts.Repeat, "repeat", 5, "number of starts of each server")
	f.DurationVar(&opts.PollInterval, "poll-interval", 2*time.Millisecond, "time between probes while a server starts")
	f.DurationVar(&opts.IdleWait, "idle-wait", time.Second, "time a server idles after its first response before its RSS is read")
	f.DurationVar(&opts.LoadDuration, "load-duration", 5*time.Second, "measured time under load, for the RSS under load; 0 leaves the load out")
	f.IntVar(&opts.Concurrency, "concurrency", 8, "concurrent workers of the load")
	f.IntVar(&opts.MotoItems, "moto-items", 10_000, "log groups created in moto before its load")
	f.StringVar(&opts.Client, "client", bench.ClientSigned, "how load requests are sent: signed or sdk, as in run")
	f.StringVar(&workDir, "work-dir", "", "directory for server logs and empty databases; kept when set, a removed temporary directory when not")
	f.StringVar(&jsonPath, "json", "", "file that receives the report as JSON")
	return cmd
}
