package eventloop

import (
	"fmt"
	"sort"
	"strings"
)

// String summarises the loop for a cell that prints it: whether it is
// running, its pending tasks, and its counters.
func (l *Loop) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	state := "idle"
	if l.running {
		state = "running"
	}
	s := fmt.Sprintf("event loop (%s): %d runs, %d tasks made, %d pending", state, l.runs, l.ntasks, len(l.tasks))
	keys := make([]string, 0, len(l.stats))
	for k := range l.stats {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, ", %s %d", k, l.stats[k])
	}
	return s + b.String()
}
