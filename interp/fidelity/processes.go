package main

import (
	"fmt"
	"time"

	"github.com/gokernel/gokernel/interp/lesson"
	"github.com/gokernel/gokernel/interp/subprocess"
	"github.com/gokernel/gokernel/interp/workloads"
)

// processes compares two CPU-bound calls, one after the other, with the same
// calls in two processes started for them (issue 5: processes give close to
// 2× on 2 cores, minus their start-up). Each side is judged against its own
// ideal, serial / (serial/2 + start-up): what perfect parallelism leaves
// after paying for the processes.
func processes(e *env) ([]row, error) {
	// Calls long enough (about half a second in CPython) that starting a
	// process is a small part of them, as in the article.
	pyN := 7_000_000
	if e.quick {
		pyN /= 2
	}
	n, one, err := calibrated(e, "sum_squares", pyN, func(n int) { workloads.SumSquares(n) })
	if err != nil {
		return nil, err
	}
	// Rounds alternate CPython and Go (one measurement each), and each
	// side's figure is the median of its rounds: a second core comes and
	// goes on a shared machine, and a side measured in one block could
	// catch a bad spell the other missed. A watch of the parallelism the
	// machine offers says when neither side could show it.
	type pyRound struct{ Serial, Parallel, Startup float64 }
	var pyRs []pyRound
	var goRs []subprocess.Speedup
	var goStarts []float64 // start + join of a process that does nothing, as CPython's start-up
	watch := lesson.WatchParallelism(2)
	for range 5 {
		var p pyRound
		if err := e.python("processes2", map[string]any{"n": pyN, "repeat": 1}, &p); err != nil {
			return nil, err
		}
		pyRs = append(pyRs, p)
		s, err := subprocess.MeasureSpeedupOpts(subprocess.SpeedupOptions{Workers: 2, Repeat: 1}, workloads.SumSquares, n)
		if err != nil {
			return nil, err
		}
		goRs = append(goRs, s)
		d, err := startJoin()
		if err != nil {
			return nil, err
		}
		goStarts = append(goStarts, d.Seconds())
		watch.Sample()
	}
	med := func(f func(i int) float64, k int) float64 {
		xs := make([]float64, k)
		for i := range xs {
			xs[i] = f(i)
		}
		return median(xs)
	}
	p := pyRound{
		Serial:   med(func(i int) float64 { return pyRs[i].Serial }, len(pyRs)),
		Parallel: med(func(i int) float64 { return pyRs[i].Parallel }, len(pyRs)),
		Startup:  med(func(i int) float64 { return pyRs[i].Startup }, len(pyRs)),
	}
	s := subprocess.Speedup{
		Serial:   time.Duration(med(func(i int) float64 { return float64(goRs[i].Serial) }, len(goRs))),
		Parallel: time.Duration(med(func(i int) float64 { return float64(goRs[i].Parallel) }, len(goRs))),
		Startup:  time.Duration(median(goStarts) * float64(time.Second)),
	}
	together := time.Duration(med(func(i int) float64 { return float64(goRs[i].Startup) }, len(goRs)))
	s.Speedup = s.Serial.Seconds() / s.Parallel.Seconds()
	s.Ideal = s.Serial.Seconds() / (s.Serial.Seconds()/2 + s.Startup.Seconds())
	pySpeed, pyIdeal := p.Serial/p.Parallel, p.Serial/(p.Serial/2+p.Startup)
	goOfIdeal, pyOfIdeal := s.Speedup/s.Ideal, pySpeed/pyIdeal
	cant, cantNote := false, ""
	if !within(goOfIdeal, pyOfIdeal, 0.2) && watch.Low() < 1.6 {
		cant, cantNote = true, fmt.Sprintf(" Can't tell here now: %s (1.6× at least is needed to judge).", watch)
	}
	return []row{
		{exp: "2 processes", metric: "serial", py: p.Serial, model: s.Serial.Seconds(), unit: "s", info: true,
			note: fmt.Sprintf("two calls; one call: CPython n=%d %.3f s, Go n=%d calibrated to it", pyN, one, n)},
		{exp: "2 processes", metric: "2 processes", py: p.Parallel, model: s.Parallel.Seconds(), unit: "s", info: true},
		{exp: "2 processes", metric: "process start-up", py: p.Startup, model: s.Startup.Seconds(), unit: "ms", info: true,
			note: fmt.Sprintf("start and join of a process that does nothing, alone, in each round on both sides (CPython forks); the model's two workers, started together and one already computing, took %s from spawn to ready", together.Round(100*time.Microsecond))},
		{exp: "2 processes", metric: "serial / 2 processes", py: pySpeed, model: s.Speedup, unit: "x", info: true},
		{exp: "2 processes", metric: "speedup / ideal", py: pyOfIdeal, model: goOfIdeal, unit: "x", band: "±20 %",
			ok: within(goOfIdeal, pyOfIdeal, 0.2), cant: cant,
			note: fmt.Sprintf("ideal = serial / (serial/2 + start-up): Go %.2fx, CPython %.2fx (fork); each side's share of its own ideal, the model's judged against CPython's; medians of %d rounds alternating CPython and Go.", s.Ideal, pyIdeal, len(pyRs)) + cantNote},
	}, nil
}

// startJoin times starting and joining a model process that does nothing,
// as the CPython side times its start-up: alone, start to end.
func startJoin() (time.Duration, error) {
	t0 := time.Now()
	pr := subprocess.NewProcess(workloads.Noop)
	if err := pr.Start(); err != nil {
		return 0, err
	}
	if err := pr.Join(); err != nil {
		return 0, err
	}
	return time.Since(t0), nil
}
