// Package kernelspec writes and removes gokernel's Jupyter kernelspec: the
// kernel.json that tells Jupyter how to start the kernel, and its logos.
//
//	dir, err := kernelspec.Install(kernelspec.Options{Binary: "/path/to/gokernel"})
//	// dir is ~/.local/share/jupyter/kernels/gokernel on Linux
//
// It needs no `jupyter` command: it finds the Jupyter data directory the way
// jupyter_core does (JUPYTER_DATA_DIR, then the platform's user data dir, or
// a prefix's share/jupyter) and writes the files itself.
package kernelspec

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

//go:embed logos/logo-svg.svg logos/logo-64x64.png logos/logo-32x32.png
var logos embed.FS

// DefaultName is the kernelspec name notebooks record in their metadata.
const DefaultName = "gokernel"

// DefaultDisplayName is the name JupyterLab's launcher shows.
const DefaultDisplayName = "Go (gokernel)"

// BinaryName is the file name of the kernel binary inside the spec directory.
const BinaryName = "gokernel"

// WorkerName is the file name of the interpreter binary beside it.
const WorkerName = "gokernel-worker"

// Options says where and what to install. The zero value installs for the
// current user under the default name.
type Options struct {
	Name        string // kernelspec name; "" means DefaultName
	DisplayName string // "" means DefaultDisplayName (with the name appended when it is not the default)

	// Where: at most one of these. None means the user's Jupyter data dir.
	KernelsDir string // an explicit .../share/jupyter/kernels directory
	Prefix     string // install into Prefix/share/jupyter/kernels
	SysPrefix  bool   // install into the current environment's prefix (VIRTUAL_ENV, CONDA_PREFIX, or python3's sys.prefix)

	// Binary is the path of a built gokernel binary to copy into the spec
	// directory, so that the kernelspec owns its binary and uninstalling
	// removes both. "" keeps Argv0 as given.
	Binary string
	// Worker is the path of a built gokernel-worker binary (the interpreter
	// process) to copy beside Binary, where the kernel looks for it.
	Worker string
	// Argv0 is the command kernel.json runs when Binary is "": an absolute path.
	Argv0 string
	// MemoryLimit is the interpreter's memory limit, a size such as "2GiB",
	// written into kernel.json's env as GOKERNEL_MEMORY_LIMIT (see package
	// interp/worker). "" means none.
	MemoryLimit string
}

// EnvMemoryLimit is the variable kernel.json sets for Options.MemoryLimit
// (worker.EnvMemoryLimit; not imported, so this package stays small).
const EnvMemoryLimit = "GOKERNEL_MEMORY_LIMIT"

func (o Options) name() string {
	if o.Name == "" {
		return DefaultName
	}
	return o.Name
}

func (o Options) displayName() string {
	switch {
	case o.DisplayName != "":
		return o.DisplayName
	case o.name() != DefaultName:
		return DefaultDisplayName + " [" + o.name() + "]"
	}
	return DefaultDisplayName
}

// Spec is the content of kernel.json.
type Spec struct {
	Argv          []string          `json:"argv"`
	DisplayName   string            `json:"display_name"`
	Language      string            `json:"language"`
	InterruptMode string            `json:"interrupt_mode"`
	Env           map[string]string `json:"env,omitempty"`
	Metadata      map[string]any    `json:"metadata,omitempty"`
}

// NewSpec returns the kernel.json content for a kernel started as argv0.
func NewSpec(o Options, argv0 string) Spec {
	var env map[string]string
	if o.MemoryLimit != "" {
		env = map[string]string{EnvMemoryLimit: o.MemoryLimit}
	}
	return Spec{
		Env: env,
		// "kernel" is the subcommand; Jupyter substitutes {connection_file}.
		Argv:        []string{argv0, "kernel", "-f", "{connection_file}"},
		DisplayName: o.displayName(),
		Language:    "go",
		// The kernel handles interrupt_request on the control channel, so
		// interrupts work the same from every frontend and on every OS.
		InterruptMode: "message",
		Metadata:      map[string]any{"debugger": true}, // the worker serves debug_request (kernel.Debugger)
	}
}

// KernelsDir returns the kernels directory Options select, without creating it.
func KernelsDir(o Options) (string, error) {
	set := 0
	for _, b := range []bool{o.KernelsDir != "", o.Prefix != "", o.SysPrefix} {
		if b {
			set++
		}
	}
	if set > 1 {
		return "", errors.New("kernelspec: choose at most one of a kernels dir, a prefix and sys-prefix")
	}
	switch {
	case o.KernelsDir != "":
		return filepath.Abs(o.KernelsDir)
	case o.Prefix != "":
		p, err := filepath.Abs(o.Prefix)
		if err != nil {
			return "", fmt.Errorf("kernelspec: prefix %q: %w", o.Prefix, err)
		}
		return filepath.Join(p, "share", "jupyter", "kernels"), nil
	case o.SysPrefix:
		p, err := sysPrefix()
		if err != nil {
			return "", err
		}
		return filepath.Join(p, "share", "jupyter", "kernels"), nil
	}
	d, err := UserDataDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "kernels"), nil
}

// UserDataDir returns the user's Jupyter data directory, as jupyter_core's
// jupyter_data_dir() computes it.
func UserDataDir() (string, error) {
	if d := os.Getenv("JUPYTER_DATA_DIR"); d != "" {
		return filepath.Abs(d)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("kernelspec: no home directory to install into (use a prefix): %w", err)
	}
	switch runtime.GOOS {
	case "darwin":
		return filepath.Join(home, "Library", "Jupyter"), nil
	case "windows":
		if a := os.Getenv("APPDATA"); a != "" {
			return filepath.Join(a, "jupyter"), nil
		}
		return filepath.Join(home, "AppData", "Roaming", "jupyter"), nil
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "jupyter"), nil
	}
	return filepath.Join(home, ".local", "share", "jupyter"), nil
}

// sysPrefix finds the active environment's prefix: a virtualenv or conda
// environment when one is active, else the prefix of the python3 on PATH
// (where `jupyter kernelspec install --sys-prefix` would write).
func sysPrefix() (string, error) {
	for _, v := range []string{"VIRTUAL_ENV", "CONDA_PREFIX"} {
		if p := os.Getenv(v); p != "" {
			return p, nil
		}
	}
	for _, py := range []string{"python3", "python"} {
		out, err := exec.Command(py, "-c", "import sys; print(sys.prefix)").Output()
		if err == nil {
			return strings.TrimSpace(string(out)), nil
		}
	}
	return "", errors.New("kernelspec: --sys-prefix needs an active virtualenv/conda environment or a python3 on PATH")
}

// Install writes the kernelspec (and copies the binary when Options.Binary is
// set) and returns the spec directory. Installing again replaces it.
func Install(o Options) (dir string, err error) {
	kernels, err := KernelsDir(o)
	if err != nil {
		return "", err
	}
	if strings.ContainsAny(o.name(), `/\ `) || o.name() == "." || o.name() == ".." {
		return "", fmt.Errorf("kernelspec: invalid kernel name %q (letters, digits, '.', '_', '-')", o.name())
	}
	dir = filepath.Join(kernels, o.name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("kernelspec: %w", err)
	}
	argv0 := o.Argv0
	if o.Binary != "" {
		argv0 = filepath.Join(dir, BinaryName)
		if runtime.GOOS == "windows" {
			argv0 += ".exe"
		}
		if err := copyFile(o.Binary, argv0, 0o755); err != nil {
			return "", err
		}
	}
	if o.Worker != "" {
		dst := filepath.Join(dir, WorkerName)
		if runtime.GOOS == "windows" {
			dst += ".exe"
		}
		if err := copyFile(o.Worker, dst, 0o755); err != nil {
			return "", err
		}
	}
	if !filepath.IsAbs(argv0) {
		return "", fmt.Errorf("kernelspec: the kernel command must be an absolute path, got %q", argv0)
	}
	js, err := json.MarshalIndent(NewSpec(o, argv0), "", "  ")
	if err != nil {
		return "", fmt.Errorf("kernelspec: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kernel.json"), append(js, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("kernelspec: %w", err)
	}
	for _, n := range []string{"logo-svg.svg", "logo-64x64.png", "logo-32x32.png"} {
		b, err := logos.ReadFile("logos/" + n)
		if err != nil {
			return "", fmt.Errorf("kernelspec: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			return "", fmt.Errorf("kernelspec: %w", err)
		}
	}
	return dir, nil
}

// Uninstall removes the kernelspec directory Options select. It reports
// whether there was one.
func Uninstall(o Options) (dir string, removed bool, err error) {
	kernels, err := KernelsDir(o)
	if err != nil {
		return "", false, err
	}
	dir = filepath.Join(kernels, o.name())
	if _, err := os.Stat(filepath.Join(dir, "kernel.json")); err != nil {
		return dir, false, nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return dir, false, fmt.Errorf("kernelspec: %w", err)
	}
	return dir, true, nil
}

// copyFile copies via a temporary file and a rename, so that reinstalling
// while a kernel runs does not write into the running executable.
func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("kernelspec: %w", err)
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".gokernel-*")
	if err != nil {
		return fmt.Errorf("kernelspec: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, in); err != nil {
		tmp.Close()
		return fmt.Errorf("kernelspec: copying %s: %w", src, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("kernelspec: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("kernelspec: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("kernelspec: %w", err)
	}
	return nil
}
