package threading

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// The String methods make the values cells hold print as summaries, not
// as raw memory, when one is a cell's last value or printed.

// String summarises the runtime: its name, threads (alive of started) and
// what its report holds so far.
func (r *Runtime) String() string {
	r.mu.Lock()
	started := append([]*Thread(nil), r.started...)
	npools := len(r.pools)
	r.mu.Unlock()
	alive := 0
	for _, t := range started {
		if t.Alive() {
			alive++
		}
	}
	s := fmt.Sprintf("%s: %d threads started, %d alive, %d pools", r.name, len(started), alive, npools)
	return s + reportSummary(r.Report())
}

func reportSummary(rep Report) string {
	var b strings.Builder
	if rep.Wall > 0 {
		fmt.Fprintf(&b, ", last run %v", rep.Wall.Round(time.Microsecond))
	}
	names := make([]string, 0, len(rep.Counters))
	for k := range rep.Counters {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(&b, ", %s %d", k, rep.Counters[k])
	}
	return b.String()
}

// String describes the pool, e.g. "ThreadPoolExecutor-0: 2 of 5 workers, 1 idle".
func (p *Pool) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := fmt.Sprintf("%s: %d of %d workers, %d idle", p.name, len(p.workers), p.max, p.idle)
	if p.shutdown {
		s += ", shut down"
	}
	return s
}

// String describes the future as Python does: "<Future state=pending>",
// "<Future state=finished returned int>", "<Future state=finished raised ...>".
func (f *Future) String() string {
	select {
	case <-f.done:
	default:
		return "<Future state=pending>"
	}
	if f.err != nil {
		return fmt.Sprintf("<Future state=finished raised %v>", f.err)
	}
	return fmt.Sprintf("<Future state=finished returned %T>", f.val)
}

// String describes the event: "<Event set>" or "<Event unset>".
func (e *Event) String() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.set {
		return "<Event set>"
	}
	return "<Event unset>"
}

// String describes the queue: its length and bound.
func (q *Queue) String() string {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.max > 0 {
		return fmt.Sprintf("<Queue %d items, maxsize %d>", len(q.items), q.max)
	}
	return fmt.Sprintf("<Queue %d items>", len(q.items))
}

// String describes the lane: its name and current state.
func (l *Lane) String() string {
	if l.kind == "" {
		return l.name
	}
	return l.name + " (" + l.kind + ")"
}
