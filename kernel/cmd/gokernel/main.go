// Command gokernel is the Go kernel for Jupyter. It is the only package that
// wires the protocol (kernel), the interpreter (interp) and the installer.
//
//	gokernel kernel -f CONNECTION_FILE   serve Jupyter (what kernel.json runs)
//	gokernel execute [flags] NB.ipynb…   run notebooks top to bottom, no Python needed
//	gokernel install [flags]             register this binary as a Jupyter kernelspec
//	gokernel get MODULE[@VERSION]…       make a third-party module importable from cells
//	gokernel version
//
// The interpreter runs in a second binary, gokernel-worker, installed beside
// this one: the kernel supervises it over pipes (package interp/worker), so
// this process stays small, starts in milliseconds and survives anything a
// cell does.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gokernel/gokernel/install/kernelspec"
	"github.com/gokernel/gokernel/interp/worker"
	"github.com/gokernel/gokernel/kernel"
	"github.com/gokernel/gokernel/kernel/internal/residency"
	"github.com/gokernel/gokernel/kernel/nbexec"
)

// The worker client is what the kernel and the runner evaluate cells with.
var _ kernel.Evaluator = (*worker.Client)(nil)

const usage = `gokernel: a Jupyter kernel for Go

usage:
  gokernel kernel -f CONNECTION_FILE     serve Jupyter (kernel.json runs this)
  gokernel execute [flags] NB.ipynb...   run notebooks top to bottom through the interpreter
  gokernel install [flags]               register this binary as a Jupyter kernelspec
  gokernel get MODULE[@VERSION]...       make a third-party module importable from cells
  gokernel version                       print the version

Run "gokernel COMMAND -h" for a command's flags.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	cmd, args := os.Args[1], os.Args[2:]
	var err error
	switch cmd {
	case "kernel":
		err = runKernel(args)
	case "execute":
		err = runExecute(args)
	case "install":
		err = runInstall(args)
	case "get":
		err = runGet(args)
	case "version", "-version", "--version":
		fmt.Println("gokernel", version())
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "gokernel: unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if err != nil {
		var exit exitError
		if errors.As(err, &exit) {
			os.Exit(int(exit))
		}
		fmt.Fprintln(os.Stderr, "gokernel "+cmd+":", err)
		os.Exit(1)
	}
}

// exitError ends the program with a status and no further message (the
// command already said what went wrong).
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			return v
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return "dev"
}

// workerCommand is the interpreter process's argv: gokernel-worker from
// this binary's folder (where install puts both), else from PATH.
func workerCommand() ([]string, error) {
	name := "gokernel-worker"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if self, err := os.Executable(); err == nil {
		if p := filepath.Join(filepath.Dir(self), name); fileExists(p) {
			return []string{p}, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return []string{p}, nil
	}
	return nil, errors.New("cannot find gokernel-worker, the interpreter binary, beside this one or on PATH (reinstall with `go run ./install`)")
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

// runGet hands `gokernel get` to the interpreter binary, which knows where
// the interpreter reads third-party sources.
func runGet(args []string) error {
	argv, err := workerCommand()
	if err != nil {
		return err
	}
	cmd := exec.Command(argv[0], append([]string{"get"}, args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return exitError(ee.ExitCode())
		}
		return err
	}
	return nil
}

// idleTrim is how long the kernel process sits idle before it gives its
// free memory back (see residency.IdleTrimmer).
const idleTrim = 200 * time.Millisecond

func runKernel(args []string) error {
	fs := flag.NewFlagSet("kernel", flag.ExitOnError)
	conn := fs.String("f", "", "connection `file` written by Jupyter")
	fs.Parse(args)
	if *conn == "" {
		return errors.New("-f CONNECTION_FILE is required (Jupyter passes it; see kernel.json)")
	}
	logger := log.New(os.Stderr, "gokernel: ", log.LstdFlags)
	info, err := kernel.ReadConnectionFile(*conn)
	if err != nil {
		return err
	}
	// The interpreter process starts in the background now, so that it is
	// ready by the first execute_request without delaying kernel_info.
	argv, err := workerCommand()
	if err != nil {
		return err
	}
	ev := worker.New(worker.Options{Command: argv, Log: os.Stderr})
	idle := residency.NewIdleTrimmer(idleTrim)
	k, err := kernel.New(info, ev, kernel.Options{Log: logger, Version: version(), Activity: idle.Busy})
	if err != nil {
		ev.Close()
		return err
	}
	// Start-up pages of this binary (flag parsing, init of every package)
	// are not needed again: idle RSS is a measured target (see package
	// residency).
	residency.DropExecutablePages()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	watchParent(logger, stop) // exit with the Jupyter server that started us (parent_*.go)
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		for s := range sigs {
			if s == os.Interrupt {
				k.Interrupt() // interrupt_mode "signal" frontends, and Ctrl-C in a terminal
				continue
			}
			logger.Printf("received %v: shutting down", s)
			stop()
		}
	}()
	_, err = k.Run(ctx)
	k.Close()
	ev.Close()
	if errors.Is(err, context.Canceled) || errors.Is(err, kernel.ErrShutdown) {
		return nil
	}
	return err
}

// splitArgs moves flags before positional arguments so that
// `execute nb.ipynb --output-dir x` works as users type it.
func splitArgs(fs *flag.FlagSet, args []string) (flagsFirst []string) {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if f := fs.Lookup(name); f != nil {
			if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
				continue
			}
			if i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
		}
	}
	return append(append(flags, "--"), pos...)
}

// params collects repeated -p name=value flags.
type params []nbexec.Param

func (p *params) String() string { return "" }
func (p *params) Set(s string) error {
	v, err := nbexec.ParseParam(s)
	if err != nil {
		return err
	}
	*p = append(*p, v)
	return nil
}

// A job is one notebook to execute, read and checked before anything runs.
type job struct {
	path string
	nb   *nbexec.Notebook
	dst  string // where the executed notebook goes; "" for nowhere
}

// exitInterrupted ends the command after SIGINT or SIGTERM, with the
// shell's status for a program stopped by SIGINT.
const exitInterrupted = exitError(130)

func runExecute(args []string) error {
	fs := flag.NewFlagSet("execute", flag.ExitOnError)
	output := fs.String("output", "", "write the executed notebook to `FILE` (one notebook only)")
	outDir := fs.String("output-dir", "", "write executed notebooks into `DIR`, under their own names")
	inplace := fs.Bool("inplace", false, "overwrite each notebook with its executed version")
	allowErrors := fs.Bool("allow-errors", false, "run every cell even after one fails (the exit status still says so)")
	timeout := fs.Duration("timeout", 10*time.Minute, "time limit per cell (0 for none)")
	quiet := fs.Bool("quiet", false, "do not print progress")
	verbose := fs.Bool("verbose", false, "also print the interpreter process's diagnostics")
	var ps params
	fs.Var(&ps, "p", "set a parameter: `name=value` (repeatable; see the README)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `usage: gokernel execute [flags] NB.ipynb...

Runs each notebook top to bottom in a fresh interpreter, as `+"`jupyter execute`"+` does,
and saves the outputs in nbformat 4 when asked to. If a cell fails or the run is
interrupted, the notebook is saved all the same: the cells that ran with their
outputs, the failed one with its error, the rest without outputs or counts.
Flags:
`)
		fs.PrintDefaults()
	}
	fs.Parse(splitArgs(fs, args))
	paths := fs.Args()
	if len(paths) == 0 {
		fs.Usage()
		return exitError(2)
	}
	jobs, problems := planExecute(paths, *output, *outDir, *inplace, ps)
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, "gokernel execute:", p)
		}
		fmt.Fprintln(os.Stderr, "gokernel execute: nothing was run")
		return exitError(2)
	}

	// The first SIGINT or SIGTERM interrupts the running cell and ends the
	// run (the notebook is saved as it stands); a second one restarts the
	// interpreter, for a cell an interrupt cannot reach.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var running atomic.Pointer[worker.Client]
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		for s := range sigs {
			if ctx.Err() == nil {
				fmt.Fprintf(os.Stderr, "gokernel execute: %v: interrupting the running cell (again to restart the interpreter)\n", s)
				cancel()
				continue
			}
			if ev := running.Load(); ev != nil {
				ev.Interrupt()
			}
		}
	}()

	failed := 0
	for i, j := range jobs {
		if err := executeOne(ctx, j, &running, *allowErrors, *timeout, *quiet, *verbose); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", j.path, err)
			failed++
		}
		if ctx.Err() != nil {
			for _, rest := range jobs[i+1:] {
				fmt.Fprintf(os.Stderr, "%s: not run (interrupted)\n", rest.path)
			}
			return exitInterrupted
		}
	}
	if failed > 0 {
		return exitError(1)
	}
	return nil
}

// planExecute reads every notebook, sets its parameters and decides where
// it is saved, refusing anything that would lose a file of the user's or
// fail only after the cells ran: an output folder that holds an input, two
// inputs saved under one name, a destination that cannot be written. It
// runs nothing; it creates the --output-dir folder if all else is well.
func planExecute(paths []string, output, outDir string, inplace bool, ps params) ([]job, []string) {
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	modes := 0
	for _, set := range []bool{output != "", outDir != "", inplace} {
		if set {
			modes++
		}
	}
	switch {
	case modes > 1:
		bad("--output, --output-dir and --inplace say where to save: give one")
		return nil, problems
	case output != "" && len(paths) > 1:
		bad("--output takes one notebook; use --output-dir for several")
		return nil, problems
	}
	var outFI os.FileInfo
	if outDir != "" {
		fi, err := os.Stat(outDir)
		switch {
		case err == nil && !fi.IsDir():
			bad("--output-dir %s is not a folder", outDir)
		case err == nil:
			outFI = fi
		case !errors.Is(err, os.ErrNotExist):
			bad("--output-dir %s: %v", outDir, err)
		}
	}
	var jobs []job
	byName := map[string]string{} // saved name -> input
	for _, path := range paths {
		nb, err := nbexec.Read(path)
		if err != nil {
			bad("%v", err)
			continue
		}
		if err := nb.Parameterize(ps); err != nil {
			bad("%s: %v", path, err)
			continue
		}
		j := job{path: path, nb: nb}
		switch {
		case output != "":
			j.dst = output
		case inplace:
			j.dst = path
		case outDir != "":
			j.dst = filepath.Join(outDir, filepath.Base(path))
			if in, err := os.Stat(filepath.Dir(path)); err == nil && outFI != nil && os.SameFile(in, outFI) {
				bad("--output-dir %s is the folder of %s: saving there would overwrite the input (use --inplace for that)", outDir, path)
				continue
			}
			if other, ok := byName[filepath.Base(path)]; ok {
				bad("%s and %s would both be saved as %s: run them into different folders", other, path, j.dst)
				continue
			}
			byName[filepath.Base(path)] = path
		}
		jobs = append(jobs, j)
	}
	if len(problems) > 0 {
		return nil, problems
	}
	if outDir != "" && outFI == nil {
		if err := os.MkdirAll(outDir, 0o755); err != nil {
			bad("--output-dir: %v", err)
			return nil, problems
		}
	}
	for _, j := range jobs {
		if j.dst == "" {
			continue
		}
		if err := nbexec.CheckWritable(j.dst); err != nil {
			bad("%s: %v", j.path, err)
		}
	}
	return jobs, problems
}

func executeOne(ctx context.Context, j job, running *atomic.Pointer[worker.Client], allowErrors bool, timeout time.Duration, quiet, verbose bool) error {
	dir, err := filepath.Abs(filepath.Dir(j.path))
	if err != nil {
		return err
	}
	// A fresh interpreter per notebook, in the notebook's folder, as a new
	// kernel started by nbclient would be.
	argv, err := workerCommand()
	if err != nil {
		return err
	}
	var logw io.Writer
	if verbose {
		logw = os.Stderr
	}
	ev := worker.New(worker.Options{Command: argv, Dir: dir, Log: logw})
	running.Store(ev)
	defer func() {
		running.Store(nil)
		ev.Close()
	}()
	opts := nbexec.Options{CellTimeout: timeout, AllowErrors: allowErrors}
	name := filepath.Base(j.path)
	if !quiet {
		opts.Progress = func(i, n int, src string) {
			fmt.Fprintf(os.Stderr, "[%s %d/%d] %s\n", name, i, n, firstLine(src))
		}
	}
	nb := j.nb
	nb.Metadata()["language_info"] = map[string]any{
		"name": "go", "version": strings.TrimPrefix(goVersion(), "go"), "mimetype": "text/x-go",
		"file_extension": ".go", "pygments_lexer": "go", "codemirror_mode": "go", "nbconvert_exporter": "script",
	}
	res, runErr := nbexec.Run(ctx, nb, ev, opts)
	// Saved whatever happened: Run leaves no output of an earlier run in
	// any cell, so a stopped run's notebook shows exactly what ran.
	saved := ""
	if j.dst != "" {
		if err := nb.Write(j.dst); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v (the notebook there is unchanged)\n", j.path, err)
		} else {
			saved = ", saved to " + j.dst
		}
	}
	if runErr == nil {
		if !quiet {
			fmt.Fprintf(os.Stderr, "%s: %d cells in %.1f s, %d errors%s\n", j.path, res.Executed, res.Elapsed.Seconds(), len(res.Errors), saved)
		}
		if len(res.Errors) > 0 {
			return fmt.Errorf("%d cells raised errors (--allow-errors ran the rest)", len(res.Errors))
		}
		if saved == "" && j.dst != "" {
			return errors.New("not saved")
		}
		return nil
	}
	// What happened, then what the saved notebook holds.
	var ce *nbexec.CellError
	var what string
	switch {
	case errors.As(runErr, &ce) && ce.Interrupted:
		what = fmt.Sprintf("interrupted in cell %d (In [%d]) %s: %s", ce.Index+1, ce.Count, quoteLine(nb, ce.Index), ce.Evalue)
	case errors.As(runErr, &ce):
		what = fmt.Sprintf("cell %d (In [%d]) %s failed", ce.Index+1, ce.Count, quoteLine(nb, ce.Index))
		if len(ce.Traceback) > 0 { // the traceback starts with the error's own words
			what += ":\n" + strings.Join(ce.Traceback, "\n")
		} else {
			what += fmt.Sprintf(": %s: %s", ce.Ename, ce.Evalue)
		}
	case errors.Is(runErr, context.Canceled):
		what = strings.TrimPrefix(runErr.Error(), "nbexec: ")
	default:
		what = runErr.Error()
	}
	how := fmt.Sprintf("%d of %d code cells ran", res.Executed, res.Cells)
	switch left := res.Cells - res.Executed; left {
	case 0:
	case 1:
		how += "; the 1 after them did not run and has no output or count"
	default:
		how += fmt.Sprintf("; the %d after them did not run and have no outputs or counts", left)
	}
	switch {
	case saved != "":
		how += saved
	case j.dst == "":
		how += " (not saved: no --output, --output-dir or --inplace)"
	}
	return fmt.Errorf("%s\n%s: %s", what, j.path, how)
}

// firstLine is a cell's first line, cut to fit a progress line.
func firstLine(src string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(src), "\n")
	if len(first) > 60 {
		first = first[:57] + "..."
	}
	return first
}

// quoteLine is the first line of cell i, quoted, for messages.
func quoteLine(nb *nbexec.Notebook, i int) string {
	cells := nb.Cells()
	if i < 0 || i >= len(cells) {
		return ""
	}
	return "`" + firstLine(nbexec.Source(cells[i])) + "`"
}

func goVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		return bi.GoVersion
	}
	return "go"
}

func runInstall(args []string) error {
	var o kernelspec.Options
	fs := flag.NewFlagSet("install", flag.ExitOnError)
	uninstall := fs.Bool("uninstall", false, "remove the kernelspec instead")
	fs.StringVar(&o.Name, "name", kernelspec.DefaultName, "kernelspec name")
	fs.StringVar(&o.DisplayName, "display-name", "", "name shown in the launcher")
	fs.StringVar(&o.Prefix, "prefix", "", "install into `DIR`/share/jupyter/kernels")
	fs.BoolVar(&o.SysPrefix, "sys-prefix", false, "install into the current Python environment")
	fs.StringVar(&o.KernelsDir, "kernels-dir", "", "install into this kernels `DIR`")
	fs.Parse(args)
	if *uninstall {
		dir, removed, err := kernelspec.Uninstall(o)
		if err != nil {
			return err
		}
		if removed {
			fmt.Println("Removed", dir)
		} else {
			fmt.Println("Nothing installed at", dir)
		}
		return nil
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	w, err := workerCommand()
	if err != nil {
		return err
	}
	o.Binary, o.Worker = self, w[0]
	dir, err := kernelspec.Install(o)
	if err != nil {
		return err
	}
	fmt.Printf("Installed the %q kernelspec in %s\n", o.Name, dir)
	return nil
}
