package display

import (
	"fmt"
	"html"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gokernel/gokernel/interp/timeline"
	"github.com/gokernel/gokernel/kernel/mime"
)

// A Progress is a progress bar shown in the cell and updated in place
// (display_data with a display id, then update_display_data). Updates are
// throttled to at most one per Interval, so a loop of a million steps sends
// a few dozen messages; Done always sends the final state, so a saved
// notebook shows "label: done 100/100 in 3.20 s" rather than a bar stuck
// half way. Its methods are safe for concurrent use (workers may call Add).
type Progress struct {
	label    string
	total    int
	id       string
	out      mime.Publisher
	clock    timeline.Clock
	interval time.Duration

	mu      sync.Mutex
	n       int
	start   time.Time
	last    time.Time // when the last update was sent
	sent    int       // updates sent, the first display included
	done    bool
	pending bool // a change not yet sent
}

// ProgressOptions configures NewProgressOpts. The zero value is usable.
type ProgressOptions struct {
	Clock     timeline.Clock // nil: the wall clock
	Interval  time.Duration  // least time between updates; 0: 100 ms
	Publisher mime.Publisher // nil: Current() when the bar is made
	ID        string         // display id; "": a fresh one
}

var progressSeq atomic.Int64

// NewProgress shows a progress bar for total steps (0 or less: a count with
// no bar) under label.
func NewProgress(total int, label string) *Progress {
	return NewProgressOpts(total, label, ProgressOptions{})
}

// NewProgressOpts is NewProgress with options.
func NewProgressOpts(total int, label string, o ProgressOptions) *Progress {
	p := &Progress{label: label, total: total, id: o.ID, out: o.Publisher, clock: o.Clock, interval: o.Interval}
	if p.out == nil {
		// Captured now, so updates from other goroutines still reach the
		// cell that made the bar.
		p.out = Current()
	}
	if p.clock == nil {
		p.clock = timeline.RealClock
	}
	if p.interval <= 0 {
		p.interval = 100 * time.Millisecond
	}
	if p.id == "" {
		p.id = fmt.Sprintf("gokernel-progress-%d-%d", time.Now().UnixNano(), progressSeq.Add(1))
	}
	p.start = p.clock.Now()
	p.last = p.start
	p.sent = 1
	p.out.Display(p.bundleLocked(p.start), p.id)
	return p
}

// ID returns the bar's display id.
func (p *Progress) ID() string { return p.id }

// Add advances the bar by n steps.
func (p *Progress) Add(n int) {
	p.mu.Lock()
	p.n += n
	p.changedLocked()
}

// Set moves the bar to step n.
func (p *Progress) Set(n int) {
	p.mu.Lock()
	p.n = n
	p.changedLocked()
}

// changedLocked sends an update if the last one is old enough; it unlocks
// p.mu before publishing, so a slow frontend does not hold up workers.
func (p *Progress) changedLocked() {
	if p.done {
		p.mu.Unlock()
		return
	}
	now := p.clock.Now()
	if now.Sub(p.last) < p.interval {
		p.pending = true
		p.mu.Unlock()
		return
	}
	p.last, p.pending = now, false
	p.sent++
	b := p.bundleLocked(now)
	p.mu.Unlock()
	p.out.Update(b, p.id)
}

// Done sends the final state: "label: done n/total in 3.2 s". Later calls
// of any method change nothing.
func (p *Progress) Done() {
	p.mu.Lock()
	if p.done {
		p.mu.Unlock()
		return
	}
	p.done = true
	p.pending = false
	now := p.clock.Now()
	p.last = now
	p.sent++
	b := p.bundleLocked(now)
	p.mu.Unlock()
	p.out.Update(b, p.id)
}

// Updates returns how many outputs the bar has sent, its first display
// included.
func (p *Progress) Updates() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sent
}

// Bundle implements mime.Bundler: the bar's current state.
func (p *Progress) Bundle() mime.Bundle {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bundleLocked(p.clock.Now())
}

func (p *Progress) bundleLocked(now time.Time) mime.Bundle {
	elapsed := now.Sub(p.start)
	frac := -1.0
	if p.total > 0 {
		frac = min(1, max(0, float64(p.n)/float64(p.total)))
	}
	label := p.label
	if label == "" {
		label = "progress"
	}
	var status string
	switch {
	case p.done && p.total > 0:
		status = fmt.Sprintf("done %d/%d in %s", p.n, p.total, Duration(elapsed))
	case p.done:
		status = fmt.Sprintf("done %d in %s", p.n, Duration(elapsed))
	case p.total > 0:
		status = fmt.Sprintf("%d/%d (%d%%), %s", p.n, p.total, int(frac*100), Duration(elapsed))
		if p.n > 0 && p.n < p.total {
			left := time.Duration(float64(elapsed) / float64(p.n) * float64(p.total-p.n))
			status += ", about " + Duration(left) + " left"
		}
	default:
		status = fmt.Sprintf("%d, %s", p.n, Duration(elapsed))
	}
	text := label + ": " + status
	if frac >= 0 {
		const w = 30
		fill := int(frac*w + 0.5)
		text = fmt.Sprintf("%s [%s%s] %s", label, strings.Repeat("█", fill), strings.Repeat("·", w-fill), status)
		if p.done {
			text = label + ": " + status
		}
	}
	colour := "#4e79a7"
	if p.done {
		colour = "#59a14f"
	}
	var h strings.Builder
	h.WriteString(`<div style="font-family:monospace;font-size:12px;line-height:1.6">`)
	fmt.Fprintf(&h, `<span style="display:inline-block;min-width:12em">%s</span> `, html.EscapeString(label))
	if frac >= 0 {
		// A <progress> element would be simpler, but JupyterLab's sanitizer
		// drops it in untrusted notebooks; nested divs survive.
		fmt.Fprintf(&h, `<span style="display:inline-block;vertical-align:middle;width:240px;height:10px;background:#e6e6e6;border-radius:2px"><span style="display:block;width:%.1f%%;height:10px;background:%s;border-radius:2px"></span></span> `, frac*100, colour)
	}
	fmt.Fprintf(&h, `<span>%s</span></div>`, html.EscapeString(status))
	return mime.Bundle{Data: map[string]any{mime.Text: text, mime.HTML: h.String()}}
}
