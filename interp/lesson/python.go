package lesson

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gokernel/gokernel/interp/display"
	"github.com/gokernel/gokernel/kernel/mime"
)

// PyOptions configures PythonOpts. The zero value is usable.
type PyOptions struct {
	Command string        // the interpreter; "": $PYTHON, else python3 on PATH
	Timeout time.Duration // the run is killed after this; 0: 60 s
	Quiet   bool          // do not display the note when skipped or failed

	// Progress, when not empty, shows a progress bar with this label while
	// the code runs; Expect (the expected run time) lets it fill up, else it
	// counts seconds.
	Progress string
	Expect   time.Duration
}

// A PyResult is what one run of Python code reported.
type PyResult struct {
	Skipped bool               // no interpreter was found; Values is empty
	Err     error              // the run failed (exit status, timeout, no JSON on the last line)
	Version string             // "Python 3.11.7"
	Values  map[string]float64 // the numbers in the JSON object on the last line
	JSON    map[string]any     // that object as decoded
	Output  []string           // the lines printed before it (log lines)
	Stderr  string             // what the run wrote to stderr
	Elapsed time.Duration      // wall time of the whole run, start-up included
	// FreeCore is the share of a core one thread got just before and just
	// after the run, the lower of the two (FreeCore): below 0.8 the
	// machine was oversubscribed, and a CPython figure that makes a fact
	// fail may be the machine's doing (Check). 0 or NaN when not measured.
	//
	// A program can also say what its own workers got during the run, by
	// reporting core_share in its JSON: for each job, the CPU time it used
	// over its wall time, in the worker that ran it. The lower figure
	// counts. Two probes around a run cannot see a core that other
	// programs took during the run only, and the jobs' own share can. (Once
	// in CI, lesson 2's CPython hybrid took 0.48 s where it takes 0.20, in
	// four rounds in a row, between probes that each saw two free cores:
	// whether the jobs were starved could not be told afterwards.)
	FreeCore float64
}

// Python runs code with CPython (see the package doc) and returns what it
// reported. args become sys.argv[1:], formatted with fmt.Sprint. When
// python3 is missing or the run fails, a short note is displayed and the
// result's values are NaN.
func Python(code string, args ...any) PyResult {
	return PythonOpts(PyOptions{}, code, args...)
}

// PythonOpts is Python with options.
func PythonOpts(o PyOptions, code string, args ...any) PyResult {
	var stop func()
	before := math.NaN()
	if findPython(o.Command) != "" {
		if o.Progress != "" {
			stop = showProgress(o.Progress, o.Expect)
		}
		before = FreeCore()
	}
	r := runPython(o, code, args...)
	r.FreeCore = math.NaN()
	if !r.Skipped {
		r.FreeCore = math.Min(before, FreeCore())
		if share, ok := r.Values["core_share"]; ok && share > 0 && !math.IsNaN(share) {
			r.FreeCore = math.Min(r.FreeCore, share)
		}
	}
	if stop != nil {
		stop()
	}
	if !o.Quiet && (r.Skipped || r.Err != nil) {
		display.Show(r)
	}
	return r
}

// findPython returns the interpreter to run, or "" when there is none.
func findPython(command string) string {
	if command == "" {
		command = os.Getenv("PYTHON")
	}
	if command == "" {
		command = "python3"
	}
	p, err := exec.LookPath(command)
	if err != nil {
		return ""
	}
	return p
}

func runPython(o PyOptions, code string, args ...any) PyResult {
	py := findPython(o.Command)
	if py == "" {
		return PyResult{Skipped: true}
	}
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	// A file, not -c: multiprocessing's spawn and forkserver start methods
	// re-import the main module in each child, which needs a path.
	dir, err := os.MkdirTemp("", "gokernel-lesson-")
	if err != nil {
		return PyResult{Err: fmt.Errorf("lesson: temporary directory: %w", err)}
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "lesson.py")
	if err := os.WriteFile(file, []byte(code), 0o600); err != nil {
		return PyResult{Err: fmt.Errorf("lesson: writing the Python code: %w", err)}
	}
	argv := []string{file}
	for _, a := range args {
		argv = append(argv, fmt.Sprint(a))
	}
	r := PyResult{Version: pythonVersion(py)}
	// Output goes to files, not pipes: a process the code leaves running in
	// the background would hold a pipe open and keep Wait waiting.
	stdout, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		return PyResult{Err: fmt.Errorf("lesson: %w", err)}
	}
	defer stdout.Close()
	stderr, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		return PyResult{Err: fmt.Errorf("lesson: %w", err)}
	}
	defer stderr.Close()
	ctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, argv...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1")
	ownGroup(cmd)
	// On timeout, kill the whole group: the interpreter and any worker
	// processes it started (a multiprocessing pool).
	cmd.Cancel = func() error { killGroup(cmd); return nil }
	start := time.Now()
	err = cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("lesson: Python code ran longer than %v and was stopped", o.Timeout)
	}
	// Children the code left running (a pool never closed) go too.
	killGroup(cmd)
	r.Elapsed = time.Since(start)
	outText, _ := os.ReadFile(stdout.Name())
	errText, _ := os.ReadFile(stderr.Name())
	r.Stderr = string(errText)
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("lesson: Python exited with status %d: %s", ee.ExitCode(), lastLine(r.Stderr))
		}
		r.Err = err
		r.Output = lines(string(outText))
		return r
	}
	r.Output, r.JSON, r.Values, r.Err = parseOutput(string(outText))
	return r
}

// parseOutput splits what the code printed into the lines before the last
// and the JSON object on the last, with its numbers.
func parseOutput(out string) (before []string, obj map[string]any, values map[string]float64, err error) {
	ls := lines(out)
	if len(ls) == 0 {
		return nil, nil, nil, errors.New("lesson: the Python code printed nothing; its last line must be a JSON object")
	}
	last := ls[len(ls)-1]
	before = ls[:len(ls)-1]
	if err := json.Unmarshal([]byte(last), &obj); err != nil || obj == nil {
		return ls, nil, nil, fmt.Errorf("lesson: the last line the Python code printed is not a JSON object: %q", truncate(last, 80))
	}
	values = map[string]float64{}
	for k, v := range obj {
		switch x := v.(type) {
		case float64:
			values[k] = x
		case bool:
			if x {
				values[k] = 1
			} else {
				values[k] = 0
			}
		}
	}
	return before, obj, values, nil
}

func lines(s string) []string {
	s = strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func lastLine(s string) string {
	ls := lines(s)
	if len(ls) == 0 {
		return "(no message on stderr)"
	}
	return truncate(ls[len(ls)-1], 200)
}

func truncate(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

var versions sync.Map // interpreter path -> "Python 3.x.y"

// pythonVersion asks the interpreter once for its version.
func pythonVersion(py string) string {
	if v, ok := versions.Load(py); ok {
		return v.(string)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, py, "--version").CombinedOutput()
	v := strings.TrimSpace(string(out))
	if err != nil || v == "" {
		v = filepath.Base(py)
	}
	versions.Store(py, v)
	return v
}

// Get returns the named value, or NaN when the run was skipped, failed or
// did not report it. NaN shows as "—" in Published tables and makes a Fact
// fail, so prefer r.Fact for facts about CPython.
func (r PyResult) Get(key string) float64 {
	if v, ok := r.Values[key]; ok && r.Err == nil && !r.Skipped {
		return v
	}
	return math.NaN()
}

// OK reports whether the run succeeded.
func (r PyResult) OK() bool { return !r.Skipped && r.Err == nil }

// Fact is lesson.Fact for a value measured in CPython: when python3 is
// missing it shows Skip instead, so a machine without python3 does not fail
// the lesson; when the run failed, the fact fails (a Python program that
// crashes is evidence of nothing, and must not pass for a skip).
func (r PyResult) Fact(name string, value, lo, hi float64, explain string) {
	r.FactIn(name, value, lo, hi, "×", explain)
}

// FactIn is lesson.FactIn for a value measured in CPython (see Fact).
func (r PyResult) FactIn(name string, value, lo, hi float64, unit, explain string) {
	if r.Skipped {
		Skip(name, "python3 is not installed here")
		return
	}
	display.Show(r.Check(Check{Name: name, Value: value, Lo: lo, Hi: hi, Unit: unit, Explain: explain}))
}

// Check returns c as a fact about this run: failing with the run's error
// when it failed (its value NaN); when it succeeded, c, unless c fails
// while the machine was oversubscribed around the run (OnACore with
// FreeCore): CPython's threads and processes then waited for a core, and
// the fact can't tell.
func (r PyResult) Check(c Check) Check {
	if r.Err != nil {
		c.Value = math.NaN()
		c.CantTell = ""
		c.Explain = "The CPython run failed: " + r.Err.Error()
		return c
	}
	return OnACore(r.FreeCore, c)
}

// Show displays checks about this run (see Check); without python3 it
// shows each as skipped.
func (r PyResult) Show(checks ...Check) {
	for _, c := range checks {
		if r.Skipped {
			Skip(c.Name, "python3 is not installed here")
			continue
		}
		display.Show(r.Check(c))
	}
}

// Ratio returns the list of numbers under key in the JSON object (a
// number alone gives a list of one) as a Ratio: a CPython speedup measured
// in interleaved rounds. It has no values when the run was skipped or failed.
func (r PyResult) Ratio(key string) Ratio {
	q := Ratio{Name: key}
	if !r.OK() {
		return q
	}
	switch v := r.JSON[key].(type) {
	case float64:
		q.Values = []float64{v}
	case []any:
		for _, x := range v {
			if f, ok := x.(float64); ok {
				q.Values = append(q.Values, f)
			}
		}
	}
	return q
}

// String describes the run: its values, or why there are none.
func (r PyResult) String() string {
	switch {
	case r.Skipped:
		return "CPython: skipped (no python3 on PATH; set PYTHON to use another interpreter). The CPython figures stay empty (—)."
	case r.Err != nil:
		s := "CPython run failed: " + r.Err.Error()
		if tail := lines(r.Stderr); len(tail) > 0 {
			if len(tail) > 8 {
				tail = tail[len(tail)-8:]
			}
			s += "\n" + strings.Join(tail, "\n")
		}
		return s
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s, run in %s\n", r.Version, display.Duration(r.Elapsed))
	for _, l := range r.Output {
		b.WriteString(l + "\n")
	}
	for _, k := range r.keys() {
		fmt.Fprintf(&b, "%s = %s\n", k, display.Number(r.Values[k]))
	}
	return strings.TrimRight(b.String(), "\n")
}

func (r PyResult) keys() []string {
	ks := make([]string, 0, len(r.Values))
	for k := range r.Values {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Bundle implements mime.Bundler: the printed lines and the values as a
// small table, or a note saying why there are none.
func (r PyResult) Bundle() mime.Bundle {
	if !r.OK() {
		h := `<div style="border-left:4px solid #9e9e9e;padding:2px 8px;margin:4px 0;white-space:pre-wrap">` +
			html.EscapeString(r.String()) + `</div>`
		return mime.Bundle{Data: map[string]any{mime.Text: r.String(), mime.HTML: h}}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<div><b>%s</b>, run in %s`, html.EscapeString(r.Version), html.EscapeString(display.Duration(r.Elapsed)))
	if len(r.Output) > 0 {
		fmt.Fprintf(&b, `<pre style="margin:4px 0">%s</pre>`, html.EscapeString(strings.Join(r.Output, "\n")))
	}
	if len(r.Values) > 0 {
		b.WriteString(`<table style="border-collapse:collapse">`)
		for _, k := range r.keys() {
			fmt.Fprintf(&b, `<tr><td style="padding:1px 10px">%s</td><td style="text-align:right;padding:1px 10px">%s</td></tr>`,
				html.EscapeString(k), html.EscapeString(display.Number(r.Values[k])))
		}
		b.WriteString(`</table>`)
	}
	b.WriteString(`</div>`)
	return mime.Bundle{Data: map[string]any{mime.Text: r.String(), mime.HTML: b.String()}}
}

// showProgress shows a bar that advances with the time elapsed, until the
// returned function is called.
func showProgress(label string, expect time.Duration) (stop func()) {
	total := 0
	if expect > 0 {
		total = 100
	}
	p := display.NewProgress(total, label)
	quit := make(chan struct{})
	finished := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(finished)
		defer func() { _ = recover() }() // a panic here must not kill the kernel
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
				el := time.Since(start)
				if total > 0 {
					p.Set(min(99, int(100*el/expect)))
				} else {
					p.Set(int(el / time.Second))
				}
			}
		}
	}()
	return func() {
		close(quit)
		<-finished
		if total > 0 {
			p.Set(total)
		} else {
			p.Set(int(time.Since(start) / time.Second))
		}
		p.Done()
	}
}
