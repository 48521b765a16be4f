// Command storm measures how a session copes with a storm of goroutines:
// a cell starts n goroutines that sleep (or spin), then is interrupted. It
// prints the time to start them, the time from the interrupt until the
// cell returned, until every goroutine had exited (idle) and until their
// memory was given back (rt.Trims), and the process's RSS before, during
// and after.
//
//	go run ./interp/benchmarks/storm -n 100000 -mode sleep
//	go run ./interp/benchmarks/storm -n 100000 -mode spin
//
// Each goroutine of an interpreted go statement needs some 20 KB of stack
// (yaegi's frames), so a million need 20 GB at the peak: mind the
// machine's memory before running -n 1000000.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/gokernel/gokernel/interp"
	"github.com/gokernel/gokernel/interp/rt"
)

func main() {
	n := flag.Int("n", 1000000, "goroutines the cell starts")
	mode := flag.String("mode", "sleep", "what each goroutine does: sleep (time.Sleep(time.Hour)) or spin (<-start; for {})")
	prof := flag.String("cpuprofile", "", "write a CPU profile of the interrupt here")
	flag.Parse()
	body := "time.Sleep(time.Hour)"
	if *mode == "spin" {
		// They wait until all are started: a million goroutines spinning
		// from the start would leave the loop starting them a
		// millionth of the CPU.
		body = "<-start\n\t\tfor {\n\t\t}"
	} else if *mode != "sleep" {
		fmt.Fprintln(os.Stderr, "storm: -mode is sleep or spin")
		os.Exit(2)
	}
	s, err := interp.NewSession(interp.Options{Stdout: os.Stdout, Stderr: os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, "storm:", err)
		os.Exit(1)
	}
	if _, err := s.Execute(context.Background(), `import ("time"; "runtime")`+"\n_ = runtime.NumGoroutine()", nil); err != nil {
		fmt.Fprintln(os.Stderr, "storm:", err)
		os.Exit(1)
	}
	base := runtime.NumGoroutine()
	fmt.Printf("goroutines: %d, mode %s\n", *n, *mode)
	fmt.Printf("RSS before:            %s\n", rss())

	// The cell starts the goroutines, then waits to be interrupted.
	code := fmt.Sprintf("start := make(chan struct{})\nfor i := 0; i < %d; i++ {\n\tgo func() {\n\t\t%s\n\t}()\n}\nclose(start)\ntime.Sleep(time.Hour)", *n, body)
	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now()
	done := make(chan error, 1)
	go func() { _, err := s.Execute(ctx, code, nil); done <- err }()
	for rt.LiveGoroutines() < int64(*n) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // the spinners get going
	fmt.Printf("started in:            %v\n", time.Since(start).Round(time.Millisecond))
	fmt.Printf("RSS during:            %s\n", rss())

	if *prof != "" { // from the interrupt until idle
		if f, err := os.Create(*prof); err == nil {
			pprof.StartCPUProfile(f)
		}
	}
	trims := rt.Trims()
	t0 := time.Now()
	cancel()
	err = <-done
	fmt.Printf("cell returned after:   %v (%v)\n", time.Since(t0).Round(time.Millisecond), err)
	for rt.LiveGoroutines() > 0 || runtime.NumGoroutine() > base+8 {
		time.Sleep(time.Millisecond)
	}
	fmt.Printf("idle after:            %v\n", time.Since(t0).Round(time.Millisecond))
	if *prof != "" {
		pprof.StopCPUProfile()
	}
	fmt.Printf("RSS after exit:        %s\n", rss())
	for deadline := time.Now().Add(30 * time.Second); rt.Trims() == trims && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	fmt.Printf("memory given back:     %v after the interrupt (rt.Trims %d)\n", time.Since(t0).Round(time.Millisecond), rt.Trims())
	fmt.Printf("RSS then:              %s\n", rss())
}

func rss() string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "?"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}
