package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/gokernel/gokernel/interp"
)

// runGet makes third-party modules importable from cells: yaegi reads
// sources from a GOPATH-style src tree, not from the module cache, so the
// module is fetched through the module proxy (go mod download) and laid out
// there.
func runGet(args []string) error {
	fs := flag.NewFlagSet("get", flag.ExitOnError)
	gopath := fs.String("gopath", interp.DefaultGOPATH(), "GOPATH-style `DIR` the kernel reads third-party sources from")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: gokernel get (or gokernel-worker get) [-gopath DIR] MODULE[@VERSION]...\n\nFetches each module and its dependencies with `go mod download` and lays its\nsources out under DIR/src, where cells' imports find them. Flags:\n")
		fs.PrintDefaults()
	}
	fs.Parse(args)
	if fs.NArg() == 0 {
		fs.Usage()
		return exitError(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	for _, m := range fs.Args() {
		if err := interp.Get(ctx, *gopath, m, os.Stderr); err != nil {
			return err
		}
		fmt.Printf("%s is importable from cells (sources under %s/src)\n", m, *gopath)
	}
	return nil
}

// exitError ends the program with a status and no further message.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func asExit(err error, target *exitError) bool {
	e, ok := err.(exitError)
	if ok {
		*target = e
	}
	return ok
}
