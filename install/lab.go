package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// The --lab set-up: from a machine with Go and Python but no Jupyter to the
// lessons open in JupyterLab, in one command. A JupyterLab already on PATH
// is used as it is; otherwise a private virtualenv gets the versions CI
// tests with (.ci/requirements.txt; a test keeps the two in step).
const (
	jupyterlabPin = "jupyterlab==4.6.6"
	widgetsPin    = "jupyterlab_widgets==3.0.17"
)

// labEnv is what lab looks at and runs, so tests can fake it.
type labEnv struct {
	lookPath func(string) (string, error)
	run      func(name string, args ...string) error // a step's command, output to the user
	exists   func(string) bool
	out      io.Writer
	venv     string // where the private virtualenv goes
	open     bool   // start JupyterLab at the end
	root     bool   // running as root: JupyterLab refuses to start without --allow-root
}

func defaultLabEnv() labEnv {
	return labEnv{
		lookPath: exec.LookPath,
		run: func(name string, args ...string) error {
			cmd := exec.Command(name, args...)
			cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
			return cmd.Run()
		},
		exists: func(p string) bool { _, err := os.Stat(p); return err == nil },
		out:    os.Stdout,
		venv:   labVenvDir(),
		open:   os.Getenv("GOKERNEL_LAB_NO_OPEN") != "1",
		root:   os.Geteuid() == 0,
	}
}

// labVenvDir is $GOKERNEL_LAB_VENV, or gokernel/jupyterlab under the user's
// data directory ($XDG_DATA_HOME or ~/.local/share).
func labVenvDir() string {
	if d := os.Getenv("GOKERNEL_LAB_VENV"); d != "" {
		return d
	}
	base := os.Getenv("XDG_DATA_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = os.TempDir()
		}
		base = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(base, "gokernel", "jupyterlab")
}

// errNoPython is the message for a machine without Python.
var errNoPython = errors.New(`--lab needs Python 3 to install JupyterLab, and none was found (no python3 or python on PATH).
Install Python 3 (Debian/Ubuntu: sudo apt install python3 python3-venv; macOS: brew install python;
Windows: https://www.python.org/downloads/) and run go run ./install --lab again.
The kernel itself is installed: a JupyterLab you install another way finds it`)

// lab finds or makes a JupyterLab with widgets and opens the lessons with it.
func lab(e labEnv, notebook string) error {
	step := func(n int, format string, a ...any) {
		fmt.Fprintf(e.out, "[%d/3] %s\n", n, fmt.Sprintf(format, a...))
	}
	jupyter := ""
	if p, err := e.lookPath("jupyter-lab"); err == nil {
		jupyter = p
		step(1, "JupyterLab found at %s: using it (for the lessons' widgets it needs %s: pip install %s)", p, widgetsPin, widgetsPin)
		step(2, "nothing to install")
	} else if bin := filepath.Join(e.venv, "bin", "jupyter-lab"); e.exists(bin) {
		jupyter = bin
		step(1, "private JupyterLab found at %s", e.venv)
		step(2, "nothing to install")
	} else {
		python := ""
		for _, name := range []string{"python3", "python"} {
			if p, err := e.lookPath(name); err == nil {
				python = p
				break
			}
		}
		if python == "" {
			return errNoPython
		}
		step(1, "making a private virtualenv for JupyterLab at %s (%s -m venv)", e.venv, python)
		if err := e.run(python, "-m", "venv", e.venv); err != nil {
			return fmt.Errorf("making the virtualenv failed (%v); on Debian and Ubuntu the venv module is a package of its own: sudo apt install python3-venv", err)
		}
		step(2, "installing %s and %s into it (pip; a minute or two)", jupyterlabPin, widgetsPin)
		pip := filepath.Join(e.venv, "bin", "pip")
		if err := e.run(pip, "install", "--disable-pip-version-check", "-q", jupyterlabPin, widgetsPin); err != nil {
			return fmt.Errorf("pip install failed (%v): see pip's message above; remove %s to start over", err, e.venv)
		}
		jupyter = filepath.Join(e.venv, "bin", "jupyter-lab")
	}
	if !e.open {
		step(3, "ready: %s %s", jupyter, notebook)
		return nil
	}
	args := []string{notebook}
	if e.root {
		// A container's user is often root, and JupyterLab then exits at once ("Running as root is
		// not recommended") unless told it is meant.
		args = append(args, "--allow-root")
	}
	step(3, "opening the lessons: %s %s (Ctrl-C stops JupyterLab)", jupyter, strings.Join(args, " "))
	return e.run(jupyter, args...)
}

// lessonsIndex is the notebook --lab opens: the lessons' index in this
// checkout.
func lessonsIndex() string {
	p := filepath.Join("notebooks", "index.ipynb")
	if _, err := os.Stat(p); err != nil {
		return strings.TrimSuffix(filepath.Dir(p), string(filepath.Separator))
	}
	return p
}
