// Command nullkernel is the kernel package serving an evaluator that does no
// work: every cell's value is its own source text. kernelbench.py measures
// it beside gokernel and ipykernel, so that the round trip of the protocol
// layer alone (sockets, signing, JSON, status and execute_input on iopub,
// execute_reply) is a printed figure, not a guess: it is the least any
// gokernel, however fast its interpreter, could score on this machine.
//
//	go build -o /tmp/nullkernel ./kernel/benchmarks/nullkernel
//	/tmp/nullkernel -f CONNECTION_FILE
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"

	"github.com/gokernel/gokernel/kernel"
	"github.com/gokernel/gokernel/kernel/mime"
)

func main() {
	conn := flag.String("f", "", "connection `file` written by Jupyter")
	flag.Parse()
	if *conn == "" {
		fmt.Fprintln(os.Stderr, "nullkernel: -f CONNECTION_FILE is required")
		os.Exit(2)
	}
	info, err := kernel.ReadConnectionFile(*conn)
	if err != nil {
		log.Fatal(err)
	}
	ev := kernel.ExecuteFunc(func(_ context.Context, code string, _ mime.Publisher) (mime.Bundle, error) {
		return mime.TextBundle(code), nil
	})
	k, err := kernel.New(info, ev, kernel.Options{Log: log.New(os.Stderr, "nullkernel: ", log.LstdFlags), Version: "null"})
	if err != nil {
		log.Fatal(err)
	}
	defer k.Close()
	if _, err := k.Run(context.Background()); err != nil {
		log.Fatal(err)
	}
}
