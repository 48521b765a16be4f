package lesson

import (
	"encoding/json"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gokernel/gokernel/interp/display"
	"github.com/gokernel/gokernel/kernel/mime"
)

var inf = math.Inf(1)

func TestCheckHolds(t *testing.T) {
	tests := []struct {
		desc    string
		c       Check
		holds   bool
		verdict string
	}{
		{"inside", Check{Name: "no speedup", Value: 1.02, Lo: 0.75, Hi: 1.25, Unit: "×"}, true,
			"✓ no speedup: 1.02× (expected 0.75–1.25×)"},
		{"on the low edge", Check{Name: "f", Value: 0.75, Lo: 0.75, Hi: 1.25, Unit: "×"}, true,
			"✓ f: 0.75× (expected 0.75–1.25×)"},
		{"on the high edge", Check{Name: "f", Value: 1.25, Lo: 0.75, Hi: 1.25, Unit: "×"}, true,
			"✓ f: 1.25× (expected 0.75–1.25×)"},
		{"below", Check{Name: "goroutines scale", Value: 1.1, Lo: 1.5, Hi: 2.2, Unit: "×"}, false,
			"✗ goroutines scale: 1.10× (expected 1.5–2.2×)"},
		{"above", Check{Name: "f", Value: 3, Lo: 1, Hi: 2, Unit: "×"}, false,
			"✗ f: 3.00× (expected 1–2×)"},
		{"open high end", Check{Name: "f", Value: 9, Lo: 1.5, Hi: inf, Unit: "×"}, true,
			"✓ f: 9.00× (expected ≥ 1.5×)"},
		{"open low end", Check{Name: "f", Value: -3, Lo: -inf, Hi: 1.3, Unit: "×"}, true,
			"✓ f: -3.00× (expected ≤ 1.3×)"},
		{"seconds", Check{Name: "stall", Value: 1.02, Lo: 0.9, Hi: 1.3, Unit: "s"}, true,
			"✓ stall: 1.02 s (expected 0.9–1.3 s)"},
		{"count", Check{Name: "final value", Value: 1, Lo: 1, Hi: 1}, true,
			"✓ final value: 1 (expected 1–1)"},
		{"other unit", Check{Name: "f", Value: 5, Lo: 1, Hi: 10, Unit: "lines"}, true,
			"✓ f: 5 lines (expected 1–10 lines)"},
		{"nothing measured", Check{Name: "f", Value: math.NaN(), Lo: 0, Hi: 1, Unit: "×"}, false,
			"✗ f: — (expected 0–1×) — nothing was measured"},
		{"empty band", Check{Name: "f", Value: 1, Lo: 2, Hi: 1, Unit: "×"}, false,
			"✗ f: 1.00× (expected 2–1×) — the band is empty: lo > hi"},
		{"NaN bound", Check{Name: "f", Value: 1, Lo: math.NaN(), Hi: 1, Unit: "×"}, false,
			"✗ f: 1.00× (expected NaN–1×) — the band has a NaN bound"},
		{"no name", Check{Value: 1, Lo: 0, Hi: 2, Unit: "×"}, true,
			"✓ (unnamed fact): 1.00× (expected 0–2×)"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if got := tt.c.Holds(); got != tt.holds {
				t.Errorf("Holds() = %v, want %v", got, tt.holds)
			}
			if got := tt.c.verdict(); got != tt.verdict {
				t.Errorf("verdict\n got %q\nwant %q", got, tt.verdict)
			}
		})
	}
}

// The notebook tests read the fact back from the output's metadata, after a
// JSON round trip through the kernel: it must survive one, NaN included.
func TestCheckBundleMetadata(t *testing.T) {
	tests := []struct {
		desc string
		c    Check
		want string
	}{
		{"holds", Check{Name: "n", Value: 1, Lo: 0.5, Hi: 1.5, Unit: "×"},
			`{"hi":1.5,"holds":true,"lo":0.5,"name":"n","state":"holds","unit":"×","value":1}`},
		{"fails", Check{Name: "n", Value: 2, Lo: 0.5, Hi: 1.5, Unit: "s"},
			`{"hi":1.5,"holds":false,"lo":0.5,"name":"n","state":"fails","unit":"s","value":2}`},
		{"NaN and Inf become null", Check{Name: "n", Value: math.NaN(), Lo: 1, Hi: inf},
			`{"hi":null,"holds":false,"lo":1,"name":"n","state":"fails","unit":"","value":null}`},
		{"can't tell", Check{Name: "n", Value: 1, Lo: 1.15, Hi: 2.4, Unit: "×", CantTell: "1.0 core free"},
			`{"hi":2.4,"holds":false,"lo":1.15,"name":"n","state":"cant_tell","unit":"×","value":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			b := tt.c.Bundle()
			raw, err := json.Marshal(b)
			if err != nil {
				t.Fatalf("bundle does not marshal: %v", err)
			}
			var back mime.Bundle
			if err := json.Unmarshal(raw, &back); err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(back.Metadata[MetadataKey])
			if string(got) != tt.want {
				t.Errorf("metadata\n got %s\nwant %s", got, tt.want)
			}
			for _, typ := range []string{mime.Text, mime.HTML} {
				if s, _ := b.Data[typ].(string); !strings.Contains(s, tt.c.Name) {
					t.Errorf("%s does not name the fact: %q", typ, s)
				}
			}
		})
	}
}

func TestFactDisplays(t *testing.T) {
	rec := &mime.Recorder{}
	display.SetCurrent(func() mime.Publisher { return rec })
	defer display.SetCurrent(nil)

	Fact("ratio", 1, 0.5, 1.5, "because")
	FactIn("seconds", 2, 1, 3, "s", "")
	Skip("skipped", "no python3")

	var facts []string
	for _, o := range rec.Outputs() {
		if f, ok := o.Bundle.Metadata[MetadataKey].(map[string]any); ok {
			facts = append(facts, f["name"].(string)+"="+strconv.FormatBool(f["holds"].(bool)))
		}
	}
	if got, want := strings.Join(facts, ","), "ratio=true,seconds=true"; got != want {
		t.Errorf("recorded facts %q, want %q (Skip records none)", got, want)
	}
}

func TestFigures(t *testing.T) {
	f := Published("An Article").
		Add("2 threads", "s", 3.83, 0.5, 0.52).
		Add("speedup", "×", 1.02, NA, 0.99).
		Add("no publication", "s", NA, 1, 2).
		AddScaled("smaller", "s", 4, 1, 0.5).
		WithNote("sizes are smaller")
	want := strings.Join([]string{
		"Published in “An Article”, beside what this machine measures",
		"measure         article (published)  CPython (here)  Go model (here)  Go ÷ article  Go ÷ CPython",
		"2 threads       3.83 s               500 ms          520 ms           0.14×         1.04×",
		"speedup         1.02×                —               0.99×            0.97×         —",
		"no publication  —                    1.00 s          2.00 s           —             2.00×",
		"smaller †       4.00 s               1.00 s          500 ms           —             0.50×",
		scaledNote,
		"sizes are smaller",
	}, "\n")
	if got := f.String(); got != want {
		t.Errorf("String()\n got:\n%s\nwant:\n%s", got, want)
	}
	h := f.Bundle().Data[mime.HTML].(string)
	for _, s := range []string{"“An Article”", "<td", "sizes are smaller", "0.97×"} {
		if !strings.Contains(h, s) {
			t.Errorf("HTML lacks %q", s)
		}
	}
	if c := f.Chart("s"); !strings.Contains(c.String(), "2 threads") {
		t.Errorf("chart text lacks a row: %q", c.String())
	}
}

func TestParseOutput(t *testing.T) {
	tests := []struct {
		desc    string
		out     string
		before  int
		values  string
		wantErr string
	}{
		{"values", "log 1\nlog 2\n{\"a\": 1.5, \"b\": 2}\n", 2, "a=1.5,b=2", ""},
		{"bools and strings", "{\"ok\": true, \"no\": false, \"s\": \"x\"}", 0, "no=0,ok=1", ""},
		{"CRLF", "x\r\n{\"a\": 1}\r\n", 1, "a=1", ""},
		{"nothing", "\n\n", 0, "", "printed nothing"},
		{"not JSON", "hello\n", 0, "", "not a JSON object"},
		{"a JSON array", "[1, 2]\n", 0, "", "not a JSON object"},
		{"null", "null\n", 0, "", "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			before, _, values, err := parseOutput(tt.out)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(before) != tt.before {
				t.Errorf("%d lines before the JSON, want %d", len(before), tt.before)
			}
			if got := formatValues(values); got != tt.values {
				t.Errorf("values %q, want %q", got, tt.values)
			}
		})
	}
}

func formatValues(m map[string]float64) string {
	r := PyResult{Values: m}
	var parts []string
	for _, k := range r.keys() {
		parts = append(parts, k+"="+strconv.FormatFloat(m[k], 'g', -1, 64))
	}
	return strings.Join(parts, ",")
}

// The runner is tested with sh standing in for python3: it runs a file with
// arguments the same way, and needs no Python on the test machine.
func TestRunWithShell(t *testing.T) {
	if findPython("sh") == "" {
		t.Skip("no sh")
	}
	tests := []struct {
		desc    string
		code    string
		args    []any
		timeout time.Duration
		key     string
		want    float64
		output  int
		wantErr string
	}{
		{"values and log lines", "echo started\necho '{\"t\": 1.5}'\n", nil, 0, "t", 1.5, 1, ""},
		{"arguments", "echo \"{\\\"n\\\": $1, \\\"m\\\": $2}\"\n", []any{20, 3.5}, 0, "m", 3.5, 0, ""},
		{"exit status", "echo oops >&2\nexit 3\n", nil, 0, "", 0, 0, "status 3: oops"},
		{"no JSON", "echo done\n", nil, 0, "", 0, 0, "not a JSON object"},
		{"timeout", "sleep 10\n", nil, 200 * time.Millisecond, "", 0, 0, "ran longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			r := runPython(PyOptions{Command: "sh", Timeout: tt.timeout}, tt.code, tt.args...)
			if tt.wantErr != "" {
				if r.Err == nil || !strings.Contains(r.Err.Error(), tt.wantErr) {
					t.Fatalf("Err = %v, want one containing %q", r.Err, tt.wantErr)
				}
				if !math.IsNaN(r.Get("t")) {
					t.Errorf("Get on a failed run = %v, want NaN", r.Get("t"))
				}
				return
			}
			if r.Err != nil || r.Skipped {
				t.Fatalf("Err = %v, Skipped = %v", r.Err, r.Skipped)
			}
			if got := r.Get(tt.key); got != tt.want {
				t.Errorf("Get(%q) = %v, want %v", tt.key, got, tt.want)
			}
			if len(r.Output) != tt.output {
				t.Errorf("Output = %q, want %d lines", r.Output, tt.output)
			}
		})
	}
}

// A process the code leaves running in the background is killed with it.
func TestRunKillsLeftovers(t *testing.T) {
	if findPython("sh") == "" {
		t.Skip("no sh")
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	r := runPython(PyOptions{Command: "sh"}, "sleep 30 &\necho \"{\\\"pid\\\": $!}\"\n")
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	pid := int(r.Get("pid"))
	// The killed child is reaped by init soon after; until then it is a zombie.
	for i := 0; i < 100; i++ {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return
		}
		if f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:])); len(f) > 0 && f[0] == "Z" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Errorf("background process %d still running after the run", pid)
}

func TestPythonMissing(t *testing.T) {
	rec := &mime.Recorder{}
	display.SetCurrent(func() mime.Publisher { return rec })
	defer display.SetCurrent(nil)

	r := PythonOpts(PyOptions{Command: "no-such-python-gokernel"}, "print('{}')")
	if !r.Skipped || r.OK() {
		t.Fatalf("Skipped = %v, OK = %v; want a skipped run", r.Skipped, r.OK())
	}
	if !math.IsNaN(r.Get("x")) {
		t.Errorf("Get = %v, want NaN", r.Get("x"))
	}
	outs := rec.Outputs()
	if len(outs) != 1 || !strings.Contains(outs[0].Bundle.Data[mime.Text].(string), "skipped") {
		t.Fatalf("want one note saying the run was skipped, got %+v", outs)
	}
	r.Fact("a CPython fact", 1, 0, 2, "")
	for _, o := range rec.Outputs() {
		if _, ok := o.Bundle.Metadata[MetadataKey]; ok {
			t.Errorf("a fact about a skipped CPython run was recorded: %v", o.Bundle.Metadata)
		}
	}
}

func TestPythonForReal(t *testing.T) {
	if findPython("") == "" {
		t.Skip("no python3 on PATH")
	}
	r := runPython(PyOptions{}, "import json, sys\nprint('hi')\nprint(json.dumps({'n': int(sys.argv[1]) * 2}))\n", 21)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if r.Get("n") != 42 || len(r.Output) != 1 || !strings.HasPrefix(r.Version, "Python 3") {
		t.Errorf("got n=%v output=%q version=%q", r.Get("n"), r.Output, r.Version)
	}
}

// A program that reports how much of a core its jobs got (core_share)
// lowers FreeCore to it, so that a fact failing on starved jobs can't tell.
func TestPythonCoreShare(t *testing.T) {
	if findPython("") == "" {
		t.Skip("no python3 on PATH")
	}
	r := PythonOpts(PyOptions{Quiet: true}, "import json\nprint(json.dumps({'speedup': 1.0, 'core_share': 0.4}))\n")
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if r.FreeCore > 0.4 {
		t.Errorf("FreeCore = %v, want at most the reported 0.4", r.FreeCore)
	}
	fails := Check{Name: "pays off", Value: 1.0, Lo: 1.4, Hi: 2.9, Unit: "×"}
	if c := r.Check(fails); c.State() != StateCantTell {
		t.Errorf("a failing fact on starved jobs: %v, want can't tell", c.State())
	}
	r = PythonOpts(PyOptions{Quiet: true}, "import json\nprint(json.dumps({'speedup': 1.0, 'core_share': 0.97}))\n")
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if c := r.Check(fails); r.FreeCore >= 0.8 && c.State() != StateFails {
		t.Errorf("a failing fact on jobs that had their cores (FreeCore %v): %v, want fails", r.FreeCore, c.State())
	}
}
