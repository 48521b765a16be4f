package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The kernel process must not link the interpreter: that is what keeps its
// start-up in milliseconds and its memory small (the interpreter lives in
// gokernel-worker).
func TestKernelBinaryHasNoInterpreter(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.Contains(dep, "yaegi") || strings.HasSuffix(dep, "gokernel/interp") {
			t.Errorf("gokernel links %s; the interpreter belongs in gokernel-worker", dep)
		}
	}
}

func TestSplitArgs(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.String("output-dir", "", "")
	fs.Bool("quiet", false, "")
	tests := []struct{ in, want string }{
		{"a.ipynb --output-dir d", "--output-dir d -- a.ipynb"},
		{"--quiet a.ipynb b.ipynb", "--quiet -- a.ipynb b.ipynb"},
		{"a.ipynb --output-dir=d --quiet", "--output-dir=d --quiet -- a.ipynb"},
		{"-- --weird.ipynb", "-- --weird.ipynb"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := strings.Join(splitArgs(fs, strings.Fields(tt.in)), " "); got != tt.want {
				t.Fatalf("splitArgs(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// Binaries built once for the tests that run `gokernel execute` for real:
// gokernel and, beside it where it looks first, gokernel-worker.
var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

func gokernelBin(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "gokernel-execute-test")
		if buildErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", binDir+string(os.PathSeparator), ".", "../gokernel-worker").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, "gokernel")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// staleCount is the execution count written into the cells of test
// notebooks as if an earlier run had left it, with the output "stale".
const staleCount = 99

// writeNotebook writes an nbformat 4.5 notebook whose code cells carry a
// stale output and count, as a notebook executed earlier does.
func writeNotebook(t *testing.T, path string, sources ...string) []byte {
	t.Helper()
	var cells []any
	for i, src := range sources {
		cells = append(cells, map[string]any{
			"cell_type": "code", "id": fmt.Sprintf("c%d", i), "metadata": map[string]any{}, "source": src,
			"execution_count": staleCount,
			"outputs":         []any{map[string]any{"output_type": "stream", "name": "stdout", "text": "stale\n"}},
		})
	}
	b, err := json.MarshalIndent(map[string]any{"nbformat": 4, "nbformat_minor": 5, "metadata": map[string]any{}, "cells": cells}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return b
}

type savedCell struct {
	Source   any               `json:"source"`
	Count    *int              `json:"execution_count"`
	Outputs  []json.RawMessage `json:"outputs"`
	Metadata struct {
		Tags []string `json:"tags"`
	} `json:"metadata"`
}

func (c savedCell) source() string {
	switch s := c.Source.(type) {
	case string:
		return s
	case []any:
		var b strings.Builder
		for _, l := range s {
			b.WriteString(l.(string))
		}
		return b.String()
	}
	return ""
}

func readSaved(path string) ([]savedCell, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var nb struct {
		Cells []savedCell `json:"cells"`
	}
	if err := json.Unmarshal(b, &nb); err != nil {
		return nil, err
	}
	return nb.Cells, nil
}

// damage says what is wrong with the notebook at path after a run that
// stopped at code cell stop (-1: none ran) of sources: anything but the same
// sources, fresh outputs up to stop and none after is damage.
func damage(path string, sources []string, stop int) string {
	cells, err := readSaved(path)
	if err != nil {
		return "unreadable: " + err.Error()
	}
	if len(cells) != len(sources) {
		return fmt.Sprintf("%d cells, want %d", len(cells), len(sources))
	}
	for i, c := range cells {
		if c.source() != sources[i] {
			return fmt.Sprintf("cell %d's source changed to %q", i+1, c.source())
		}
		stale := c.Count != nil && *c.Count == staleCount
		for _, o := range c.Outputs {
			stale = stale || strings.Contains(string(o), "stale")
		}
		if stale {
			return fmt.Sprintf("cell %d keeps the stale output or count of an earlier run", i+1)
		}
		if i > stop && (c.Count != nil || len(c.Outputs) > 0) {
			return fmt.Sprintf("cell %d did not run but has a count or outputs", i+1)
		}
	}
	return ""
}

// execute runs gokernel execute with args in dir and returns its exit code
// and stderr.
func execute(t *testing.T, dir string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(gokernelBin(t), append([]string{"execute"}, args...)...)
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := runGuarded(t, cmd)
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stderr.String()
}

// runGuarded runs cmd, killing it if it has not finished in a minute (a
// hang guard, far above what any of these runs takes).
func runGuarded(t *testing.T, cmd *exec.Cmd) error {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%v hung", cmd.Args)
		return nil
	}
}

// A cell that leaves a mark in the notebook's folder when it runs: refusals
// must come before any cell runs.
const markCell = `os.WriteFile("ran.mark", []byte("x"), 0o644)`

func ranCells(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "ran.mark"))
	return err == nil
}

// TestExecuteKeepsNotebooks runs gokernel execute the ways that used to
// damage notebooks (issue 13, point 4) and counts the notebooks damaged.
func TestExecuteKeepsNotebooks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gokernel and runs the interpreter")
	}
	type scenario struct {
		name string
		// run sets up dir, runs gokernel execute and returns what is
		// damaged ("" if nothing) and what else is wrong (checks of the
		// messages; not damage).
		run func(t *testing.T, dir string) (damaged, wrong string)
	}
	failing := []string{markCell + "\nfmt.Println(\"one\")", `panic("boom")`, `fmt.Println("three")`}
	scenarios := []scenario{
		{"failing cell, --inplace", func(t *testing.T, dir string) (string, string) {
			nb := filepath.Join(dir, "nb.ipynb")
			writeNotebook(t, nb, failing...)
			code, stderr := execute(t, dir, "--inplace", "nb.ipynb")
			d := damage(nb, failing, 1)
			switch {
			case code == 0:
				return d, "exit status 0 after a failing cell"
			case !strings.Contains(stderr, "boom") || !strings.Contains(stderr, "cell 2"):
				return d, "stderr does not name cell 2 and its error: " + stderr
			}
			return d, ""
		}},
		{"SIGINT mid-cell, --inplace", func(t *testing.T, dir string) (string, string) {
			src := []string{`fmt.Println("one")`, `time.Sleep(time.Minute)`, `fmt.Println("three")`}
			nb := filepath.Join(dir, "nb.ipynb")
			writeNotebook(t, nb, src...)
			code, stderr := interruptAt(t, dir, "[nb.ipynb 2/3]", "--inplace", "nb.ipynb")
			d := damage(nb, src, 1)
			switch {
			case code == 0:
				return d, "exit status 0 after SIGINT"
			case !strings.Contains(stderr, "interrupted") || !strings.Contains(stderr, "cell 2"):
				return d, "stderr does not say cell 2 was interrupted: " + stderr
			}
			return d, ""
		}},
		{"symlink, --inplace", func(t *testing.T, dir string) (string, string) {
			src := []string{`fmt.Println("fresh")`}
			real := filepath.Join(dir, "real.ipynb")
			writeNotebook(t, real, src...)
			link := filepath.Join(dir, "link.ipynb")
			if err := os.Symlink("real.ipynb", link); err != nil {
				t.Fatal(err)
			}
			if code, stderr := execute(t, dir, "--inplace", "link.ipynb"); code != 0 {
				return "", stderr
			}
			if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
				return "the link was replaced by a file", ""
			}
			return damage(real, src, 0), ""
		}},
		{"mode 0600, --inplace", func(t *testing.T, dir string) (string, string) {
			src := []string{`fmt.Println("fresh")`}
			nb := filepath.Join(dir, "nb.ipynb")
			writeNotebook(t, nb, src...)
			os.Chmod(nb, 0o600)
			if code, stderr := execute(t, dir, "--inplace", "nb.ipynb"); code != 0 {
				return "", stderr
			}
			if fi, _ := os.Stat(nb); fi.Mode().Perm() != 0o600 {
				return fmt.Sprintf("mode became %v", fi.Mode().Perm()), ""
			}
			return damage(nb, src, 0), ""
		}},
		{"existing NAME.ipynb.tmp, --inplace", func(t *testing.T, dir string) (string, string) {
			src := []string{`fmt.Println("fresh")`}
			nb := filepath.Join(dir, "nb.ipynb")
			writeNotebook(t, nb, src...)
			tmp := nb + ".tmp"
			os.WriteFile(tmp, []byte("the user's own file"), 0o644)
			if code, stderr := execute(t, dir, "--inplace", "nb.ipynb"); code != 0 {
				return "", stderr
			}
			if b, err := os.ReadFile(tmp); err != nil || string(b) != "the user's own file" {
				return "nb.ipynb.tmp was deleted or overwritten", ""
			}
			if left, _ := filepath.Glob(filepath.Join(dir, "*tmp*")); len(left) != 1 {
				return "", fmt.Sprintf("temporary files left: %v", left)
			}
			return damage(nb, src, 0), ""
		}},
		{"--output-dir is the input's folder", func(t *testing.T, dir string) (string, string) {
			nb := filepath.Join(dir, "nb.ipynb")
			before := writeNotebook(t, nb, markCell)
			code, stderr := execute(t, dir, "--output-dir", ".", "nb.ipynb")
			var d string
			if after, _ := os.ReadFile(nb); string(after) != string(before) {
				d = "the input was overwritten"
			}
			switch {
			case code == 0:
				return d, "not refused"
			case ranCells(dir):
				return d, "refused only after running cells"
			case !strings.Contains(stderr, "overwrite"):
				return d, "the refusal does not say why: " + stderr
			}
			return d, ""
		}},
		{"two inputs with one name, one --output-dir", func(t *testing.T, dir string) (string, string) {
			for _, sub := range []string{"a", "b"} {
				os.Mkdir(filepath.Join(dir, sub), 0o755)
				writeNotebook(t, filepath.Join(dir, sub, "nb.ipynb"), markCell+"\nfmt.Println(\""+sub+"\")")
			}
			code, stderr := execute(t, dir, "--output-dir", "out", "a/nb.ipynb", "b/nb.ipynb")
			var d string
			if _, err := os.Stat(filepath.Join(dir, "out", "nb.ipynb")); err == nil {
				d = "out/nb.ipynb holds one of the two; the other's result is lost"
			}
			switch {
			case code == 0:
				return d, "not refused"
			case ranCells(filepath.Join(dir, "a")) || ranCells(filepath.Join(dir, "b")):
				return d, "refused only after running cells"
			case !strings.Contains(stderr, "a/nb.ipynb") || !strings.Contains(stderr, "b/nb.ipynb"):
				return d, "the refusal does not name both: " + stderr
			}
			return d, ""
		}},
		{"--output into a missing folder", func(t *testing.T, dir string) (string, string) {
			writeNotebook(t, filepath.Join(dir, "nb.ipynb"), markCell)
			code, stderr := execute(t, dir, "--output", "missing/out.ipynb", "nb.ipynb")
			switch {
			case code == 0:
				return "", "not refused"
			case ranCells(dir):
				return "", "refused only after running cells"
			case !strings.Contains(stderr, "missing"):
				return "", "the refusal does not name the folder: " + stderr
			}
			return "", ""
		}},
		{"--output under a file", func(t *testing.T, dir string) (string, string) {
			writeNotebook(t, filepath.Join(dir, "nb.ipynb"), markCell)
			os.WriteFile(filepath.Join(dir, "file"), nil, 0o644)
			code, _ := execute(t, dir, "--output", "file/out.ipynb", "nb.ipynb")
			switch {
			case code == 0:
				return "", "not refused"
			case ranCells(dir):
				return "", "refused only after running cells"
			}
			return "", ""
		}},
	}
	if fi, err := os.Stat("/sys"); err == nil && fi.IsDir() {
		// A folder that takes no new files even from root (whom permission
		// bits would not stop).
		scenarios = append(scenarios, scenario{"--output into an unwritable folder", func(t *testing.T, dir string) (string, string) {
			writeNotebook(t, filepath.Join(dir, "nb.ipynb"), markCell)
			code, stderr := execute(t, dir, "--output", "/sys/out.ipynb", "nb.ipynb")
			switch {
			case code == 0:
				return "", "not refused"
			case ranCells(dir):
				return "", "refused only after running cells"
			case !strings.Contains(stderr, "cannot create files in /sys"):
				return "", "the refusal does not say why: " + stderr
			}
			return "", ""
		}})
	}
	damaged := 0
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			d, wrong := sc.run(t, t.TempDir())
			if d != "" {
				damaged++
				t.Errorf("notebook damaged: %s", d)
			}
			if wrong != "" {
				t.Error(wrong)
			}
		})
	}
	t.Logf("notebooks damaged: %d of %d runs", damaged, len(scenarios))
}

// interruptAt starts gokernel execute, sends it SIGINT once its stderr has
// printed line (the progress line of the cell to interrupt) and returns its
// exit code and stderr.
func interruptAt(t *testing.T, dir, line string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(gokernelBin(t), append([]string{"execute"}, args...)...)
	cmd.Dir = dir
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	var stderr strings.Builder
	copied := make(chan struct{})
	seen := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(pr)
		once := false
		for sc.Scan() {
			stderr.WriteString(sc.Text() + "\n")
			if !once && strings.Contains(sc.Text(), line) {
				once = true
				close(seen)
			}
		}
	}()
	done := make(chan error, 1)
	go func() { <-copied; done <- cmd.Wait() }()
	select {
	case <-seen:
		time.Sleep(300 * time.Millisecond) // let the cell start in the interpreter
		cmd.Process.Signal(os.Interrupt)
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("never printed %q:\n%s", line, stderr.String())
	}
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), stderr.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, stderr.String()
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("did not stop after SIGINT:\n%s", stderr.String())
		return 0, ""
	}
}

// outputsText is the text of a saved cell's outputs (streams and errors).
func outputsText(c savedCell) string {
	var b strings.Builder
	for _, o := range c.Outputs {
		var m struct {
			Text   any    `json:"text"`
			Ename  string `json:"ename"`
			Evalue string `json:"evalue"`
		}
		json.Unmarshal(o, &m)
		b.WriteString(savedCell{Source: m.Text}.source())
		if m.Ename != "" {
			b.WriteString(m.Ename + ": " + m.Evalue)
		}
	}
	return b.String()
}

// setTags tags cell i of the notebook at path.
func setTags(t *testing.T, path string, i int, tags ...string) {
	t.Helper()
	b, _ := os.ReadFile(path)
	var nb map[string]any
	json.Unmarshal(b, &nb)
	nb["cells"].([]any)[i].(map[string]any)["metadata"] = map[string]any{"tags": tags}
	b, _ = json.Marshal(nb)
	os.WriteFile(path, b, 0o644)
}

// -p sets the sizes of the cell tagged "parameters" (issue 12, point 8).
func TestExecuteParameters(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gokernel and runs the interpreter")
	}
	dir := t.TempDir()
	nb := filepath.Join(dir, "nb.ipynb")
	writeNotebook(t, nb, "n := 1000\nlabel := \"big\"\nconst Workers = 4", `fmt.Println(n, label, Workers)`, markCell)
	setTags(t, nb, 0, "parameters")

	runs := []struct {
		name  string
		args  []string
		want  string
		cells int
	}{
		{"defaults", nil, "1000 big 4\n", 3},
		{"set", []string{"-p", "n=5", "-p", "label=small", "-p", "Workers=2"}, "5 small 2\n", 4},
		{"set again replaces the injected cell", []string{"-p", "n=7"}, "7 big 4\n", 4},
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			args := append([]string{"--inplace", "--quiet", "nb.ipynb"}, r.args...)
			if code, stderr := execute(t, dir, args...); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			cells, err := readSaved(nb)
			if err != nil {
				t.Fatal(err)
			}
			if len(cells) != r.cells {
				t.Fatalf("%d cells, want %d", len(cells), r.cells)
			}
			if r.cells == 4 && (len(cells[1].Metadata.Tags) != 1 || cells[1].Metadata.Tags[0] != "injected-parameters") {
				t.Fatalf("cell 2 is not the injected one: %+v", cells[1])
			}
			if got := outputsText(cells[len(cells)-2]); got != r.want {
				t.Fatalf("printed %q, want %q", got, r.want)
			}
		})
	}
	t.Run("unknown name", func(t *testing.T) {
		os.Remove(filepath.Join(dir, "ran.mark"))
		before, _ := os.ReadFile(nb)
		code, stderr := execute(t, dir, "--inplace", "-p", "size=3", "nb.ipynb")
		if code == 0 || !strings.Contains(stderr, "-p size: not a parameter") || !strings.Contains(stderr, "sets Workers, label, n") {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if ranCells(dir) {
			t.Fatal("cells ran before the refusal")
		}
		if after, _ := os.ReadFile(nb); string(after) != string(before) {
			t.Fatal("the notebook changed")
		}
	})
}

// A cell that fails ends the run with its error printed and a non-zero
// status, and what ran is saved (issue 11, point 8). The blocked receive
// ends in a deadlock report, an interrupt that abandons it or the time
// limit, whichever the interpreter gives: each is an error of cell 2.
func TestExecuteCellError(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gokernel and runs the interpreter")
	}
	dir := t.TempDir()
	src := []string{`fmt.Println("one")`, "ch := make(chan int)\nv := <-ch\nfmt.Println(v)", `fmt.Println("three")`}
	writeNotebook(t, filepath.Join(dir, "nb.ipynb"), src...)
	code, stderr := execute(t, dir, "--timeout", "3s", "--output", "out.ipynb", "nb.ipynb")
	if code == 0 {
		t.Fatalf("exit status 0:\n%s", stderr)
	}
	if !strings.Contains(stderr, "cell 2 (In [2]) `ch := make(chan int)` failed") || !strings.Contains(stderr, "saved to out.ipynb") {
		t.Fatalf("stderr does not say which cell failed and where what ran is saved:\n%s", stderr)
	}
	out := filepath.Join(dir, "out.ipynb")
	if d := damage(out, src, 1); d != "" {
		t.Fatal(d)
	}
	cells, _ := readSaved(out)
	if outputsText(cells[0]) != "one\n" || len(cells[1].Outputs) == 0 || !strings.Contains(string(cells[1].Outputs[len(cells[1].Outputs)-1]), `"output_type": "error"`) {
		t.Fatalf("saved: %q / %q", outputsText(cells[0]), outputsText(cells[1]))
	}

	t.Run("allow errors", func(t *testing.T) {
		src := []string{`panic("boom")`, `fmt.Println("after")`}
		writeNotebook(t, filepath.Join(dir, "ae.ipynb"), src...)
		code, stderr := execute(t, dir, "--allow-errors", "--output", "ae.out.ipynb", "ae.ipynb")
		if code == 0 || !strings.Contains(stderr, "1 cells raised errors") {
			t.Fatalf("exit %d:\n%s", code, stderr)
		}
		cells, err := readSaved(filepath.Join(dir, "ae.out.ipynb"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(outputsText(cells[0]), "boom") || outputsText(cells[1]) != "after\n" {
			t.Fatalf("saved: %q / %q", outputsText(cells[0]), outputsText(cells[1]))
		}
	})
}

func TestExecuteRefusesConflictingDestinations(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gokernel")
	}
	dir := t.TempDir()
	writeNotebook(t, filepath.Join(dir, "nb.ipynb"), markCell)
	for _, args := range [][]string{
		{"--inplace", "--output", "x.ipynb", "nb.ipynb"},
		{"--inplace", "--output-dir", "out", "nb.ipynb"},
		{"--output", "x.ipynb", "nb.ipynb", "nb.ipynb"},
		{"--output-dir", "out", "nb.ipynb", "nb.ipynb"},
		{"-p", "novalue", "nb.ipynb"},
		{"-p", "n=1", "nb.ipynb"}, // no parameters cell
	} {
		code, stderr := execute(t, dir, args...)
		if code == 0 || ranCells(dir) {
			t.Fatalf("%v: exit %d, cells ran: %v\n%s", args, code, ranCells(dir), stderr)
		}
	}
}
