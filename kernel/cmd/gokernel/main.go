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

func runExecute(args []string) error {
	fs := flag.NewFlagSet("execute", flag.ExitOnError)
	output := fs.String("output", "", "write the executed notebook to `FILE` (one notebook only)")
	outDir := fs.String("output-dir", "", "write executed notebooks into `DIR`, under their own names")
	inplace := fs.Bool("inplace", false, "overwrite each notebook with its executed version")
	allowErrors := fs.Bool("allow-errors", false, "run every cell even after one fails (the exit status still says so)")
	timeout := fs.Duration("timeout", 10*time.Minute, "time limit per cell (0 for none)")
	quiet := fs.Bool("quiet", false, "do not print progress")
	verbose := fs.Bool("verbose", false, "also print the interpreter process's diagnostics")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: gokernel execute [flags] NB.ipynb...\n\nRuns each notebook top to bottom in a fresh interpreter, as `jupyter execute` does,\nand saves the outputs in nbformat 4 when asked to. Flags:\n")
		fs.PrintDefaults()
	}
	fs.Parse(splitArgs(fs, args))
	paths := fs.Args()
	if len(paths) == 0 {
		fs.Usage()
		return exitError(2)
	}
	if *output != "" && len(paths) > 1 {
		return errors.New("--output takes one notebook; use --output-dir for several")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	failed := 0
	for _, path := range paths {
		if err := executeOne(ctx, path, *output, *outDir, *inplace, *allowErrors, *timeout, *quiet, *verbose); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
			failed++
		}
		if ctx.Err() != nil {
			break
		}
	}
	if failed > 0 {
		return exitError(1)
	}
	return nil
}

func executeOne(ctx context.Context, path, output, outDir string, inplace, allowErrors bool, timeout time.Duration, quiet, verbose bool) error {
	nb, err := nbexec.Read(path)
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(filepath.Dir(path))
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
	defer ev.Close()
	opts := nbexec.Options{CellTimeout: timeout, AllowErrors: allowErrors}
	if !quiet {
		opts.Progress = func(i, n int, src string) {
			first, _, _ := strings.Cut(strings.TrimSpace(src), "\n")
			if len(first) > 60 {
				first = first[:57] + "..."
			}
			fmt.Fprintf(os.Stderr, "[%s %d/%d] %s\n", filepath.Base(path), i, n, first)
		}
	}
	nb.Metadata()["language_info"] = map[string]any{
		"name": "go", "version": strings.TrimPrefix(goVersion(), "go"), "mimetype": "text/x-go",
		"file_extension": ".go", "pygments_lexer": "go", "codemirror_mode": "go", "nbconvert_exporter": "script",
	}
	res, runErr := nbexec.Run(ctx, nb, ev, opts)
	var dst string
	switch {
	case output != "":
		dst = output
	case outDir != "":
		if err := os.MkdirAll(outDir, 0o755); err != nil {
			return err
		}
		dst = filepath.Join(outDir, filepath.Base(path))
	case inplace:
		dst = path
	}
	if dst != "" {
		if err := nb.Write(dst); err != nil {
			return err
		}
	}
	if !quiet {
		where := ""
		if dst != "" {
			where = ", saved to " + dst
		}
		fmt.Fprintf(os.Stderr, "%s: %d cells in %.1f s, %d errors%s\n", path, res.Executed, res.Elapsed.Seconds(), len(res.Errors), where)
	}
	if runErr != nil {
		var ce *nbexec.CellError
		if errors.As(runErr, &ce) && len(ce.Traceback) > 0 {
			return fmt.Errorf("%w\n%s", runErr, strings.Join(ce.Traceback, "\n"))
		}
		return runErr
	}
	if len(res.Errors) > 0 {
		return fmt.Errorf("%d cells raised errors", len(res.Errors))
	}
	return nil
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
