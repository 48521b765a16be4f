package interp

import (
	"strings"
	"testing"

	"github.com/gokernel/gokernel/interp/rt"
	"github.com/gokernel/gokernel/kernel/mime"
)

// TestStdio: output goes to the Publisher of the writing goroutine's
// cell; yaegi's panic frames are kept for the traceback, not printed.
func TestStdio(t *testing.T) {
	rec := &mime.Recorder{}
	c := rt.BeginCell(rec)
	defer c.End()
	s := &Session{traces: traceTable{m: map[int64][]string{}}}
	r := &router{s: s, name: "stdout"}
	if n, err := r.Write([]byte("hello\n")); n != 6 || err != nil {
		t.Fatalf("Write: %d %v", n, err)
	}
	var other strings.Builder
	f := &filter{s: s, w: &other}
	f.Write([]byte("300002:15: panic: main.f(...)\n"))
	f.Write([]byte("a warning\n"))
	outs := rec.Outputs()
	if len(outs) != 1 || outs[0].Name != "stdout" || outs[0].Text != "hello\n" {
		t.Errorf("routed output: %+v", outs)
	}
	if other.String() != "a warning\n" {
		t.Errorf("stderr passed on: %q", other.String())
	}
	if tr := s.traces.take(rt.GoID()); len(tr) != 1 || !strings.Contains(tr[0], "panic: main.f") {
		t.Errorf("kept frames: %q", tr)
	}
	if tr := s.traces.take(rt.GoID()); len(tr) != 0 {
		t.Errorf("frames kept after take: %q", tr)
	}
}
