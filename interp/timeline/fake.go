package timeline

import (
	"sync"
	"time"
)

// A FakeClock is a Clock for tests and examples: it stands still until
// Advance is called, and moves by Step on each Now when Step is set. Its zero
// value starts at a fixed instant, so figures derived from it are the same on
// every run. It is safe for concurrent use.
type FakeClock struct {
	Step time.Duration // added after each Now; 0: the clock moves only by Advance

	mu sync.Mutex
	t  time.Time
}

// fakeEpoch is where a zero FakeClock starts; any fixed instant would do.
var fakeEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Now implements Clock.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		c.t = fakeEpoch
	}
	t := c.t
	c.t = c.t.Add(c.Step)
	return t
}

// Advance moves the clock forward by d.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		c.t = fakeEpoch
	}
	c.t = c.t.Add(d)
}
