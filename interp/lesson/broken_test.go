package lesson

import (
	"testing"
	"time"

	"github.com/gokernel/gokernel/interp/gil"
	"github.com/gokernel/gokernel/interp/gil/threading"
	"github.com/gokernel/gokernel/interp/goroutines"
	"github.com/gokernel/gokernel/interp/timeline"
	"github.com/gokernel/gokernel/interp/workloads"
)

// The lessons' model facts must be able to fail: run them against models
// broken on purpose and see them turn red, and against the real ones and
// see them hold. Each run is about 0.4 s of CPU-bound work on two threads,
// judged on what the model recorded (never on the wall clock).

// twoCPUThreads runs two CPU-bound tasks of about d each on m.
func twoCPUThreads(m threading.Model, n int) threading.Report {
	m.Go("", func() { workloads.SumSquares(n) })
	m.Go("", func() { workloads.SumSquares(n) })
	m.JoinAll()
	return m.Report()
}

var sizeForTest int

func cpuSize(t *testing.T) int {
	t.Helper()
	if sizeForTest == 0 {
		sizeForTest = workloads.Calibrate(200*time.Millisecond, func(n int) { workloads.SumSquares(n) })
	}
	return sizeForTest
}

func states(cs []Check) map[string]State {
	m := map[string]State{}
	for _, c := range cs {
		m[c.Name] = c.State()
	}
	return m
}

func TestGILFactsOnBrokenModels(t *testing.T) {
	if testing.Short() {
		t.Skip("runs CPU-bound threads for a few seconds")
	}
	n := cpuSize(t)
	const (
		oneAtOnce = "under the GIL, never more than one thread ran at once"
		pace      = "the GIL changed hands about once per switch interval"
		forced    = "every drop request handed the GIL to the thread that asked"
	)
	tests := []struct {
		desc     string
		model    func() (threading.Model, time.Duration)
		fail     []string // facts that must fail
		mustHold []string // facts that must hold
	}{
		{"CPython's GIL", func() (threading.Model, time.Duration) { return gil.New(gil.Options{}), gil.DefaultSwitchInterval },
			nil, []string{oneAtOnce, pace, forced}},
		{"no GIL at all", func() (threading.Model, time.Duration) {
			return goroutines.New(goroutines.Options{}), gil.DefaultSwitchInterval
		}, []string{oneAtOnce, pace}, nil},
		{"a 50 ms interval where CPython's is 5 ms", func() (threading.Model, time.Duration) {
			return gil.New(gil.Options{SwitchInterval: 50 * time.Millisecond}), gil.DefaultSwitchInterval
		}, []string{pace}, []string{oneAtOnce}},
		{"no forced switching", func() (threading.Model, time.Duration) {
			return gil.New(gil.Options{NoForceSwitching: true}), gil.DefaultSwitchInterval
		}, []string{forced}, []string{oneAtOnce}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			m, iv := tt.model()
			rep := twoCPUThreads(m, n)
			cs := GILFacts(rep.Recorder, rep.Counters, iv)
			for _, c := range cs {
				t.Log(c.verdict())
			}
			st := states(cs)
			for _, name := range tt.fail {
				if st[name] != StateFails {
					t.Errorf("%q is %s on a broken model; want it to fail", name, st[name])
				}
			}
			for _, name := range tt.mustHold {
				if st[name] != StateHolds {
					t.Errorf("%q is %s; want it to hold", name, st[name])
				}
			}
		})
	}
}

func TestParallelFactsOnBrokenModels(t *testing.T) {
	if testing.Short() {
		t.Skip("runs CPU-bound threads")
	}
	n := cpuSize(t)
	rep := twoCPUThreads(goroutines.New(goroutines.Options{}), n)
	if c := ParallelFacts(rep.Recorder, 2)[0]; c.State() != StateHolds {
		t.Errorf("goroutines: %s", c.verdict())
	}
	// A "free-threaded" model that still serialises its threads.
	rep = twoCPUThreads(gil.New(gil.Options{}), n)
	if c := ParallelFacts(rep.Recorder, 2)[0]; c.State() != StateFails {
		t.Errorf("a GIL passed for no GIL: %s", c.verdict())
	}
}

func TestOverlapFacts(t *testing.T) {
	if testing.Short() {
		t.Skip("runs CPU-bound threads")
	}
	n := cpuSize(t)
	run := func(m threading.Model) Check {
		m.Go("", func() { workloads.SumSquares(n) })
		m.Go("", func() { m.Sleep(100 * time.Millisecond) })
		m.JoinAll()
		return OverlapFacts(m.Recorder(), "sleeping")[0]
	}
	if c := run(gil.New(gil.Options{})); c.State() != StateHolds {
		t.Errorf("GIL: %s", c.verdict())
	}
}

func TestOverlapFactsOnTimelines(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		desc  string
		spans []timeline.Span
		want  State
	}{
		{"the other thread ran through the wait", []timeline.Span{
			{Lane: "io", Kind: timeline.IO, Start: 0, End: 100 * ms},
			{Lane: "cpu", Kind: timeline.Running, Start: 0, End: 120 * ms}}, StateHolds},
		{"the CPU task ended before the download: the rest does not count", []timeline.Span{
			{Lane: "io", Kind: timeline.IO, Start: 0, End: 100 * ms},
			{Lane: "cpu", Kind: timeline.Running, Start: 0, End: 50 * ms}}, StateHolds},
		{"a model that kept the GIL through the wait", []timeline.Span{
			{Lane: "io", Kind: timeline.IO, Start: 0, End: 100 * ms},
			{Lane: "cpu", Kind: timeline.WaitingGIL, Start: 0, End: 100 * ms},
			{Lane: "cpu", Kind: timeline.Running, Start: 100 * ms, End: 200 * ms}}, StateFails},
	}
	for _, tt := range tests {
		rec := timeline.New()
		for _, s := range tt.spans {
			rec.Add(s)
		}
		if c := OverlapFacts(rec, timeline.IO)[0]; c.State() != tt.want {
			t.Errorf("%s: %s, want %s", tt.desc, c.verdict(), tt.want)
		}
	}
}
