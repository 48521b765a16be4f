package threading

import (
	"time"

	"github.com/gokernel/gokernel/interp/timeline"
)

// A Lane is one row of a timeline whose state changes over time: each Enter
// closes the span of the previous state and opens one for the new state.
// Only one goroutine may use a Lane at a time (the thread, task or loop it
// describes); the Recorder under it is safe for concurrent use.
type Lane struct {
	rec   *timeline.Recorder
	name  string
	kind  string
	label string
	since time.Duration
}

// NewLane returns a lane named name on rec (rec may be nil: nothing is
// recorded) and declares it, so lanes appear in order of creation.
func NewLane(rec *timeline.Recorder, name string) *Lane {
	rec.Lane(name)
	return &Lane{rec: rec, name: name}
}

// Name returns the lane's name.
func (l *Lane) Name() string { return l.name }

// Kind returns the state the lane is in ("" before the first Enter and after End).
func (l *Lane) Kind() string { return l.kind }

// Enter records that the lane is in state kind from now on. Entering the
// state it is already in (with the same label) changes nothing.
func (l *Lane) Enter(kind, label string) {
	if l == nil || (kind == l.kind && label == l.label) {
		return
	}
	var now time.Duration
	if l.rec != nil {
		now = l.rec.Since()
	}
	if l.kind != "" && l.rec != nil && now > l.since {
		l.rec.Add(timeline.Span{Lane: l.name, Kind: l.kind, Start: l.since, End: now, Label: l.label})
	}
	l.kind, l.label, l.since = kind, label, now
}

// End closes the current span.
func (l *Lane) End() { l.Enter("", "") }

// Mark records an instant event on the lane.
func (l *Lane) Mark(label string) {
	if l != nil {
		l.rec.Mark(l.name, label)
	}
}
