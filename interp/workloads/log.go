package workloads

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gokernel/gokernel/interp/gil/threading"
	"github.com/gokernel/gokernel/interp/rt"
	"github.com/gokernel/gokernel/interp/timeline"
)

// A Logger writes lines the way the article's logging config does,
// "%(asctime)s:%(threadName)s:%(message)s" with the time as HH:MM:SS:
//
//	12:39:05:Thread-1:TWO received
//
// The thread name is the emulated thread's (threading.CurrentName), and
// "MainThread" elsewhere (the cell, event-loop tasks). Each write is a
// blocking call, as a write to a stream is in CPython, so an emulated GIL
// thread releases the GIL while it logs. It keeps every line for tests and
// lessons (Lines).
type Logger struct {
	W      io.Writer      // nil: os.Stdout
	Clock  timeline.Clock // nil: the wall clock
	Millis bool           // add milliseconds (12:39:05.123), to see sub-second steps
	// WriteDelay makes each write take this long (a slow stream: a busy
	// terminal, a disk, a pipe nobody drains quickly). The write is a
	// blocking call, so a GIL thread lets the others run meanwhile: with
	// a log line between a read and a write, that is where an update gets
	// lost. The wait is precise to tens of microseconds (threading.PreciseSleep).
	WriteDelay time.Duration
	// Cost is the CPU time each call spends under the GIL making and
	// formatting its line before writing it: seven eighths before taking
	// the handler's lock (finding the caller, making the LogRecord) and
	// the rest after (formatting), as measured in CPython 3.11: about
	// 6.5 µs from one call's release of the handler's lock to the next
	// call's acquire, under a microsecond while it is held. Go formats a
	// line in about a microsecond; CPython's logging.info takes about 8 µs
	// (LogRecordCost), which decides, in a race around a log line, whether
	// a thread woken meanwhile gets there first. 0: Go's own cost.
	Cost time.Duration

	mu    threading.Lock // the handler's lock: held while a line is written
	lines []string
}

// Std is the logger the package-level functions use.
var Std = &Logger{}

// Log writes one line with the calling thread's name.
func (l *Logger) Log(format string, args ...any) {
	var now time.Time
	if l.Clock != nil {
		now = l.Clock.Now()
	} else {
		now = time.Now()
	}
	stamp := now.Format("15:04:05")
	if l.Millis {
		stamp = now.Format("15:04:05.000")
	}
	line := stamp + ":" + threading.CurrentName() + ":" + fmt.Sprintf(format, args...)
	// As logging's handlers do: take the handler's lock (a threading lock:
	// a wait for it releases the GIL), write the line (a blocking call: it
	// releases the GIL too), then release the lock. A thread that wants to
	// log while another's slow write is in progress waits for it, which
	// orders log lines and decides how threads interleave around them.
	before := l.Cost * 7 / 8
	spin(before) // finding the caller, making the LogRecord
	l.mu.Acquire()
	spin(l.Cost - before) // formatting it, in the handler
	l.lines = append(l.lines, line)
	w := l.W
	if w == nil {
		w = os.Stdout
	}
	done := rt.Blocking()
	io.WriteString(w, line+"\n")
	if l.WriteDelay > 0 {
		threading.PreciseSleep(l.WriteDelay)
	}
	done()
	l.mu.Release()
}

// LogRecordCost is about what one logging.info call costs CPython 3.11
// before the write (measured on the development machine: 8.5 µs with the
// article's format), for Logger.Cost.
const LogRecordCost = 8 * time.Microsecond

// spin keeps the CPU busy for d, with checkpoints, as interpreted code does.
func spin(d time.Duration) {
	if d <= 0 {
		return
	}
	for end := time.Now().Add(d); time.Now().Before(end); {
		rt.Tick()
	}
}

// Lines returns the lines logged so far.
func (l *Logger) Lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// Messages returns the lines logged so far without their time stamps
// ("Thread-1:TWO received"), which do not change from run to run.
func (l *Logger) Messages() []string {
	out := l.Lines()
	k := len("15:04:05:")
	if l.Millis {
		k = len("15:04:05.000:")
	}
	for i, s := range out {
		if len(s) >= k {
			out[i] = s[k:]
		}
	}
	return out
}

// Log writes a line on the standard logger.
func Log(format string, args ...any) { Std.Log(format, args...) }

// DelayMessage is the article's delay_message: log that name was received,
// sleep d (a blocking sleep: it releases the GIL, and stalls an event loop if
// called from a task), then log that it is printing it.
func DelayMessage(name string, d time.Duration) { DelayMessageTo(Std, name, d) }

// DelayMessageTo is DelayMessage on logger l.
func DelayMessageTo(l *Logger, name string, d time.Duration) {
	l.Log("%s received", name)
	rt.Sleep(d)
	l.Log("Printing %s", name)
}

// A Counter is the shared "database" value of the read–sleep–write race.
// Read and Write are each atomic (so the race detector stays quiet under
// real parallelism) but a read followed by a write is not: an update is lost
// whenever another thread writes between them.
type Counter struct {
	v     atomic.Int64
	calls atomic.Int64 // work done by Increment's call
}

// Read returns the value.
func (c *Counter) Read() int { return int(c.v.Load()) }

// Write sets the value.
func (c *Counter) Write(v int) { c.v.Store(int64(v)) }

// Value is Read.
func (c *Counter) Value() int { return c.Read() }

// UpdateCounter reads c, calls pause, and writes the value read plus one,
// holding lock (if not nil) around all three, logging each step on l (nil:
// no log). With pause a sleep and no lock, two threads both read the old
// value and one update is lost; the lock (or a pause that never lets another
// thread run) prevents it.
func UpdateCounter(l *Logger, c *Counter, pause func(), lock sync.Locker) {
	logf := func(s string) {
		if l != nil {
			l.Log("%s", s)
		}
	}
	logf("Update Started")
	if lock != nil {
		lock.Lock()
		defer lock.Unlock()
	}
	logf("Reading Value From Db")
	v := c.Read()
	if pause != nil {
		logf("Sleeping")
		pause()
	}
	logf("Updating Value")
	c.Write(v + 1)
	logf("Update Finished")
}

// Update is the article's update(), in its order: log "Update Started",
// log "Sleeping", sleep d (a blocking sleep: the GIL is released), then,
// holding lock if it is not nil, log "Reading Value From Db", read c, log
// "Updating Value", write the value read plus one, and log "Update
// Finished". l nil logs nothing.
//
// The sleep comes before the read, so two threads that run it together do
// not lose an update by sleeping between read and write: one is lost only
// if the other thread runs between this one's read and write, which with
// the GIL means at a blocking call there — the "Updating Value" log line,
// when writing it is slow (Logger.WriteDelay). An event-loop task (an
// await between the read and the write) loses it the same way.
func Update(l *Logger, c *Counter, d time.Duration, lock sync.Locker) {
	logf := func(s string) {
		if l != nil {
			l.Log("%s", s)
		}
	}
	logf("Update Started")
	logf("Sleeping")
	threading.Sleep(d) // time.sleep's precision: see threading.Sleep
	if lock != nil {
		lock.Lock()
	}
	logf("Reading Value From Db")
	v := c.Read()
	logf("Updating Value")
	c.Write(v + 1)
	if lock != nil {
		lock.Unlock()
	}
	logf("Update Finished")
}

// Increment adds one to c n times as read, call, write: the call (a
// function entry, a checkpoint) is where the GIL may switch threads between
// the read and the write, as it may at a Python call in the middle of
// `x = counter; f(); counter = x + 1`. With between false the loop has no
// checkpoint inside the read-write pair, like `counter += 1` in 3.11, which
// only switches at the loop's back-edge. It returns how many increments it
// made.
//
// A drop request is honoured at the first checkpoint after it arrives, so
// where switches land depends on how the time is spread between
// checkpoints. The call does as much work as the write (one atomic
// read-modify-write, as the write is on amd64) so that, as in CPython, a
// good share of the switches land between the read and the write; without
// it nearly all would land at the back-edge, after the costlier write.
func Increment(c *Counter, n int, between bool) int {
	for i := 0; i < n; i++ {
		rt.Tick()
		v := c.Read()
		if between {
			c.calls.Add(1) // the call's own cost
			rt.Tick()      // its entry: a checkpoint
		}
		c.Write(v + 1)
	}
	return n
}
