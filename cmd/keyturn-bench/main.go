// Command keyturn-bench fills Keyturn stores with benchmark data and
// measures Keyturn over loopback HTTP beside two references: a minimal Go
// HTTP server and moto's server.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCommand().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "keyturn-bench:", err)
		os.Exit(1)
	}
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "keyturn-bench",
		Short: "Fill Keyturn stores with benchmark data and measure Keyturn under load",
		Long: `keyturn-bench measures Keyturn on this machine.

  fill        writes a data set into a SQLite file or PostgreSQL database:
              teams, approvers and up to millions of sessions with votes
  run         starts Keyturn on filled databases and measures ListSessions
              (each filter, first and deep pages), GetSession, starting
              sessions and voting, beside a minimal Go HTTP server and moto
  growth      measures how ListSessions latency grows with page depth and
              data set size, across several filled databases
  coldstart   times keyturn serve and moto_server from process start to the
              first response, and reads their memory
  credentials prints the credentials file of a filled database, for a
              server that run connects to

Every server listens on 127.0.0.1, and every load run is bounded in time and
request count. BENCHMARKS.md records the figures and the commands behind
them.`,
		Example: `  go build -o bin/ ./cmd/keyturn ./cmd/keyturn-bench
  bin/keyturn-bench fill --database /tmp/bench-10k.db --sessions 10000
  bin/keyturn-bench run --database /tmp/bench-10k.db --json /tmp/run.json`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		newFillCommand(),
		newRunCommand(),
		newGrowthCommand(),
		newColdStartCommand(),
		newCredentialsCommand(),
		newServerCommand(),
		newMinimalCommand(),
	)
	return root
}

// parseInts parses a comma-separated list of positive integers.
func parseInts(flag, list string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("invalid --%s %q: give positive whole numbers separated by commas, such as 1,8", flag, list)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("invalid --%s %q: give at least one number", flag, list)
	}
	return out, nil
}
