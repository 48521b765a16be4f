package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type fakeLab struct {
	found map[string]string
	ran   []string
	fail  string // a command that fails
}

func (f *fakeLab) env(venv string, open bool) (labEnv, *strings.Builder) {
	var out strings.Builder
	return labEnv{
		lookPath: func(n string) (string, error) {
			if p, ok := f.found[n]; ok {
				return p, nil
			}
			return "", errors.New("not found")
		},
		run: func(name string, args ...string) error {
			f.ran = append(f.ran, name+" "+strings.Join(args, " "))
			if f.fail != "" && strings.HasSuffix(name, f.fail) {
				return errors.New("exit status 1")
			}
			return nil
		},
		exists: func(string) bool { return false },
		out:    &out,
		venv:   venv,
		open:   open,
	}, &out
}

func TestLabNoPython(t *testing.T) {
	f := &fakeLab{}
	e, _ := f.env("/v", true)
	err := lab(e, "notebooks/index.ipynb")
	if err == nil || !strings.Contains(err.Error(), "needs Python 3") || len(f.ran) != 0 {
		t.Errorf("err %v, ran %v", err, f.ran)
	}
}

func TestLabMakesVenv(t *testing.T) {
	f := &fakeLab{found: map[string]string{"python3": "/usr/bin/python3"}}
	e, out := f.env("/v", true)
	if err := lab(e, "notebooks/index.ipynb"); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/usr/bin/python3 -m venv /v",
		"/v/bin/pip install --disable-pip-version-check -q " + jupyterlabPin + " " + widgetsPin,
		"/v/bin/jupyter-lab notebooks/index.ipynb",
	}
	if strings.Join(f.ran, "\n") != strings.Join(want, "\n") {
		t.Errorf("ran\n%s\nwant\n%s", strings.Join(f.ran, "\n"), strings.Join(want, "\n"))
	}
	for _, s := range []string{"[1/3]", "[2/3]", "[3/3]"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("no progress line %s in %q", s, out.String())
		}
	}
	f = &fakeLab{found: map[string]string{"python3": "/usr/bin/python3"}, fail: "pip"}
	e, _ = f.env("/v", false)
	if err := lab(e, "x"); err == nil || !strings.Contains(err.Error(), "pip install failed") {
		t.Errorf("pip failure: %v", err)
	}
}

func TestLabUsesJupyterOnPath(t *testing.T) {
	f := &fakeLab{found: map[string]string{"jupyter-lab": "/opt/bin/jupyter-lab", "python3": "/usr/bin/python3"}}
	e, _ := f.env("/v", true)
	if err := lab(e, "nb.ipynb"); err != nil || len(f.ran) != 1 || f.ran[0] != "/opt/bin/jupyter-lab nb.ipynb" {
		t.Errorf("err %v, ran %v", err, f.ran)
	}
}

// TestLabPinsMatchCI: --lab installs what CI tests with.
func TestLabPinsMatchCI(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", ".ci", "requirements.txt"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	for _, pin := range []string{jupyterlabPin, widgetsPin} {
		found := false
		for _, l := range lines {
			if strings.TrimSpace(l) == pin {
				found = true
			}
		}
		if !found {
			t.Errorf("%s is not in .ci/requirements.txt", pin)
		}
	}
}

func TestLabAsRootAllowsRoot(t *testing.T) {
	f := &fakeLab{found: map[string]string{"jupyter-lab": "/opt/bin/jupyter-lab"}}
	e, _ := f.env("/v", true)
	e.root = true
	if err := lab(e, "nb.ipynb"); err != nil || len(f.ran) != 1 || f.ran[0] != "/opt/bin/jupyter-lab nb.ipynb --allow-root" {
		t.Fatalf("ran %q, err %v", f.ran, err)
	}
}
