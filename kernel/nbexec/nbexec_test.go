package nbexec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/types"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel"
	"github.com/gokernel/gokernel/kernel/mime"
)

// fake runs a tiny command language: each line of a cell is one action.
var fake = kernel.ExecuteFunc(func(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
	var result mime.Bundle
	for _, line := range strings.Split(strings.TrimSpace(code), "\n") {
		cmd, arg, _ := strings.Cut(line, " ")
		switch cmd {
		case "print":
			out.Stream("stdout", arg+"\n")
		case "eprint":
			out.Stream("stderr", arg+"\n")
		case "show":
			id, text, _ := strings.Cut(arg, " ")
			if id == "-" {
				id = ""
			}
			out.Display(mime.Bundle{Data: map[string]any{mime.Text: text, mime.HTML: "<b>" + text + "</b>"}}, id)
		case "update":
			id, text, _ := strings.Cut(arg, " ")
			out.Update(mime.TextBundle(text), id)
		case "clearwait":
			out.Clear(true)
		case "value":
			result = mime.TextBundle(arg)
		case "fail":
			return mime.Bundle{}, tbError{arg}
		case "block": // until interrupted
			<-ctx.Done()
			return mime.Bundle{}, tbError{"interrupted"}
		case "input":
			if _, err := out.Input("? ", false); err != nil {
				return mime.Bundle{}, err
			}
		}
	}
	return result, nil
})

type tbError struct{ msg string }

func (e tbError) Error() string       { return e.msg }
func (e tbError) Name() string        { return "panic" }
func (e tbError) Traceback() []string { return []string{"panic: " + e.msg, "\tcell line 1"} }

func notebook(t *testing.T, sources ...string) *Notebook {
	t.Helper()
	var cells []map[string]any
	for _, s := range sources {
		typ := "code"
		if strings.HasPrefix(s, "# ") {
			typ = "markdown"
		}
		cells = append(cells, map[string]any{"cell_type": typ, "source": s, "metadata": map[string]any{}, "id": "x"})
	}
	b, _ := json.Marshal(map[string]any{"nbformat": 4, "nbformat_minor": 5, "metadata": map[string]any{"custom": "kept"}, "cells": cells})
	nb, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return nb
}

// summary renders each code cell's outputs as "type[:name]=text" joined by ";".
func summary(nb *Notebook) []string {
	var s []string
	for _, c := range nb.Cells() {
		if c["cell_type"] != "code" {
			continue
		}
		var parts []string
		for _, o := range c["outputs"].([]any) {
			m := o.(map[string]any)
			switch m["output_type"] {
			case "stream":
				parts = append(parts, "stream:"+m["name"].(string)+"="+strings.TrimSpace(m["text"].(string)))
			case "error":
				parts = append(parts, "error="+m["ename"].(string)+":"+m["evalue"].(string))
			default:
				d := m["data"].(map[string]any)
				parts = append(parts, m["output_type"].(string)+"="+d[mime.Text].(string))
			}
		}
		s = append(s, strings.Join(parts, ";"))
	}
	return s
}

func TestRun(t *testing.T) {
	tests := []struct {
		name      string
		cells     []string
		opts      Options
		want      []string
		wantErr   string
		wantCount int
	}{
		{
			name:  "streams coalesce per stream",
			cells: []string{"print a\nprint b\neprint c\nprint d"},
			want:  []string{"stream:stdout=a\nb;stream:stderr=c;stream:stdout=d"},
		},
		{
			name:  "result after prints; markdown skipped",
			cells: []string{"# Title", "print x\nvalue 42"},
			want:  []string{"stream:stdout=x;execute_result=42"},
		},
		{
			name:  "update replaces a display in an earlier cell",
			cells: []string{"show bar 0%", "update bar 100%\nprint done"},
			want:  []string{"display_data=100%", "stream:stdout=done"},
		},
		{
			name:  "clear wait clears at the next output",
			cells: []string{"print old\nclearwait\nprint new"},
			want:  []string{"stream:stdout=new"},
		},
		{
			name:    "an error stops the run",
			cells:   []string{"print one", "fail boom", "print never"},
			want:    []string{"stream:stdout=one", "error=panic:boom", ""},
			wantErr: "cell 2 (In [2]) raised panic: boom",
		},
		{
			name:  "allow errors runs on",
			cells: []string{"fail boom", "print after"},
			opts:  Options{AllowErrors: true},
			want:  []string{"error=panic:boom", "stream:stdout=after"},
		},
		{
			name:    "input has nobody to ask",
			cells:   []string{"input"},
			want:    []string{"error=Error:" + mime.ErrNoStdin.Error()},
			wantErr: "allow_stdin is false",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nb := notebook(t, tt.cells...)
			_, err := Run(context.Background(), nb, fake, tt.opts)
			if tt.wantErr != "" {
				var ce *CellError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &ce) {
					t.Fatalf("err = %v, want a *CellError containing %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			got := summary(nb)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("outputs:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	nb := notebook(t, "# Title", "print <a&b>\nvalue 1")
	if _, err := Run(context.Background(), nb, fake, Options{}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "nb.ipynb")
	if err := nb.Write(path); err != nil {
		t.Fatal(err)
	}
	back, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := back.Bytes()
	s := string(b)
	for _, want := range []string{`"custom": "kept"`, `"<a&b>\n"`, `"execution_count": 1`, `"output_type": "execute_result"`} {
		if !strings.Contains(s, want) {
			t.Errorf("saved notebook lacks %s:\n%s", want, s)
		}
	}
	if got := summary(back); got[0] != "stream:stdout=<a&b>;execute_result=1" {
		t.Errorf("after a round trip: %q", got)
	}
}

func TestParseRejects(t *testing.T) {
	for name, src := range map[string]string{
		"not json":   "{",
		"nbformat 3": `{"nbformat": 3, "cells": []}`,
		"no cells":   `{"nbformat": 4}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(src)); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

// stale marks every code cell of nb with an output and a count, as an
// earlier run leaves them.
func stale(nb *Notebook) {
	for _, c := range nb.Cells() {
		if c["cell_type"] == "code" {
			c["outputs"] = []any{map[string]any{"output_type": "stream", "name": "stdout", "text": "stale\n"}}
			c["execution_count"] = 99
		}
	}
}

func counts(nb *Notebook) []any {
	var n []any
	for _, c := range nb.Cells() {
		if c["cell_type"] == "code" {
			n = append(n, c["execution_count"])
		}
	}
	return n
}

// A run that stops early leaves no output or count of an earlier run in any
// cell: the cells after the stop are empty.
func TestRunStoppedLeavesNoStaleOutputs(t *testing.T) {
	t.Run("error", func(t *testing.T) {
		nb := notebook(t, "print one", "fail boom", "# note", "print three", "print four")
		stale(nb)
		res, err := Run(context.Background(), nb, fake, Options{})
		var ce *CellError
		if !errors.As(err, &ce) || ce.Index != 1 || ce.Count != 2 || ce.Interrupted {
			t.Fatalf("err = %#v", err)
		}
		if got := strings.Join(summary(nb), "|"); got != "stream:stdout=one|error=panic:boom||" {
			t.Fatalf("outputs %q", got)
		}
		if got := fmt.Sprint(counts(nb)); got != "[1 2 <nil> <nil>]" {
			t.Fatalf("counts %s", got)
		}
		if res.Cells != 4 || res.Executed != 2 {
			t.Fatalf("result %+v", res)
		}
	})
	t.Run("interrupt", func(t *testing.T) {
		nb := notebook(t, "print one", "block", "print three")
		stale(nb)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		opts := Options{AllowErrors: true, Progress: func(i, n int, src string) {
			if src == "block" {
				cancel()
			}
		}}
		res, err := Run(ctx, nb, fake, opts)
		var ce *CellError
		if !errors.As(err, &ce) || !ce.Interrupted || ce.Index != 1 {
			t.Fatalf("err = %v, want cell 2 interrupted (even with AllowErrors)", err)
		}
		if got := strings.Join(summary(nb), "|"); got != "stream:stdout=one|error=panic:interrupted|" {
			t.Fatalf("outputs %q", got)
		}
		if got := fmt.Sprint(counts(nb)); got != "[1 2 <nil>]" {
			t.Fatalf("counts %s", got)
		}
		if res.Executed != 2 {
			t.Fatalf("result %+v", res)
		}
	})
	t.Run("interrupted before a cell", func(t *testing.T) {
		nb := notebook(t, "print one", "print two")
		stale(nb)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Run(ctx, nb, fake, Options{})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
		if got := strings.Join(summary(nb), "|"); got != "|" {
			t.Fatalf("outputs %q", got)
		}
	})
}

// stuck is an evaluator whose cells ignore their context, as a cell blocked
// where an interrupt cannot reach does; Interrupt ends them, as the worker
// client's restart does.
type stuck struct {
	kernel.Evaluator
	intr chan struct{}
}

func (s *stuck) Execute(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
	<-s.intr
	return mime.Bundle{}, tbError{"restarted"}
}

func (s *stuck) Interrupt() {
	select {
	case s.intr <- struct{}{}:
	default:
	}
}

// A cell past its time limit that its context cannot stop is interrupted
// through the evaluator's Interrupt: the run ends instead of hanging.
func TestRunTimeoutInterruptsStuckCell(t *testing.T) {
	nb := notebook(t, "anything")
	ev := &stuck{intr: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := Run(context.Background(), nb, ev, Options{CellTimeout: 10 * time.Millisecond})
		done <- err
	}()
	select {
	case err := <-done:
		var ce *CellError
		if !errors.As(err, &ce) || ce.Ename != "CellTimeoutError" {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(time.Minute): // hang guard
		t.Fatal("Run hung on a stuck cell")
	}
}

func TestParameterize(t *testing.T) {
	paramsCell := "n := 1000\nlabel := \"big\"\nvar (\n\tworkers int = 4\n\tout string\n)\nconst Size = 10\nd := time.Second"
	tests := []struct {
		name    string
		params  []string
		want    string // the injected cell's source, after its comment line
		wantErr string
	}{
		{"number", []string{"n=50"}, "n = 50", ""},
		{"float for an int", []string{"n=1e6"}, "n = 1e6", ""},
		{"negative", []string{"workers=-1"}, "workers = -1", ""},
		{"expression", []string{"d=2*time.Second"}, "d = 2*time.Second", ""},
		{"composite", []string{"n=len([]int{1, 2})"}, "n = len([]int{1, 2})", ""},
		{"word is a string", []string{"n=fast"}, `n = "fast"`, ""},
		{"path is a string", []string{"n=/tmp/x y"}, `n = "/tmp/x y"`, ""},
		{"string parameter quotes numbers", []string{"label=42"}, `label = "42"`, ""},
		{"string parameter by type", []string{"out=3"}, `out = "3"`, ""},
		{"quoted string kept", []string{`label="a\tb"`}, `label = "a\tb"`, ""},
		{"constant declared again", []string{"Size=3"}, "const Size = 3", ""},
		{"last wins, first order", []string{"n=1", "workers=2", "n=3"}, "n = 3\nworkers = 2", ""},
		{"unknown name", []string{"n=1", "sise=3"}, "", "-p sise: not a parameter: the parameters cell (cell 2) sets Size, d, label, n, out, workers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nb := notebook(t, "# Title", paramsCell, "print n")
			nb.Cells()[1]["metadata"] = map[string]any{"tags": []any{"parameters"}}
			var ps []Param
			for _, s := range tt.params {
				p, err := ParseParam(s)
				if err != nil {
					t.Fatal(err)
				}
				ps = append(ps, p)
			}
			err := nb.Parameterize(ps)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cells := nb.Cells()
			if len(cells) != 4 || !hasTag(cells[2], InjectedParametersTag) || Source(cells[3]) != "print n" {
				t.Fatalf("cells: %v", cells)
			}
			_, got, _ := strings.Cut(Source(cells[2]), "\n")
			if got != tt.want {
				t.Fatalf("injected %q, want %q", got, tt.want)
			}
			if _, ok := cells[2]["id"]; !ok {
				t.Error("the injected cell of an nbformat 4.5 notebook has no id")
			}
		})
	}
}

// Parameterizing again replaces the injected cell, as papermill does, so
// that --inplace runs do not pile them up.
func TestParameterizeReplaces(t *testing.T) {
	nb := notebook(t, "n := 1", "print n")
	nb.Cells()[0]["metadata"] = map[string]any{"tags": []any{"parameters"}}
	for _, v := range []string{"2", "3"} {
		if err := nb.Parameterize([]Param{{"n", v}}); err != nil {
			t.Fatal(err)
		}
	}
	cells := nb.Cells()
	if len(cells) != 3 || !strings.HasSuffix(Source(cells[1]), "n = 3") {
		t.Fatalf("cells: %v", cells)
	}
}

func TestParameterizeErrors(t *testing.T) {
	tests := []struct {
		name, cell string
		tagged     bool
		wantErr    string
	}{
		{"no parameters cell", "n := 1", false, `no code cell is tagged "parameters"`},
		{"unreadable parameters cell", "n := ", true, "is not Go that gokernel can read"},
		{"cell declares nothing", "fmt.Println(1)", true, "sets nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nb := notebook(t, tt.cell)
			if tt.tagged {
				nb.Cells()[0]["metadata"] = map[string]any{"tags": []any{"parameters"}}
			}
			err := nb.Parameterize([]Param{{"n", "2"}})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
	for _, bad := range []string{"n", "2n=1", "=1"} {
		if _, err := ParseParam(bad); err == nil {
			t.Errorf("ParseParam(%q): no error", bad)
		}
	}
	if p, err := ParseParam("s=a=b"); err != nil || p.Value != "a=b" {
		t.Errorf("ParseParam(s=a=b) = %+v, %v", p, err)
	}
}

// A parameters cell written as a file's declarations reads too.
func TestParameterizeDeclarations(t *testing.T) {
	nb := notebook(t, "import \"time\"\n\nvar Interval = time.Millisecond\nconst name = \"x\"", "print n")
	nb.Cells()[0]["metadata"] = map[string]any{"tags": []any{"parameters"}}
	if err := nb.Parameterize([]Param{{"Interval", "5*time.Millisecond"}, {"name", "y"}}); err != nil {
		t.Fatal(err)
	}
	_, got, _ := strings.Cut(Source(nb.Cells()[1]), "\n")
	if want := "Interval = 5*time.Millisecond\nconst name = \"y\""; got != want {
		t.Fatalf("injected %q, want %q", got, want)
	}
}

// The list of predeclared identifiers is Go's universe block.
func TestPredeclared(t *testing.T) {
	names := types.Universe.Names()
	for _, n := range names {
		if !predeclared[n] && n != "unsafe" {
			t.Errorf("%s is predeclared but not in the list", n)
		}
	}
	for n := range predeclared {
		if types.Universe.Lookup(n) == nil {
			t.Errorf("%s is in the list but not predeclared", n)
		}
	}
}
