package interp

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gokernel/gokernel/interp/subprocess"
	"github.com/gokernel/gokernel/kernel/mime"
)

// TestCells runs the cell programs in testdata/cells. Each file is one
// session; its cells start with a "// Cell" line, which may carry options:
//
//	// Cell interrupt=300ms inputs=alice,42 wait=200ms
//
// and end with "// Output:" followed by the expected transcript as
// comments: stdout, then "[stderr] ..." lines, "=> value" for the final
// value (text/plain; "=> [text/html] ..." for other types) and
// "!! ename: message" for an error. "..." in an expected line matches any
// text.
func TestCells(t *testing.T) {
	files, _ := filepath.Glob("testdata/cells/*.cell")
	if len(files) == 0 {
		t.Fatal("no cell programs")
	}
	for _, f := range files {
		f := f
		t.Run(strings.TrimSuffix(filepath.Base(f), ".cell"), func(t *testing.T) {
			runCellFile(t, f)
		})
	}
}

type testCell struct {
	code, want string
	opts       map[string]string
	line       int
}

func parseCellFile(t *testing.T, name string) []testCell {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var cells []testCell
	var cur *testCell
	inOut := false
	var code, want []string
	flush := func() {
		if cur != nil {
			cur.code = strings.Join(code, "\n")
			cur.want = strings.TrimSpace(strings.Join(want, "\n"))
			cells = append(cells, *cur)
		}
		code, want, inOut = nil, nil, false
	}
	for i, l := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(l, "// Cell"):
			flush()
			cur = &testCell{opts: map[string]string{}, line: i + 1}
			for _, f := range strings.Fields(strings.TrimPrefix(l, "// Cell")) {
				k, v, _ := strings.Cut(f, "=")
				cur.opts[k] = v
			}
		case cur == nil:
		case strings.TrimSpace(l) == "// Output:":
			inOut = true
		case inOut:
			want = append(want, strings.TrimPrefix(strings.TrimPrefix(l, "//"), " "))
		default:
			code = append(code, l)
		}
	}
	flush()
	return cells
}

func runCellFile(t *testing.T, name string) {
	s, err := NewSession(Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Worker processes of the subprocess model load this session's
	// declarations (the kernel's worker does the same).
	subprocess.SetCellSource(s.DeclSource)
	for _, c := range parseCellFile(t, name) {
		rec := &mime.Recorder{}
		if in, ok := c.opts["inputs"]; ok {
			rec.Inputs = strings.Split(in, ",")
		}
		ctx, cancel := context.WithCancel(context.Background())
		if d, ok := c.opts["interrupt"]; ok {
			dd, _ := time.ParseDuration(d)
			time.AfterFunc(dd, cancel)
		}
		b, err := s.Execute(ctx, c.code, rec)
		cancel()
		if d, ok := c.opts["wait"]; ok {
			dd, _ := time.ParseDuration(d)
			time.Sleep(dd) // let goroutines the cell started finish printing
		}
		got := transcript(rec, b, err)
		if !matchTranscript(got, c.want) {
			t.Errorf("%s:%d: cell\n%s\ngot:\n%s\nwant:\n%s", name, c.line, c.code, got, c.want)
		}
	}
}

func transcript(rec *mime.Recorder, b mime.Bundle, err error) string {
	var out []string
	for _, o := range rec.Outputs() {
		switch o.Kind {
		case "stream":
			text := strings.TrimSuffix(o.Text, "\n")
			for _, l := range strings.Split(text, "\n") {
				if o.Name == "stderr" {
					l = "[stderr] " + l
				}
				out = append(out, l)
			}
		case "display":
			out = append(out, "[display] "+strings.Join(o.Bundle.Types(), ","))
		}
	}
	if !b.IsZero() {
		for _, ty := range b.Types() {
			v, _ := b.Data[ty].(string)
			if ty == mime.Text {
				out = append(out, "=> "+v)
			} else {
				out = append(out, "=> ["+ty+"] "+v)
			}
		}
	}
	if err != nil {
		var e interface {
			Name() string
			Traceback() []string
		}
		if errors.As(err, &e) {
			out = append(out, "!! "+e.Name()+": "+err.Error())
			for _, l := range e.Traceback()[1:] {
				out = append(out, "!!   "+strings.TrimSpace(l))
			}
		} else {
			out = append(out, "!! "+err.Error())
		}
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// matchTranscript compares line by line; "..." in a wanted line matches any
// text; a wanted line "..." matches any lines up to the next wanted one,
// and "!!   ..." any traceback lines.
func matchTranscript(got, want string) bool {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for len(w) > 0 {
		if w[0] == "..." {
			w = w[1:]
			for len(g) > 0 && (len(w) == 0 || !matchLine(g[0], w[0])) {
				g = g[1:]
			}
			continue
		}
		if w[0] == "!!   ..." {
			for len(g) > 0 && strings.HasPrefix(g[0], "!!   ") {
				g = g[1:]
			}
			w = w[1:]
			continue
		}
		if len(g) == 0 || !matchLine(g[0], w[0]) {
			return false
		}
		g, w = g[1:], w[1:]
	}
	return len(g) == 0
}

func matchLine(got, want string) bool {
	parts := strings.Split(want, "...")
	if len(parts) == 1 {
		return got == want
	}
	if !strings.HasPrefix(got, parts[0]) {
		return false
	}
	got = got[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(got, p)
		if i < 0 {
			return false
		}
		got = got[i+len(p):]
	}
	return strings.HasSuffix(got, parts[len(parts)-1])
}
