package threading

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gokernel/gokernel/interp/display"
	"github.com/gokernel/gokernel/interp/timeline"
	"github.com/gokernel/gokernel/kernel/mime"
)

// A Report is what a run under a model looked like: per lane (thread, task,
// loop) the time spent in each state, the model's counters (GIL switches,
// drop requests, ...) and the timeline. It displays as the timeline chart
// with the table as its text; Table, Chart and Timeline give each part, and
// Show displays the table and the timeline.
type Report struct {
	Model    string
	Wall     time.Duration  // from the first span's start to the last span's end
	Lanes    []LaneTotals   // in lane order
	Counters map[string]int // model counters, e.g. "GIL switches"
	Recorder *timeline.Recorder
}

// LaneTotals is the time one lane spent in each state.
type LaneTotals struct {
	Lane       string
	Running    time.Duration
	WaitingGIL time.Duration `display:"waiting for GIL"`
	Sleeping   time.Duration
	IO         time.Duration `display:"I/O"`
	Blocked    time.Duration
	Awaiting   time.Duration // an event-loop task in await or gather (the loop runs others)
	Idle       time.Duration
}

// Counterer is implemented by schedulers that count events for reports.
type Counterer interface{ Counters() map[string]int }

// Report summarises the runtime's timeline so far.
func (r *Runtime) Report() Report {
	var c map[string]int
	if cs, ok := r.sched.(Counterer); ok {
		c = cs.Counters()
	}
	return NewReport(r.name, r.rec, c)
}

// NewReport builds a report from a recorder (the event loop uses it too).
func NewReport(model string, rec *timeline.Recorder, counters map[string]int) Report {
	rep := Report{Model: model, Recorder: rec, Counters: counters}
	if rec == nil {
		return rep
	}
	spans := rec.Spans()
	if len(spans) > 0 {
		first, last := spans[0].Start, spans[0].End
		for _, sp := range spans {
			first, last = min(first, sp.Start), max(last, sp.End)
		}
		rep.Wall = last - first
	}
	tot := rec.Total()
	for _, lane := range rec.Lanes() {
		k := tot[lane]
		rep.Lanes = append(rep.Lanes, LaneTotals{
			Lane: lane, Running: k[timeline.Running], WaitingGIL: k[timeline.WaitingGIL],
			Sleeping: k[timeline.Sleeping], IO: k[timeline.IO], Blocked: k[timeline.Blocked],
			Awaiting: k[timeline.Awaiting] + k[timeline.AwaitingGather], Idle: k[timeline.Idle],
		})
	}
	return rep
}

// Lane returns the totals of the named lane (zero if absent).
func (rep Report) Lane(name string) LaneTotals {
	for _, l := range rep.Lanes {
		if l.Lane == name {
			return l
		}
	}
	return LaneTotals{}
}

// Table returns the per-lane totals as a table.
func (rep Report) Table() display.Table {
	awaiting := false // a column only for event loops that await
	for _, l := range rep.Lanes {
		awaiting = awaiting || l.Awaiting > 0
	}
	cols := []string{"lane", "running", "waiting for GIL", "sleeping", "I/O", "blocked", "idle"}
	if awaiting {
		cols = append(cols, "awaiting")
	}
	t := display.NewTable(fmt.Sprintf("%s: %s wall", rep.Model, display.Duration(rep.Wall)), cols...)
	for _, l := range rep.Lanes {
		row := []any{l.Lane, l.Running, l.WaitingGIL, l.Sleeping, l.IO, l.Blocked, l.Idle}
		if awaiting {
			row = append(row, l.Awaiting)
		}
		t.AddRow(row...)
	}
	for _, k := range rep.counterNames() {
		t.AddRow(k, rep.Counters[k])
	}
	return *t
}

func (rep Report) counterNames() []string {
	ks := make([]string, 0, len(rep.Counters))
	for k := range rep.Counters {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Chart returns a grouped bar chart: per lane, seconds in each state.
func (rep Report) Chart() display.Chart {
	kinds := []string{timeline.Running, timeline.WaitingGIL, timeline.Sleeping, timeline.IO, timeline.Blocked, timeline.Idle, timeline.Awaiting}
	var groups []string
	vals := make([][]float64, len(kinds))
	for _, l := range rep.Lanes {
		groups = append(groups, l.Lane)
		for i, d := range []time.Duration{l.Running, l.WaitingGIL, l.Sleeping, l.IO, l.Blocked, l.Idle, l.Awaiting} {
			vals[i] = append(vals[i], d.Seconds())
		}
	}
	var series []display.Series
	for i, k := range kinds {
		nonzero := false
		for _, v := range vals[i] {
			nonzero = nonzero || v > 0
		}
		if nonzero {
			series = append(series, display.Series{Name: k, Values: vals[i]})
		}
	}
	return display.GroupedBar(rep.Model+": time per state", groups, series, "s")
}

// Timeline returns the Gantt chart of who ran when.
func (rep Report) Timeline() display.Chart {
	c := display.Timeline(rep.Recorder)
	if c.Title == "" {
		c.Title = rep.Model
	}
	return c
}

// String returns the table as text.
func (rep Report) String() string {
	return strings.TrimRight(rep.Table().String(), "\n")
}

// Bundle implements mime.Bundler: the timeline chart, with the table as
// its text/plain.
func (rep Report) Bundle() mime.Bundle {
	b := rep.Timeline().Bundle()
	data := map[string]any{}
	for k, v := range b.Data {
		data[k] = v
	}
	data[mime.Text] = rep.String()
	return mime.Bundle{Data: data, Metadata: b.Metadata}
}

// Show displays the table and the timeline as two outputs.
func (rep Report) Show() {
	display.Show(rep.Table())
	display.Show(rep.Timeline())
}
