package subprocess

import (
	"errors"
	"fmt"
	"runtime"
	"sort"
	"time"

	"github.com/gokernel/gokernel/interp/rt"
	"github.com/gokernel/gokernel/interp/timeline"
)

// Functions every worker has, for Measure.
func init() {
	Register("subprocess.noop", func() {})
	Register("subprocess.len", func(xs []int) int { return len(xs) })
}

// A Stat summarises repeated timings of one thing.
type Stat struct {
	What   string        `display:"what"`
	N      int           `display:"runs"`
	Min    time.Duration `display:"min"`
	Median time.Duration `display:"median"`
	Max    time.Duration `display:"max"`
}

func statOf(what string, ds []time.Duration) Stat {
	if len(ds) == 0 {
		return Stat{What: what}
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return Stat{What: what, N: len(s), Min: s[0], Median: s[len(s)/2], Max: s[len(s)-1]}
}

// A Transfer is the time to send a payload to a worker (acknowledged, not
// echoed) and the throughput that makes.
type Transfer struct {
	Bytes int           `display:"bytes"`
	Time  time.Duration `display:"time (median)"`
	MBps  float64       `display:"MB/s"`
}

// Costs are what processes cost, measured by Measure.
type Costs struct {
	Startup   Stat // spawn to ready of a worker process
	RoundTrip Stat // an empty message to a worker and back
	Call      Stat // Apply of a function that does nothing: encoding, IPC, dispatch
	Ints      Stat // Apply with 100,000 ints as the argument (encoding, IPC, decoding)
	Goroutine Stat // for comparison: a channel round trip to a goroutine
	Transfers []Transfer
	Timeline  *timeline.Recorder
}

// MeasureOptions sets how much Measure does. The zero value is usable.
type MeasureOptions struct {
	Starts     int   // worker start-ups timed; 0: 5
	RoundTrips int   // messages timed; 0: 200
	Sizes      []int // payload sizes in bytes; nil: 1 KiB, 64 KiB, 1 MiB, 16 MiB
	Repeat     int   // sends per size; 0: 3
}

// Measure times process start-up and inter-process communication on this
// machine:
//
//	costs, err := subprocess.Measure()
//	display.Show(costs) // a table, then a chart
func Measure() (Costs, error) { return MeasureOpts(MeasureOptions{}) }

// MeasureOpts is Measure configured by o.
func MeasureOpts(o MeasureOptions) (Costs, error) {
	if o.Starts <= 0 {
		o.Starts = 5
	}
	if o.RoundTrips <= 0 {
		o.RoundTrips = 200
	}
	if o.Sizes == nil {
		o.Sizes = []int{1 << 10, 64 << 10, 1 << 20, 16 << 20}
	}
	if o.Repeat <= 0 {
		o.Repeat = 3
	}
	rec := timeline.New()
	rec.Title = "Measuring process costs"
	c := Costs{Timeline: rec}
	done := cellDone()

	var starts []time.Duration
	for i := range o.Starts {
		w, err := spawn(fmt.Sprintf("start-%d", i+1), rec)
		if err != nil {
			return c, err
		}
		select {
		case <-w.ready:
		case <-done:
			w.kill()
			panic(rt.Interrupted{})
		}
		if w.isDead() {
			<-w.dead
			return c, w.diedError("start-up")
		}
		starts = append(starts, w.startup)
		w.stop(time.Second)
	}
	c.Startup = statOf("process start-up (spawn → ready)", starts)

	w, err := spawn("worker", rec)
	if err != nil {
		return c, err
	}
	defer func() { w.kill(); <-w.dead }()
	<-w.ready
	interrupted := func() {
		select {
		case <-done:
			panic(rt.Interrupted{})
		default:
		}
	}
	var rts []time.Duration
	for range o.RoundTrips {
		interrupted()
		d, err := w.ping(nil, true)
		if err != nil {
			return c, err
		}
		rts = append(rts, d)
	}
	c.RoundTrip = statOf("message round trip (empty)", rts)

	noop, _ := resolve("subprocess.noop")
	var calls []time.Duration
	for range o.RoundTrips {
		interrupted()
		t0 := time.Now()
		r, err := w.call(noop, [][]value{{}}, false, "", "subprocess.noop", nil)
		if err != nil {
			return c, err
		}
		if r.Results[0].Err != "" {
			return c, errors.New(r.Results[0].Err)
		}
		calls = append(calls, time.Since(t0))
	}
	c.Call = statOf("call round trip (a no-op function)", calls)

	lenf, _ := resolve("subprocess.len")
	ints := make([]int, 100_000)
	for i := range ints {
		ints[i] = i * 7919
	}
	var its []time.Duration
	for range o.Repeat {
		interrupted()
		t0 := time.Now()
		args, err := lenf.encodeArgs([]any{ints})
		if err != nil {
			return c, err
		}
		if _, err := w.call(lenf, [][]value{args}, false, "", "subprocess.len", nil); err != nil {
			return c, err
		}
		its = append(its, time.Since(t0))
	}
	c.Ints = statOf("call with 100,000 ints as the argument", its)

	for _, size := range o.Sizes {
		data := make([]byte, size)
		var ds []time.Duration
		reps := o.Repeat
		if size <= 64<<10 {
			reps = max(reps, 20) // small sends are quick and noisy: take more
		}
		for range reps {
			interrupted()
			d, err := w.ping(data, false)
			if err != nil {
				return c, err
			}
			ds = append(ds, d)
		}
		st := statOf("", ds)
		c.Transfers = append(c.Transfers, Transfer{Bytes: size, Time: st.Median, MBps: float64(size) / st.Median.Seconds() / 1e6})
	}

	// The same round trip to a goroutine, for scale.
	req, rep := make(chan int), make(chan int)
	go func() {
		for x := range req {
			rep <- x
		}
	}()
	var gs []time.Duration
	for i := range o.RoundTrips {
		t0 := time.Now()
		req <- i
		<-rep
		gs = append(gs, time.Since(t0))
	}
	close(req)
	c.Goroutine = statOf("goroutine channel round trip (for scale)", gs)
	return c, nil
}

// ping sends data and waits for the worker's answer (the data back when
// echo is set, else its length).
func (w *worker) ping(data []byte, echo bool) (time.Duration, error) {
	id := taskIDs.Add(1)
	t0 := time.Now()
	start := w.rec.Since()
	if err := w.l.send(&msg{Op: opPing, ID: id, Data: data, Echo: echo}); err != nil {
		<-w.dead
		return 0, w.diedError("a ping")
	}
	select {
	case r := <-w.replies:
		if r.ID != id || r.N != len(data) {
			return 0, fmt.Errorf("subprocess: %s answered ping %d with %d (%d bytes)", w.name, id, r.ID, r.N)
		}
	case <-w.dead:
		return 0, w.diedError("a ping")
	}
	d := time.Since(t0)
	if len(data) > 0 {
		w.rec.Add(timeline.Span{Lane: w.name, Kind: timeline.Message, Start: start, End: start + d,
			Label: fmt.Sprintf("%d bytes", len(data))})
	}
	return d, nil
}

// A Speedup compares a CPU-bound function run Workers times one after
// another in this process with the same calls in Workers processes started
// together (start-up included), as the articles do with
// multiprocessing.Process.
type Speedup struct {
	Function string
	Workers  int
	Serial   time.Duration // Workers calls, one after another, in this process
	Parallel time.Duration // Workers processes started, run and joined
	Startup  time.Duration // median spawn → ready of those processes
	Speedup  float64       // Serial / Parallel
	// Ideal is the speedup with perfect parallelism minus the start-up:
	// Serial / (Serial/Workers + Startup).
	Ideal    float64
	Timeline *timeline.Recorder
}

// MeasureSpeedup runs fn(args...) Workers times serially in this process,
// then once in each of Workers new processes at the same time, and compares
// the wall times. fn must be a function value (or the name of a registered
// one) so it can also run here. The fidelity benchmark uses it for "two
// processes give close to 2× on 2 cores, minus their start-up".
func MeasureSpeedup(fn any, workers int, args ...any) (Speedup, error) {
	return MeasureSpeedupOpts(SpeedupOptions{Workers: workers}, fn, args...)
}

// SpeedupOptions configures MeasureSpeedupOpts.
type SpeedupOptions struct {
	Workers int // processes; 0: runtime.NumCPU()
	// Repeat runs the serial and the parallel measurement this many times,
	// alternately, and keeps the fastest of each (0: once), which filters
	// out the noise of a shared machine.
	Repeat int
}

// MeasureSpeedupOpts is MeasureSpeedup configured by o.
func MeasureSpeedupOpts(o SpeedupOptions, fn any, args ...any) (Speedup, error) {
	if o.Workers == 0 {
		o.Workers = runtime.NumCPU()
	}
	if o.Workers < 1 {
		return Speedup{}, fmt.Errorf("subprocess: MeasureSpeedup needs at least 1 worker, not %d", o.Workers)
	}
	o.Repeat = max(o.Repeat, 1)
	workers := o.Workers
	t, err := resolve(fn)
	if err != nil {
		return Speedup{}, err
	}
	if !t.fn.IsValid() {
		return Speedup{}, fmt.Errorf("subprocess: MeasureSpeedup needs the function %s itself, not its name, to run it here too", t.name)
	}
	enc, err := t.encodeArgs(args)
	if err != nil {
		return Speedup{}, err
	}
	s := Speedup{Function: t.name, Workers: workers}
	for rep := range o.Repeat {
		rec := timeline.New()
		rec.Title = fmt.Sprintf("%s: serial, then %d processes", t.name, workers)
		serial, err := runSerial(t, enc, workers, rec)
		if err != nil {
			return s, err
		}
		parallel, startup, err := runProcesses(fn, args, workers, rec)
		if err != nil {
			return s, err
		}
		if rep == 0 || serial < s.Serial {
			s.Serial = serial
		}
		if rep == 0 || parallel < s.Parallel {
			s.Parallel, s.Startup, s.Timeline = parallel, startup, rec
		}
	}
	s.Speedup = s.Serial.Seconds() / s.Parallel.Seconds()
	s.Ideal = s.Serial.Seconds() / (s.Serial.Seconds()/float64(workers) + s.Startup.Seconds())
	return s, nil
}

func runSerial(t target, enc []value, n int, rec *timeline.Recorder) (time.Duration, error) {
	done := cellDone()
	t0 := time.Now()
	for i := range n {
		select {
		case <-done:
			panic(rt.Interrupted{})
		default:
		}
		end := rec.BeginLabel("MainProcess", timeline.Running, fmt.Sprintf("%s, serial run %d", t.name, i+1))
		r := invoke(t.name, t.fn, enc, nil)
		end()
		if r.Err != "" {
			return 0, &TaskError{Func: t.name, Msg: r.Err, Panic: r.Panic}
		}
	}
	return time.Since(t0), nil
}

func runProcesses(fn any, args []any, n int, rec *timeline.Recorder) (wall, startup time.Duration, err error) {
	ps := make([]*Process, n)
	for i := range ps {
		ps[i] = NewProcess(fn, args...)
		ps[i].Timeline = rec
	}
	t0 := time.Now()
	for _, p := range ps {
		if err := p.Start(); err != nil {
			for _, q := range ps {
				q.Kill()
			}
			return 0, 0, err
		}
	}
	var starts []time.Duration
	for _, p := range ps {
		if e := p.Join(); e != nil && err == nil {
			err = e
		}
		starts = append(starts, p.Startup())
	}
	return time.Since(t0), statOf("", starts).Median, err
}
