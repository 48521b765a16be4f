package workloads

import "fmt"

// String is the server's URL and what it serves.
func (s *Server) String() string {
	return fmt.Sprintf("loopback HTTP server at %s (/, /delay/{s}, /bytes/{n})", s.URL)
}

// String summarises the logger: how many lines it has kept and its delays.
func (l *Logger) String() string {
	l.mu.Lock()
	n := len(l.lines)
	l.mu.Unlock()
	s := fmt.Sprintf("logger: %d lines", n)
	if l.WriteDelay > 0 {
		s += fmt.Sprintf(", each write takes %v", l.WriteDelay)
	}
	if l.Cost > 0 {
		s += fmt.Sprintf(", each call costs %v", l.Cost)
	}
	return s
}

// String is the counter's value.
func (c *Counter) String() string { return fmt.Sprintf("counter = %d", c.Value()) }
