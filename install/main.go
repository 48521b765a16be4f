// Command install builds the gokernel binary and registers it with Jupyter.
//
//	go run ./install                  # for this user (~/.local/share/jupyter/kernels/gokernel)
//	go run ./install --sys-prefix     # into the active virtualenv / conda env
//	go run ./install --prefix /opt/jupyter
//	go run ./install --name gokernel-dev
//	go run ./install --memory-limit 2GiB  # stop cells that use more (GOKERNEL_MEMORY_LIMIT)
//	go run ./install --uninstall
//	go run ./install --lab            # and open the lessons, installing JupyterLab if needed
//
// The binaries (the kernel and its interpreter process) are copied into the
// kernelspec directory, so kernel.json points
// at an absolute path that only this kernelspec owns. No `jupyter` command is
// needed: the directory is found and written the way jupyter_core would.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/gokernel/gokernel/install/kernelspec"
	"github.com/gokernel/gokernel/interp/worker"
)

func main() {
	var o kernelspec.Options
	uninstall := flag.Bool("uninstall", false, "remove the kernelspec (and its binary) instead of installing")
	flag.StringVar(&o.Name, "name", kernelspec.DefaultName, "kernelspec name")
	flag.StringVar(&o.DisplayName, "display-name", "", "name shown in JupyterLab's launcher (default \""+kernelspec.DefaultDisplayName+"\")")
	flag.StringVar(&o.Prefix, "prefix", "", "install into `DIR`/share/jupyter/kernels")
	flag.BoolVar(&o.SysPrefix, "sys-prefix", false, "install into the current Python environment (VIRTUAL_ENV, CONDA_PREFIX or python3's sys.prefix)")
	flag.StringVar(&o.KernelsDir, "kernels-dir", "", "install into this kernels `DIR` directly")
	withLab := flag.Bool("lab", false, "then open the lessons in JupyterLab, first installing it (with jupyterlab_widgets) into a private virtualenv if none is found")
	user := flag.Bool("user", true, "install for the current user (the default when no other location is given)")
	flag.StringVar(&o.MemoryLimit, "memory-limit", "", "stop a cell when the interpreter holds more than `SIZE` (e.g. 2GiB; sets "+kernelspec.EnvMemoryLimit+" in kernel.json)")
	flag.Parse()
	if o.MemoryLimit != "" {
		if _, err := worker.ParseSize(o.MemoryLimit); err != nil {
			fail(fmt.Errorf("install: --memory-limit: %w", err))
		}
	}
	_ = user // the default location; the flag exists so scripts can say it explicitly

	if *uninstall {
		dir, removed, err := kernelspec.Uninstall(o)
		if err != nil {
			fail(err)
		}
		if removed {
			fmt.Printf("Removed the %s kernelspec from %s\n", o.Name, dir)
		} else {
			fmt.Printf("No %s kernelspec at %s: nothing to remove\n", o.Name, dir)
		}
		return
	}

	tmp, err := os.MkdirTemp("", "gokernel-build-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, kernelspec.BinaryName)
	wbin := filepath.Join(tmp, kernelspec.WorkerName)
	fmt.Println("Building the kernel and its interpreter (go build ./kernel/cmd/...) ...")
	for out, pkg := range map[string]string{bin: "gokernel", wbin: "gokernel-worker"} {
		build := exec.Command("go", "build", "-trimpath", "-o", out, "github.com/gokernel/gokernel/kernel/cmd/"+pkg)
		build.Stdout, build.Stderr = os.Stdout, os.Stderr
		// Static binaries: nothing here needs cgo (zmq4 is pure Go), and
		// without it neither process maps libc (about 1 MiB of RSS each).
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if err := build.Run(); err != nil {
			fail(fmt.Errorf("install: building %s failed (run this from the gokernel checkout): %w", pkg, err))
		}
	}
	o.Binary, o.Worker = bin, wbin
	dir, err := kernelspec.Install(o)
	if err != nil {
		fail(err)
	}
	fmt.Printf(`Installed the Go kernel %q in %s
  kernel binary: %s

Start it with:
  jupyter lab notebooks/                 (then pick "%s" in the launcher)
  jupyter console --kernel=%s
  %s execute notebooks/lessons/01-gil-threads-and-processes.ipynb   (no Python needed)
`, o.Name, dir, filepath.Join(dir, kernelspec.BinaryName), displayName(o), o.Name, filepath.Join(dir, kernelspec.BinaryName))
	if *withLab {
		if err := lab(defaultLabEnv(), lessonsIndex()); err != nil {
			fail(err)
		}
	}
}

func displayName(o kernelspec.Options) string {
	return kernelspec.NewSpec(o, "").DisplayName
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "install:", err)
	os.Exit(1)
}
