//go:build unix

package main

import (
	"bufio"
	"fmt"
	"log"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// init lets the test binary play the kernel in TestParentDeath: with
// GOKERNEL_TEST_WATCH set it only watches its parent and, once that parent
// is gone, says so and exits, as runKernel does. (init, not TestMain: the
// package's other tests have their own TestMain.)
func init() {
	if os.Getenv("GOKERNEL_TEST_WATCH") != "" {
		done := make(chan struct{})
		watchParent(log.New(os.Stderr, "", 0), func() { close(done) })
		fmt.Println(os.Getpid()) // to the middle process, which passes it on
		select {
		case <-done:
			os.Exit(0)
		case <-time.After(60 * time.Second):
			os.Exit(3) // a hang guard: the test fails as "still running"
		}
	}
}

// alive reports whether pid is in the process table and not a zombie
// waiting for a parent (init in a container may be slow to reap).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !os.IsNotExist(err) // no /proc (macOS): trust kill
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}

// TestParentDeath starts "the kernel" (this binary) under a throwaway
// launcher shell, kills the launcher with SIGKILL, and waits for the
// kernel to leave the process table. Both ways of noticing are tried: the
// parent process changing, and JPY_PARENT_PID naming a dead process while
// the kernel's direct parent (a wrapper) lives on.
func TestParentDeath(t *testing.T) {
	for _, tt := range []struct {
		name   string
		script string // run by sh with $0 = this binary; prints pids, kernel's last
		lines  int    // pids printed
	}{
		{"parent killed", `"$0" & wait`, 1},
		{"JPY_PARENT_PID killed", `JPY_PARENT_PID=$$ sh -c 'echo $$; "$0"; exec sleep 100' "$0" & wait`, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			self, err := os.Executable()
			if err != nil {
				t.Fatal(err)
			}
			launcher := exec.Command("sh", "-c", tt.script, self)
			launcher.Env = append(os.Environ(), "GOKERNEL_TEST_WATCH=1")
			launcher.Stderr = os.Stderr
			out, err := launcher.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := launcher.Start(); err != nil {
				t.Fatal(err)
			}
			r := bufio.NewReader(out)
			var pids []int
			for len(pids) < tt.lines {
				line, err := r.ReadString('\n')
				if err != nil {
					launcher.Process.Kill()
					t.Fatalf("reading pids: %v (got %v)", err, pids)
				}
				pid, err := strconv.Atoi(strings.TrimSpace(line))
				if err != nil {
					t.Fatal(err)
				}
				pids = append(pids, pid)
			}
			kernel := pids[len(pids)-1]
			for _, p := range pids[:len(pids)-1] { // the wrapper, left sleeping
				defer syscall.Kill(p, syscall.SIGKILL)
			}
			if !alive(kernel) {
				t.Fatalf("the kernel (pid %d) exited while its launcher lived", kernel)
			}
			launcher.Process.Kill()
			launcher.Wait()
			deadline := time.Now().Add(30 * time.Second) // a hang guard, not a speed test
			for alive(kernel) && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if alive(kernel) {
				syscall.Kill(kernel, syscall.SIGKILL)
				t.Fatalf("the kernel (pid %d) outlived its launcher by 30 s", kernel)
			}
		})
	}
}

func TestIsAncestor(t *testing.T) {
	if !isAncestor(os.Getppid()) {
		t.Error("the parent is not an ancestor")
	}
	if isAncestor(os.Getpid()) {
		t.Error("the process is its own ancestor")
	}
	// A finished process: its pid is nobody's ancestor.
	c := exec.Command("true")
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	if isAncestor(c.Process.Pid) {
		t.Errorf("finished pid %d is an ancestor", c.Process.Pid)
	}
}
