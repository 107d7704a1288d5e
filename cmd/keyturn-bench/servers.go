package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/keyturn/keyturn/internal/bench"
	"github.com/keyturn/keyturn/internal/server"
)

func newCredentialsCommand() *cobra.Command {
	var database string
	cmd := &cobra.Command{
		Use:   "credentials --database FILE|postgres://...",
		Short: "Print the credentials file of a filled database",
		Long: `Print, as JSON, the credentials file that lets a Keyturn server verify the
requests of keyturn-bench: one access key per account of the data set. The
keys exist for benchmarks on loopback only: their secrets are fixed.`,
		Example: `  keyturn-bench credentials --database /tmp/bench-10k.db > /tmp/bench-credentials.json
  keyturn serve --database /tmp/bench-10k.db --credentials-file /tmp/bench-credentials.json &
  keyturn-bench run --database /tmp/bench-10k.db --connect http://127.0.0.1:8080 \
    --scenarios 'list/*,get,start'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if database == "" {
				return fmt.Errorf("--database is required: name a database filled with keyturn-bench fill")
			}
			store, err := server.OpenStore(cmd.Context(), database)
			if err != nil {
				return err
			}
			defer store.Close()
			m, err := bench.LoadManifest(cmd.Context(), store)
			if err != nil {
				return err
			}
			creds, err := m.Credentials()
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), string(creds))
			return err
		},
	}
	cmd.Flags().StringVar(&database, "database", "", "filled SQLite file or postgres:// URL (required)")
	return cmd
}

// newServerCommand is the built-in Keyturn server that run starts: the
// server package configured as keyturn serve configures it, with a pprof
// endpoint beside it.
func newServerCommand() *cobra.Command {
	var opts bench.ServerOptions
	cmd := &cobra.Command{
		Use:    "server --addr 127.0.0.1:PORT --database FILE [flags]",
		Short:  "Run the Keyturn server that run starts (internal)",
		Hidden: true,
		Long: `Run a Keyturn server with the same server code and settings as keyturn
serve, and, with --pprof-addr, net/http/pprof on a second loopback address.
run starts it; there is no need to start it by hand.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return bench.RunServer(cmd.Context(), opts, os.Stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Addr, "addr", "127.0.0.1:8080", "loopback TCP address to listen on")
	f.StringVar(&opts.Database, "database", "keyturn.db", "SQLite file path, memory, or postgres:// URL")
	f.BoolVar(&opts.Dev, "dev", false, "development mode, as keyturn serve --dev")
	f.StringVar(&opts.CredentialsFile, "credentials-file", "", "JSON file of accepted access keys, as for keyturn serve")
	f.StringVar(&opts.LogLevel, "log-level", "info", "lowest level logged: debug, info, warn or error")
	f.StringVar(&opts.PprofAddr, "pprof-addr", "", "loopback address on which to serve net/http/pprof (default: none)")
	return cmd
}

// newMinimalCommand is the minimal reference server that run starts.
func newMinimalCommand() *cobra.Command {
	var addr, bodyFile string
	cmd := &cobra.Command{
		Use:    "minimal --addr 127.0.0.1:PORT --body FILE",
		Short:  "Run the minimal reference server that run starts (internal)",
		Hidden: true,
		Long: `Answer every request with status 200 and the JSON body in --body, doing
no other work: the ceiling for an HTTP JSON service on this machine. run
starts it; there is no need to start it by hand.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			body, err := os.ReadFile(bodyFile)
			if err != nil {
				return err
			}
			return bench.ServeMinimal(cmd.Context(), addr, body)
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:8090", "loopback TCP address to listen on")
	f.StringVar(&bodyFile, "body", "", "file whose content is every response's body")
	return cmd
}
