// Package timeline records who ran when: spans of time on lanes (one lane
// per thread, process or task), which the concurrency models feed and which
// render as a Gantt chart.
//
//	rec := timeline.New()
//	end := rec.Begin("Thread-1", timeline.Running)
//	work()
//	end()
//	display.Show(rec) // the timeline chart
//
// A Recorder is safe for concurrent use. Times are kept relative to the
// recorder's start, read from a Clock that tests can replace.
package timeline

import (
	"fmt"
	"sort"
	"sync"
	"time"
)

// Kinds of span. Models may use others; these have fixed colours.
const (
	Running    = "running"         // executing (holding the GIL, on a CPU)
	WaitingGIL = "waiting for GIL" // runnable but not holding the GIL
	Sleeping   = "sleeping"        // in a sleep
	IO         = "I/O"             // waiting on the network or a file
	Blocked    = "blocked"         // waiting on a lock, event, queue, join
	Starting   = "starting"        // a process starting up
	Idle       = "idle"            // an event loop with nothing ready
	Message    = "message"         // moving data between processes (pickling, pipes)
	// Awaiting is an event-loop task suspended in an await on another task:
	// it gives the loop to the others, unlike a stalled loop (Blocked).
	Awaiting = "awaiting task"
	// AwaitingGather is a task suspended in gather, waiting for its tasks.
	AwaitingGather = "awaiting gather"
)

// A Clock tells the time. Tests replace it to get deterministic timelines.
type Clock interface{ Now() time.Time }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// RealClock is the wall clock.
var RealClock Clock = realClock{}

// A Span is one stretch of time on a lane.
type Span struct {
	Lane  string        `json:"lane"`
	Kind  string        `json:"kind"`
	Start time.Duration `json:"start"` // since the recorder's origin
	End   time.Duration `json:"end"`
	Label string        `json:"label,omitempty"` // shown in the tooltip
}

// Duration returns End - Start.
func (s Span) Duration() time.Duration { return s.End - s.Start }

// An Event is an instant on a lane (a GIL drop request, a process exit).
type Event struct {
	Lane  string        `json:"lane"`
	At    time.Duration `json:"at"`
	Label string        `json:"label"`
}

// A Recorder collects spans and events.
type Recorder struct {
	Title string // chart title; may be empty

	clock  Clock
	origin time.Time
	floor  time.Duration // since origin: the last Reset; times are reported from it

	mu     sync.Mutex
	spans  []Span
	events []Event
	lanes  []string // in order of first appearance
	seen   map[string]bool
}

// New returns a recorder on the real clock, starting now.
func New() *Recorder { return NewWithClock(RealClock) }

// NewWithClock returns a recorder reading c, starting at c.Now().
func NewWithClock(c Clock) *Recorder {
	return &Recorder{clock: c, origin: c.Now(), seen: map[string]bool{}}
}

// Clock returns the recorder's clock.
func (r *Recorder) Clock() Clock { return r.clock }

// Since returns the time elapsed since the recorder's origin.
func (r *Recorder) Since() time.Duration { return r.clock.Now().Sub(r.origin) }

// Lane declares a lane so that it appears in order even before its first span.
func (r *Recorder) Lane(name string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lane(name)
}

func (r *Recorder) lane(name string) {
	if !r.seen[name] {
		r.seen[name] = true
		r.lanes = append(r.lanes, name)
	}
}

// Begin starts a span of kind on lane now and returns the function that ends
// it. A nil Recorder records nothing, so models can take an optional one.
func (r *Recorder) Begin(lane, kind string) (end func()) {
	return r.BeginLabel(lane, kind, "")
}

// BeginLabel is Begin with a tooltip label.
func (r *Recorder) BeginLabel(lane, kind, label string) (end func()) {
	if r == nil {
		return func() {}
	}
	start := r.Since()
	return func() { r.Add(Span{Lane: lane, Kind: kind, Start: start, End: r.Since(), Label: label}) }
}

// Reset forgets every span and event and restarts the clock, keeping the
// title: what follows is drawn alone. The models call it when a new run
// begins (an event loop's Run, the first thread started after JoinAll),
// so that a timeline shows one run and not a warm-up piled under it. A
// span that was open across the reset keeps only its part after it.
func (r *Recorder) Reset() {
	if r == nil {
		return
	}
	now := r.Since()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.floor = now
	r.spans, r.events, r.lanes = nil, nil, nil
	r.seen = map[string]bool{}
}

// Add records a finished span.
func (r *Recorder) Add(s Span) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if s.End <= r.floor && s.Start < r.floor {
		return // wholly before the last Reset
	}
	s.Start = max(s.Start, r.floor)
	r.lane(s.Lane)
	r.spans = append(r.spans, s)
}

// Mark records an instant event on lane now.
func (r *Recorder) Mark(lane, label string) {
	if r == nil {
		return
	}
	at := r.Since()
	r.mu.Lock()
	defer r.mu.Unlock()
	if at < r.floor {
		return
	}
	r.lane(lane)
	r.events = append(r.events, Event{Lane: lane, At: at, Label: label})
}

// Spans returns the spans recorded so far (since the last Reset, timed
// from it), ordered by start time.
func (r *Recorder) Spans() []Span {
	r.mu.Lock()
	s := append([]Span(nil), r.spans...)
	floor := r.floor
	r.mu.Unlock()
	for i := range s {
		s[i].Start -= floor
		s[i].End -= floor
	}
	sort.SliceStable(s, func(i, j int) bool { return s[i].Start < s[j].Start })
	return s
}

// Events returns the events recorded so far, ordered by time.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	e := append([]Event(nil), r.events...)
	floor := r.floor
	r.mu.Unlock()
	for i := range e {
		e[i].At -= floor
	}
	sort.SliceStable(e, func(i, j int) bool { return e[i].At < e[j].At })
	return e
}

// Lanes returns the lane names in order of first appearance.
func (r *Recorder) Lanes() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lanes...)
}

// Total returns, per lane, the time spent in each kind of span.
func (r *Recorder) Total() map[string]map[string]time.Duration {
	t := map[string]map[string]time.Duration{}
	for _, s := range r.Spans() {
		if t[s.Lane] == nil {
			t[s.Lane] = map[string]time.Duration{}
		}
		t[s.Lane][s.Kind] += s.Duration()
	}
	return t
}

// String summarises the recording: title, lanes, spans, events and span.
func (r *Recorder) String() string {
	if r == nil {
		return "<nil>" // as fmt prints any nil pointer
	}
	spans, events, lanes := r.Spans(), r.Events(), r.Lanes()
	var end time.Duration
	for _, s := range spans {
		end = max(end, s.End)
	}
	title := r.Title
	if title == "" {
		title = "timeline"
	}
	return fmt.Sprintf("%s: %d lanes, %d spans, %d events over %v", title, len(lanes), len(spans), len(events), end.Round(time.Microsecond))
}
