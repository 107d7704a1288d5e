// Command keyturn runs and administers a Keyturn server.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/keyturn/keyturn/internal/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := server.New(ctx, server.Config{Dev: true, Addr: os.Getenv("ADDR"), Database: "memory"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "keyturn:", err)
		os.Exit(1)
	}
	if err := srv.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "keyturn:", err)
		os.Exit(1)
	}
}
