package interp

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/mime"
)

// runCells runs cells in a fresh session and returns each one's
// transcript (see transcript in cells_test.go). A cell that does not end
// within a minute fails the test (a hang guard, not a timing).
func runCells(t *testing.T, cells ...string) []string {
	t.Helper()
	s, err := NewSession(Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range cells {
		rec := &mime.Recorder{}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		b, err := s.Execute(ctx, c, rec)
		cancel()
		out = append(out, transcript(rec, b, err))
	}
	return out
}

// Two GIL threads hand values over a plain Go channel: each send and
// receive releases the GIL while it waits (as CPython's blocking calls
// do), so neither holds it while waiting for the other, and the timeline
// shows them blocked, not running.
func TestGILThreadsHandOverAChannel(t *testing.T) {
	got := runCells(t, `
import "github.com/gokernel/gokernel/interp/gil"
g := gil.New(gil.Options{})
ch := make(chan int)
sum := 0
g.Go("producer", func() {
	for i := 1; i <= 200; i++ {
		ch <- i
	}
	close(ch)
})
g.Go("consumer", func() {
	for v := range ch {
		sum += v
	}
})
g.JoinAll()
r := g.Report()
fmt.Println(sum, r.Lane("producer").Blocked > 0 || r.Lane("consumer").Blocked > 0)`)
	if got[0] != "20100 true" {
		t.Fatalf("got %q, want the sum 20100 and blocked time on a lane", got[0])
	}
}

// A sync.Mutex held by one GIL thread does not stop the other from
// running: the waiting thread releases the GIL.
func TestGILThreadsShareAMutex(t *testing.T) {
	got := runCells(t, `
import ("sync"; "github.com/gokernel/gokernel/interp/gil")
g := gil.New(gil.Options{})
var mu sync.Mutex
n := 0
for k := 0; k < 2; k++ {
	g.Go("", func() {
		for i := 0; i < 300; i++ {
			mu.Lock()
			n++
			mu.Unlock()
		}
	})
}
g.JoinAll()
n`)
	if got[0] != "=> 600" {
		t.Fatalf("got %q, want => 600", got[0])
	}
}

// goleak lists the goroutines cells left running and stops them.
func TestGoleakListAndStop(t *testing.T) {
	got := runCells(t,
		"ch := make(chan int)\ngo func() { <-ch }()\ngo func() { for { } }()",
		`fmt.Println(goleak.Count())
t := goleak.List()
fmt.Println(t[0].Origin, t[0].Blocked, t[1].Origin, t[1].State)`,
		`n := goleak.StopAll()
time.Sleep(100 * time.Millisecond)
fmt.Println(n, goleak.Count())`)
	if !strings.Contains(got[0], "2 goroutines started by this cell are still running (In[1] line 2, In[1] line 3, 1 blocked)") {
		t.Errorf("leak note: got %q", got[0])
	}
	if got[1] != "2\nIn[1] line 2 true In[1] line 3 running" {
		t.Errorf("list: got %q", got[1])
	}
	if got[2] != "2 0" {
		t.Errorf("StopAll: got %q, want 2 stopped and none left", got[2])
	}
}

// The call-depth limit can be changed from a cell.
func TestSetMaxDepth(t *testing.T) {
	got := runCells(t,
		"func depth(n int) int { if n == 0 { return 0 }; return depth(n-1) + 1 }",
		"old := goleak.SetMaxDepth(5000)\ndepth(3000)",
		"goleak.SetMaxDepth(old)\ndepth(3000)")
	if got[1] != "=> 3000" {
		t.Errorf("depth 3000 under a 5000 limit: got %q", got[1])
	}
	if !strings.HasPrefix(got[2], "!! RecursionError: maximum call depth exceeded") {
		t.Errorf("depth 3000 under the default limit: got %q", firstLine(got[2]))
	}
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

// A blocked Accept and a blocked Read end with the interrupt; the listener
// and the connection are still usable after it.
func TestInterruptNet(t *testing.T) {
	s, err := NewSession(Options{})
	if err != nil {
		t.Fatal(err)
	}
	run := func(code string, interrupt bool) string {
		rec := &mime.Recorder{}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if interrupt {
			time.AfterFunc(200*time.Millisecond, cancel)
		}
		b, err := s.Execute(ctx, code, rec)
		return transcript(rec, b, err)
	}
	if got := run(`import "net"
ln, err := net.Listen("tcp", "127.0.0.1:0")
fmt.Println(err)`, false); got != "<nil>" {
		t.Fatal(got)
	}
	if got := run("c, _ := ln.Accept()", true); !strings.HasPrefix(got, "!! Interrupted") {
		t.Errorf("Accept: got %q", got)
	}
	if got := run(`go func() { c, _ := ln.Accept(); c.Write([]byte("hi\n")) }()
conn, err := net.Dial("tcp", ln.Addr().String())
buf := make([]byte, 3)
n, _ := conn.Read(buf)
fmt.Println(err, string(buf[:n]))`, false); got != "<nil> hi\n" && got != "<nil> hi" {
		t.Errorf("after the interrupt: got %q", got)
	}
	if got := run("n2, _ := conn.Read(buf)", true); !strings.HasPrefix(got, "!! Interrupted") {
		t.Errorf("Read: got %q", got)
	}
}

// The goroutines an interrupted cell started stop with it, blocked or not.
func TestInterruptStopsTheCellsGoroutines(t *testing.T) {
	s, err := NewSession(Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := &mime.Recorder{}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	_, err = s.Execute(ctx, `ch := make(chan int)
var mu sync.Mutex
mu.Lock()
for i := 0; i < 3; i++ {
	go func() { ch <- i }()
	go func() { mu.Lock() }()
	go func() { for { } }()
}
select {}`, rec)
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("got %v, want an interrupt", err)
	}
	got := runIn(t, s, "time.Sleep(200 * time.Millisecond)\ngoleak.Count()")
	if got != "=> 0" {
		t.Fatalf("goroutines left after the interrupt: %s", got)
	}
}

func runIn(t *testing.T, s *Session, code string) string {
	t.Helper()
	rec := &mime.Recorder{}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := s.Execute(ctx, code, rec)
	return transcript(rec, b, err)
}

// A command a cell runs, waited for or read from, ends with the interrupt,
// its process group killed; a command that finishes is untouched.
func TestInterruptCommand(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	s, err := NewSession(Options{})
	if err != nil {
		t.Fatal(err)
	}
	run := func(code string, interrupt bool) (string, time.Duration) {
		rec := &mime.Recorder{}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if interrupt {
			time.AfterFunc(200*time.Millisecond, cancel)
		}
		t0 := time.Now()
		b, err := s.Execute(ctx, code, rec)
		return transcript(rec, b, err), time.Since(t0)
	}
	if got, _ := run("import \"os/exec\"\nout, err := exec.Command(\"sh\", \"-c\", \"echo hi\").Output()\nfmt.Print(string(out), err)", false); got != "hi\n<nil>" {
		t.Fatalf("a command that finishes: got %q", got)
	}
	for _, code := range []string{
		`exec.Command("sleep", "300").Run()`,
		`out, _ := exec.Command("sh", "-c", "sleep 300; echo late").Output()`,
		"cmd := exec.Command(\"sh\", \"-c\", \"sleep 300\")\np, _ := cmd.StdoutPipe()\ncmd.Start()\nb := make([]byte, 1)\np.Read(b)",
	} {
		got, took := run(code, true)
		if !strings.Contains(got, "!! Interrupted") || took > 30*time.Second {
			t.Errorf("%s: got %q after %v", code, got, took)
		}
	}
}

// A read or write blocked on an os.Pipe the cell made ends with the
// interrupt (in the cell's own goroutine and in one it started), and the
// pipe stays usable.
func TestInterruptPipe(t *testing.T) {
	s, err := NewSession(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := runIn(t, s, "r, w, err := os.Pipe()\nb := make([]byte, 1)\nfmt.Println(err)"); got != "<nil>" {
		t.Fatalf("os.Pipe: %q", got)
	}
	for _, code := range []string{
		"r.Read(b)",
		"n, err := r.Read(b)\nfmt.Println(n, err)",
		"done := make(chan bool)\ngo func() { r.Read(b); done <- true }()\n<-done",
		// A full pipe blocks the writer.
		"big := make([]byte, 1<<20)\nw.Write(big)",
	} {
		rec := &mime.Recorder{}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		time.AfterFunc(200*time.Millisecond, cancel)
		t0 := time.Now()
		b, err := s.Execute(ctx, code, rec)
		took := time.Since(t0)
		cancel()
		if got := transcript(rec, b, err); !strings.Contains(got, "!! Interrupted") || took > 5*time.Second {
			t.Errorf("%s: got %q after %v", code, got, took)
		}
	}
	// Drain what the interrupted write left, then the pipe works again.
	got := runIn(t, s, "time.Sleep(100 * time.Millisecond)\nr.SetReadDeadline(time.Now().Add(200 * time.Millisecond))\nfor { if _, err := r.Read(make([]byte, 1<<16)); err != nil { break } }\nr.SetReadDeadline(time.Time{})\nw.Write([]byte(\"x\"))\nn, err := r.Read(b)\nfmt.Println(n, err, string(b))")
	if got != "1 <nil> x" {
		t.Fatalf("the pipe after the interrupts: %q", got)
	}
}
