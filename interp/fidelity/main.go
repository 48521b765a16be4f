// Command fidelity runs each of the articles' experiments and mechanisms
// in CPython (the python3 on PATH, running package mech's
// experiments.py) and under the matching Go model, side by side in one
// run, interleaved where timings are compared, and judges every row
// against CPython's figure from that same run:
//
//	go run ./interp/fidelity            # about three minutes
//	go run ./interp/fidelity -quick     # smaller sizes, fewer repeats
//	go run ./interp/fidelity -only slices,convoy,io
//
// The bands (issue 12): CPU-bound ratios within ±15 % of CPython's;
// sleep-based times within ±2 %; GIL time slices within ±15 % at 5 ms and
// ±30 % below; the convoy wait within ±30 %; an I/O request next to a
// CPU-bound thread within ±30 % (what the thread adds, ±40 %); lost-update
// rates within ±0.15; process start-up between CPython's fork and spawn;
// the task size at which a pool starts to pay within 3.5×; verdicts
// (loses updates, the pool is slower) the same. Rows shown for
// reference only (absolute times on sides calibrated to match, model-only
// figures) are listed apart, not judged. It prints PASS or FAIL per row
// and exits 1 if any row fails or an experiment cannot run.
//
// Rows fail on the development machine (a 2-vCPU VM), and which ones
// moves with the machine. On 2026-12-05 in the morning: the article's race
// with every log write slow (CPython lost an update in 0.37–0.56 of the
// runs, the model in 0.00–0.04) and the lock wake-up race at 20 µs that
// decides it (0.97–0.98 against 0.51–0.57); the race with the slow part
// after the log line passed (0.99 against 0.97–1.00). After a reboot that
// afternoon: CPython's every-write rate fell to 0.01–0.09 and that row
// passed; the after-line row failed (CPython 0.89–0.97, the model
// 0.59–0.76) and the lock wake-up still did (0.86–0.96 against 0.43–0.56).
// mech.LockWake and mech.RaceLoss say what was measured and tried.
package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gokernel/gokernel/interp/fidelity/mech"
	"github.com/gokernel/gokernel/interp/subprocess"
	"github.com/gokernel/gokernel/interp/workloads"
)

// A row is one figure measured both ways.
type row struct {
	exp, metric string
	py, model   float64 // seconds, or a count when unit is ""
	unit        string  // "s", "ms", "" (count), "x" (ratio), "rate"
	band        string  // what the model must be relative to CPython's figure
	ok          bool
	info        bool // for reference, not judged
	cant        bool // can't tell here now (the machine offered too little)
	note        string
}

// fromMech turns a mech.Result into rows of experiment exp.
func fromMech(exp string, r mech.Result) ([]row, error) {
	if r.Err != nil {
		return nil, r.Err
	}
	var rows []row
	for _, m := range r.Rows {
		rows = append(rows, row{exp: exp, metric: m.Metric, py: m.CPython, model: m.Model, unit: m.Unit, band: m.Band, ok: m.OK, info: m.Info, cant: m.CantTell, note: m.Note})
	}
	if len(rows) > 0 && len(r.Notes) > 0 {
		rows[0].note = strings.TrimSpace(strings.Join(r.Notes, " ") + " " + rows[0].note)
	}
	return rows, nil
}

type env struct {
	url    string // the loopback server, for both sides
	quick  bool
	repeat int
}

func main() {
	if subprocess.IsChild() { // a worker process of the "processes" experiment
		subprocess.ChildMain()
	}
	quick := flag.Bool("quick", false, "smaller sizes and 5 repeats instead of 21 (faster, noisier)")
	only := flag.String("only", "", "comma-separated experiments to run (cpu2,countdown,cpu_io,primes4,slices,convoy,io,delay,http,race,race_log,race_update,race_after,race_fast,lock_wake,handover,processes,start,pool,breakeven,shipping)")
	flag.Parse()
	if _, err := exec.LookPath("python3"); err != nil {
		fmt.Fprintln(os.Stderr, "fidelity: python3 is not on PATH; nothing to compare with")
		os.Exit(2)
	}
	srv, err := workloads.StartServer()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer srv.Close()
	e := &env{url: srv.URL, quick: *quick, repeat: 21}
	if *quick {
		e.repeat = 5
	}
	exps := []struct {
		name string
		run  func(*env) ([]row, error)
	}{
		{"cpu2", cpu2SumSquares}, {"countdown", cpu2Countdown}, {"cpu_io", cpuIO}, {"primes4", primes4},
		{"slices", slices}, {"convoy", convoy}, {"io", ioSlowdown}, {"delay", delay}, {"http", httpIO},
		{"race", race}, {"race_log", raceLog}, {"race_update", raceUpdateLine}, {"race_after", raceAfter}, {"race_fast", raceFast}, {"lock_wake", lockWake}, {"handover", handover}, {"processes", processes}, {"start", startMethods},
		{"pool", poolTiny}, {"breakeven", breakeven}, {"shipping", shipping},
	}
	want := map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		if s = strings.TrimSpace(s); s != "" {
			want[s] = true
		}
	}
	start := time.Now()
	var rows []row
	failed := false
	for _, x := range exps {
		if len(want) > 0 && !want[x.name] {
			continue
		}
		t0 := time.Now()
		fmt.Fprintf(os.Stderr, "fidelity: %s ...", x.name)
		rs, err := x.run(e)
		fmt.Fprintf(os.Stderr, " %.1fs\n", time.Since(t0).Seconds())
		if err != nil {
			fmt.Fprintf(os.Stderr, "fidelity: %s: %v\n", x.name, err)
			failed = true
			continue
		}
		rows = append(rows, rs...)
	}
	fmt.Printf("fidelity: CPython %s vs the Go models, %d CPUs, GOMAXPROCS %d, %s\n\n", pyVersion(), runtime.NumCPU(), runtime.GOMAXPROCS(0), time.Now().Format(time.RFC3339))
	tw := tabwriter.NewWriter(os.Stdout, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "experiment\tmetric\tCPython\tGo model\tmodel/CPython\tband\tresult\t")
	pass, fail, cant := 0, 0, 0
	for _, r := range rows {
		if r.info {
			continue
		}
		res := "PASS"
		switch {
		case r.cant:
			res, cant = "CAN'T TELL", cant+1
		case r.ok:
			pass++
		default:
			res, fail = "FAIL", fail+1
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.exp, r.metric, mech.Format(r.py, r.unit), mech.Format(r.model, r.unit), mech.FormatRatio(r.py, r.model, r.unit), r.band, res)
	}
	tw.Flush()
	fmt.Println("\nfor reference, not judged:")
	tw = tabwriter.NewWriter(os.Stdout, 2, 8, 2, ' ', tabwriter.AlignRight)
	for _, r := range rows {
		if r.info {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", r.exp, r.metric, mech.Format(r.py, r.unit), mech.Format(r.model, r.unit), mech.FormatRatio(r.py, r.model, r.unit))
		}
	}
	tw.Flush()
	fmt.Println()
	for _, r := range rows {
		if r.note != "" {
			fmt.Printf("  %s / %s: %s\n", r.exp, r.metric, r.note)
		}
	}
	fmt.Printf("\n%d PASS, %d FAIL, %d CAN'T TELL (the machine offered too little to judge them now), %.0f s in all\n", pass, fail, cant, time.Since(start).Seconds())
	if fail > 0 || failed {
		os.Exit(1)
	}
}

func within(model, py, frac float64) bool {
	return py > 0 && math.Abs(model/py-1) <= frac
}

func pyVersion() string {
	if v := mech.PythonVersion(); v != "" {
		return "python " + v
	}
	return "?"
}

// python runs one experiment of mech's experiments.py.
func (e *env) python(name string, params map[string]any, out any) error {
	return mech.Python(name, params, out)
}

// seconds times f.
func seconds(f func()) float64 {
	t := time.Now()
	f()
	return time.Since(t).Seconds()
}

func minOf(xs []float64) float64 {
	m := math.Inf(1)
	for _, x := range xs {
		m = math.Min(m, x)
	}
	return m
}
