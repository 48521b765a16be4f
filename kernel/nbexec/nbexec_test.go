package nbexec

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

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
			wantErr: "cell 1 raised panic: boom",
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
