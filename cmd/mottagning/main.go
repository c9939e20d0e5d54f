// Command mottagning is the one binary of the platform: the HTTP server,
// the background worker, the scheduler, migrations, the kommun registry,
// demo data and a one-process developer mode. `mottagning help` lists the
// subcommands; configuration comes only from environment variables.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mottagning:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// errUsage marks a command line that could not be understood.
var errUsage = errors.New("usage")

// run is the whole program: it parses args, reads the configuration through
// getenv and runs one subcommand until it ends or ctx is done.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(stdout)
		if len(args) == 0 {
			return fmt.Errorf("%w: no subcommand given", errUsage)
		}
		return nil
	}
	name := args[0]
	rest := args[1:]
	if name == "tenants" {
		switch {
		case len(rest) > 0 && rest[0] == "apply":
			name, rest = "tenants apply", rest[1:]
		case len(rest) > 0 && (rest[0] == "--help" || rest[0] == "-h"):
			name = "tenants apply"
		default:
			return fmt.Errorf("%w: `tenants` takes the subcommand `apply`", errUsage)
		}
	}
	cmd, ok := commandByName(name)
	if !ok {
		printUsage(stdout)
		return fmt.Errorf("%w: unknown subcommand %q", errUsage, name)
	}
	return cmd.run(ctx, rest, getenv, stdout)
}
