package main

import (
	"fmt"

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
	var p struct{ Serial, Parallel, Startup float64 }
	if err := e.python("processes2", map[string]any{"n": pyN, "repeat": 3}, &p); err != nil {
		return nil, err
	}
	s, err := subprocess.MeasureSpeedupOpts(subprocess.SpeedupOptions{Workers: 2, Repeat: 3}, workloads.SumSquares, n)
	if err != nil {
		return nil, err
	}
	pySpeed, pyIdeal := p.Serial/p.Parallel, p.Serial/(p.Serial/2+p.Startup)
	goOfIdeal, pyOfIdeal := s.Speedup/s.Ideal, pySpeed/pyIdeal
	return []row{
		{exp: "2 processes", metric: "serial", py: p.Serial, model: s.Serial.Seconds(), unit: "s", info: true,
			note: fmt.Sprintf("two calls; one call: CPython n=%d %.3f s, Go n=%d calibrated to it", pyN, one, n)},
		{exp: "2 processes", metric: "2 processes", py: p.Parallel, model: s.Parallel.Seconds(), unit: "s", info: true},
		{exp: "2 processes", metric: "process start-up", py: p.Startup, model: s.Startup.Seconds(), unit: "ms", info: true},
		{exp: "2 processes", metric: "serial / 2 processes", py: pySpeed, model: s.Speedup, unit: "x", info: true},
		{exp: "2 processes", metric: "speedup / ideal", py: pyOfIdeal, model: goOfIdeal, unit: "x", band: "±20 %",
			ok:   within(goOfIdeal, pyOfIdeal, 0.2),
			note: fmt.Sprintf("ideal = serial / (serial/2 + start-up): Go %.2fx, CPython %.2fx (fork); each side's share of its own ideal, the model's judged against CPython's", s.Ideal, pyIdeal)},
	}, nil
}
