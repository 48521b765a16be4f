package main

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/gokernel/gokernel/interp/eventloop"
	"github.com/gokernel/gokernel/interp/gil"
	"github.com/gokernel/gokernel/interp/gil/threading"
	"github.com/gokernel/gokernel/interp/goroutines"
	"github.com/gokernel/gokernel/interp/rt"
	"github.com/gokernel/gokernel/interp/workloads"
)

// paired runs an experiment e.repeat times, alternating CPython and the Go
// model so that both see the same load on a shared machine, and returns
// per side the medians of the serial and threaded times and of their ratio
// (each ratio from runs made back to back). goPair runs the Go side once,
// serial and threaded in an order that alternates with i.
func paired(e *env, pyName string, pyParams map[string]any, goPair func(i int) (serial, threads, gor float64)) (py, model side, err error) {
	for i := range e.repeat {
		var p struct{ Serial, Threads float64 }
		params := map[string]any{"order": i} // CPython alternates serial and threads as goPair does
		for k, v := range pyParams {
			params[k] = v
		}
		if err := e.python(pyName, params, &p); err != nil {
			return py, model, err
		}
		py.add(p.Serial, p.Threads, math.NaN())
		model.add(goPair(i))
	}
	return py, model, nil
}

type side struct{ serial, threads, ratio, gor []float64 }

func (s *side) add(serial, threads, gor float64) {
	s.serial = append(s.serial, serial)
	s.threads = append(s.threads, threads)
	s.ratio = append(s.ratio, threads/serial)
	s.gor = append(s.gor, gor/serial)
}

func median(xs []float64) float64 {
	ys := append([]float64(nil), xs...)
	sort.Float64s(ys)
	if len(ys) == 0 {
		return math.NaN()
	}
	return ys[len(ys)/2]
}

// goPair times fns run one after the other and on threads of a GIL model
// (and of the goroutine model), in an order that alternates with i.
func goPair(fns []func()) func(i int) (serial, threads, gor float64) {
	run := func(m threading.Model) float64 {
		return seconds(func() {
			for _, f := range fns {
				m.Go("", f)
			}
			m.JoinAll()
		})
	}
	ser := func() float64 {
		return seconds(func() {
			for _, f := range fns {
				f()
			}
		})
	}
	return func(i int) (serial, threads, gor float64) {
		if i%2 == 0 {
			serial = ser()
			threads = run(gil.New(gil.Options{}))
		} else {
			threads = run(gil.New(gil.Options{}))
			serial = ser()
		}
		gor = run(goroutines.New(goroutines.Options{}))
		return serial, threads, gor
	}
}

// ratioRows reports per side the median serial and threaded times and the
// median of the ratios of runs made back to back: the machine's speed
// drifts by tens of percent from second to second when it is shared, and a
// pair of runs made together sees the same speed (the median then drops
// the pairs a burst of other work fell into).
func ratioRows(exp, threadsLabel string, py, model side, note string) []row {
	pr, gr := median(py.ratio), median(model.ratio)
	return []row{
		{exp: exp, metric: "serial", py: median(py.serial), model: median(model.serial), unit: "s", info: true, note: note},
		{exp: exp, metric: threadsLabel, py: median(py.threads), model: median(model.threads), unit: "s", info: true},
		{exp: exp, metric: threadsLabel + " / serial", py: pr, model: gr, unit: "x", band: "±15 %", ok: within(gr, pr, 0.15),
			note: fmt.Sprintf("median of %d back-to-back ratios, alternating CPython and Go runs; they ranged CPython %s, model %s",
				len(py.ratio), spread(py.ratio), spread(model.ratio))},
		{exp: exp, metric: "goroutines / serial", py: math.NaN(), model: median(model.gor), unit: "x", info: true},
	}
}

func spread(xs []float64) string {
	ys := append([]float64(nil), xs...)
	sort.Float64s(ys)
	return fmt.Sprintf("%.2f-%.2f", ys[0], ys[len(ys)-1])
}

// calibrated returns the Go n taking as long as CPython's call on pyN.
func calibrated(e *env, work string, pyN int, f func(int)) (int, float64, error) {
	var t struct{ Seconds float64 }
	if err := e.python("time", map[string]any{"work": work, "n": pyN, "repeat": 3}, &t); err != nil {
		return 0, 0, err
	}
	n := workloads.Calibrate(time.Duration(t.Seconds*float64(time.Second)), f)
	return n, t.Seconds, nil
}

func cpuRatio(e *env, exp, work string, pyN int, f func(int)) ([]row, error) {
	if e.quick {
		pyN /= 2
	}
	n, one, err := calibrated(e, work, pyN, f)
	if err != nil {
		return nil, err
	}
	call := func() { f(n) }
	py, model, err := paired(e, "cpu2", map[string]any{"work": work, "n": pyN}, goPair([]func(){call, call}))
	if err != nil {
		return nil, err
	}
	return ratioRows(exp, "2 threads", py, model,
		fmt.Sprintf("two calls; one call: CPython n=%d %.3f s, Go n=%d calibrated to it", pyN, one, n)), nil
}

func cpu2SumSquares(e *env) ([]row, error) {
	return cpuRatio(e, "sum of squares", "sum_squares", 700_000, func(n int) { workloads.SumSquares(n) })
}

func cpu2Countdown(e *env) ([]row, error) {
	return cpuRatio(e, "countdown", "countdown", 2_000_000, workloads.Countdown)
}

// cpuIO runs a CPU task and a request of the same length: each side
// calibrates its CPU work to the request's delay right before each run, so
// that the machine's changing speed does not change the proportion (the
// ratio depends on it: max(cpu, io)/(cpu+io) at best).
func cpuIO(e *env) ([]row, error) {
	d := 0.08
	url := e.url + "/delay/" + strconv.FormatFloat(d, 'f', 2, 64)
	target := time.Duration(d * float64(time.Second))
	var ferr error
	fetch := func() {
		if _, err := workloads.Fetch(url); err != nil {
			ferr = err
		}
	}
	var n int
	py, model, err := paired(e, "cpu_io", map[string]any{"target": d, "url": url}, func(i int) (float64, float64, float64) {
		n = workloads.Calibrate(target, func(n int) { workloads.SumSquares(n) })
		return goPair([]func(){fetch, func() { workloads.SumSquares(n) }})(i)
	})
	if err != nil {
		return nil, err
	}
	if ferr != nil {
		return nil, ferr
	}
	return ratioRows("CPU + I/O", "2 threads", py, model,
		fmt.Sprintf("a CPU task (sum of squares, calibrated to %.2f s on each side before each run; Go n=%d last) and GET /delay/%.2f", d, n, d)), nil
}

func primes4(e *env) ([]row, error) {
	const pyN, number = 15000, 3
	// Go counts primes below 15000 about 60x faster: repeat the call k times
	// inside each task so a task takes as long as CPython's one call.
	var t struct{ Seconds float64 }
	if err := e.python("time", map[string]any{"work": "count_primes", "n": pyN, "repeat": 2}, &t); err != nil {
		return nil, err
	}
	k := workloads.Calibrate(time.Duration(t.Seconds*float64(time.Second)), func(k int) {
		for range k {
			workloads.CountPrimes(pyN)
		}
	})
	task := func() {
		for range k {
			workloads.CountPrimes(pyN)
		}
	}
	four := []func(){task, task, task, task}
	pair := goPair(four)
	py, model, err := paired(e, "primes4", map[string]any{"n": pyN, "number": number}, func(i int) (a, b, c float64) {
		for range number {
			x, y, z := pair(i)
			a, b, c = a+x, b+y, c+z
		}
		return a, b, c
	})
	if err != nil {
		return nil, err
	}
	return ratioRows("is_prime N=15000", "4 threads", py, model,
		fmt.Sprintf("4 calls, timeit number=3; one call: CPython %.3f s, Go repeats count_primes(15000) %d times to match", t.Seconds, k)), nil
}

func delay(e *env) ([]row, error) {
	u := 0.2
	if e.quick {
		u = 0.1
	}
	unit := time.Duration(u * float64(time.Second))
	var py map[string]float64
	if err := e.python("delay", map[string]any{"unit": u}, &py); err != nil {
		return nil, err
	}
	log := &workloads.Logger{W: io.Discard}
	dm := func(name string, k int) func() {
		return func() { workloads.DelayMessageTo(log, name, time.Duration(k)*unit) }
	}
	threads := func(m threading.Model) float64 {
		return seconds(func() {
			m.Go("", dm("TWO", 2))
			m.Go("", dm("THREE", 3))
			m.JoinAll()
		})
	}
	coro := func(name string, k int, blocking bool) eventloop.Coro {
		return func(t *eventloop.Task) (any, error) {
			log.Log("%s received", name)
			if blocking {
				t.BlockingSleep(time.Duration(k) * unit)
			} else {
				t.Sleep(time.Duration(k) * unit)
			}
			log.Log("Printing %s", name)
			return nil, nil
		}
	}
	gather := func(blockThree bool) float64 {
		return seconds(func() {
			eventloop.Run(func(t *eventloop.Task) (any, error) {
				return t.Gather(coro("ONE", 1, false), coro("TWO", 2, false), coro("THREE", 3, blockThree),
					coro("FOUR", 4, false), coro("FIVE", 5, false))
			})
		})
	}
	model := map[string]float64{
		"sync":    seconds(func() { dm("TWO", 2)(); dm("THREE", 3)() }),
		"threads": threads(gil.New(gil.Options{})),
		"pool": seconds(func() {
			p := gil.New(gil.Options{}).NewPool(0)
			a, b := p.Submit(func() any { dm("TWO", 2)(); return nil }), p.Submit(func() any { dm("THREE", 3)(); return nil })
			a.Result()
			b.Result()
			p.Shutdown()
		}),
		"tasks": seconds(func() {
			eventloop.Run(func(t *eventloop.Task) (any, error) {
				a := t.CreateTask("", coro("TWO", 2, false))
				b := t.CreateTask("", coro("THREE", 3, false))
				t.Await(a)
				return t.Await(b)
			})
		}),
		"gather":  gather(false),
		"stalled": gather(true),
	}
	gor := threads(goroutines.New(goroutines.Options{}))
	names := []struct{ key, label string }{
		{"sync", "sync TWO(2u)+THREE(3u)"}, {"threads", "2 GIL threads"}, {"pool", "GIL thread pool"},
		{"tasks", "2 asyncio tasks"}, {"gather", "gather ONE..FIVE (1u..5u)"}, {"stalled", "gather, THREE blocks (stall)"},
	}
	var rows []row
	for _, n := range names {
		rows = append(rows, row{exp: "delay_message", metric: n.label, py: py[n.key], model: model[n.key], unit: "s",
			band: "±2 %", ok: within(model[n.key], py[n.key], 0.02)})
	}
	rows = append(rows, row{exp: "delay_message", metric: "2 goroutine threads", py: py["threads"], model: gor, unit: "s",
		band: "±2 %", ok: within(gor, py["threads"], 0.02),
		note: fmt.Sprintf("u = %g s (the article's seconds scaled down); CPython threads on the left", u)})
	rows[0].note = fmt.Sprintf("u = %g s: the article's delays (2 s, 3 s; 1..5 s) scaled by %g", u, u)
	return rows, nil
}

func httpIO(e *env) ([]row, error) {
	d := 0.25
	url := fmt.Sprintf("%s/delay/%g", e.url, d)
	var py map[string]float64
	if err := e.python("http", map[string]any{"url": url}, &py); err != nil {
		return nil, err
	}
	var ferr error
	fetch := func() {
		if _, err := workloads.Fetch(url); err != nil {
			ferr = err
		}
	}
	serial := seconds(func() {
		for range 4 {
			fetch()
		}
	})
	m := gil.New(gil.Options{})
	threads := seconds(func() {
		for range 4 {
			m.Go("", fetch)
		}
		m.JoinAll()
	})
	tasks := seconds(func() {
		_, err := eventloop.Run(func(t *eventloop.Task) (any, error) {
			get := func(t *eventloop.Task) (any, error) { return t.Get(url) }
			return t.Gather(get, get, get, get)
		})
		if err != nil {
			ferr = err
		}
	})
	if ferr != nil {
		return nil, ferr
	}
	rows := []row{
		{exp: "HTTP /delay x4", metric: "serial", py: py["serial"], model: serial, unit: "s", note: fmt.Sprintf("GET /delay/%g on the loopback server (httpbin.org/delay/1 in the article)", d)},
		{exp: "HTTP /delay x4", metric: "4 GIL threads", py: py["threads"], model: threads, unit: "s"},
		{exp: "HTTP /delay x4", metric: "4 asyncio tasks", py: py["tasks"], model: tasks, unit: "s"},
	}
	for i := range rows {
		rows[i].band, rows[i].ok = "±2 %", within(rows[i].model, rows[i].py, 0.02)
	}
	return rows, nil
}

func race(e *env) ([]row, error) {
	pause, n := 0.05, 300000
	var py map[string]float64
	if err := e.python("race", map[string]any{"pause": pause, "n": n}, &py); err != nil {
		return nil, err
	}
	p := time.Duration(pause * float64(time.Second))
	update := func(lock bool) float64 {
		g := gil.New(gil.Options{})
		var c workloads.Counter
		var l *threading.Lock
		if lock {
			l = g.NewLock()
		}
		pool := g.NewPool(2)
		for range 2 {
			pool.Submit(func() any {
				if l != nil {
					workloads.UpdateCounter(nil, &c, func() { rt.Sleep(p) }, l)
				} else {
					workloads.UpdateCounter(nil, &c, func() { rt.Sleep(p) }, nil)
				}
				return nil
			})
		}
		pool.Shutdown()
		return float64(c.Value())
	}
	var ac workloads.Counter
	eventloop.Run(func(t *eventloop.Task) (any, error) {
		up := func(t *eventloop.Task) (any, error) {
			v := ac.Read()
			t.Sleep(p)
			ac.Write(v + 1)
			return nil, nil
		}
		return t.Gather(up, up)
	})
	switches := map[bool]int{}
	lost := func(between bool) float64 {
		// as many increments as CPython makes in the same time, so the GIL
		// switches as often during them
		// (at least 100 ms: dozens of switch intervals)
		key := map[bool]string{false: "time_plain", true: "time_call"}[between]
		var scratch workloads.Counter
		target := max(100*time.Millisecond, time.Duration(py[key]*float64(time.Second)))
		n := workloads.Calibrate(target, func(n int) { workloads.Increment(&scratch, n, between) })
		g := gil.New(gil.Options{})
		var c workloads.Counter
		g.Go("", func() { workloads.Increment(&c, n, between) })
		g.Go("", func() { workloads.Increment(&c, n, between) })
		g.JoinAll()
		switches[between] = g.Stats().Switches
		return float64(2*n - c.Value())
	}

	rows := []row{
		{exp: "read-sleep-write", metric: "final value, 2 threads, no lock (pause between read and write)", py: py["threads"], model: update(false)},
		{exp: "read-sleep-write", metric: "final value, 2 threads, Lock", py: py["threads_lock"], model: update(true)},
		{exp: "read-sleep-write", metric: "final value, 2 asyncio tasks", py: py["tasks"], model: float64(ac.Value())},
	}
	for i := range rows {
		rows[i].band, rows[i].ok = "same", rows[i].py == rows[i].model
	}
	lp, lc := lost(false), lost(true)
	rows = append(rows,
		row{exp: "increments", metric: "lost, 2 threads: v=c; c=v+1", py: py["lost_plain"], model: lp,
			band: "both lose or neither", ok: (lp > 0) == (py["lost_plain"] > 0),
			note: fmt.Sprintf("CPython: 2x%d increments; Go: as many as it makes in the same time (at least 100 ms). No checkpoint between the read and the write (3.11 checks the eval breaker at back-edges and calls): nothing lost", n)},
		row{exp: "increments", metric: "lost, 2 threads: v=c; f(); c=v+1", py: py["lost_call"], model: lc,
			band: "both lose or neither", ok: (lc > 0) == (py["lost_call"] > 0),
			note: fmt.Sprintf("a call between the read and the write is a checkpoint: a switch there loses the other thread's whole time slice of updates (model: %d GIL switches)", switches[true])},
	)
	return rows, nil
}
