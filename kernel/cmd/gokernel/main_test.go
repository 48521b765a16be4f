package main

import (
	"flag"
	"os/exec"
	"strings"
	"testing"
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
