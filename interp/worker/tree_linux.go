package worker

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// On Linux the interpreter process is a child subreaper
// (PR_SET_CHILD_SUBREAPER): a process a cell started stays its descendant
// even after its own parent died (a daemon that double-forked, `cmd &` in a
// shell, a setsid'd server), so that killing the interpreter's process tree
// ends every one of them, whatever process group or session they moved to.

const prSetChildSubreaper = 36 // PR_SET_CHILD_SUBREAPER

func becomeSubreaper() {
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
}

// procParents returns the parent of every process in /proc.
func procParents() map[int]int {
	d, err := os.Open("/proc")
	if err != nil {
		return nil
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	parents := make(map[int]int, len(names))
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + n + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 {
			continue
		}
		if ppid, err := strconv.Atoi(f[1]); err == nil {
			parents[pid] = ppid
		}
	}
	return parents
}

// descendants returns the processes below root, from a snapshot of /proc.
func descendants(root int) []int {
	parents := procParents()
	var out []int
	for pid := range parents {
		for p, n := parents[pid], 0; p > 1 && n < 1000; p, n = parents[p], n+1 {
			if p == root {
				out = append(out, pid)
				break
			}
		}
	}
	return out
}

// killTree kills the interpreter process p and all its descendants. It
// stops them first (SIGSTOP), so that none can start more while the tree
// is being walked, and walks again until no new one appears; then kills
// them all, and the process group for good measure (without /proc that
// is what remains).
func killTree(p *os.Process) {
	_ = p.Signal(syscall.SIGSTOP)
	seen := map[int]bool{}
	for round := 0; round < 20; round++ {
		fresh := false
		for _, pid := range descendants(p.Pid) {
			if !seen[pid] {
				seen[pid], fresh = true, true
				_ = syscall.Kill(pid, syscall.SIGSTOP)
			}
		}
		if !fresh {
			break
		}
	}
	for pid := range seen {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	killGroup(p)
}

// EndDescendants kills every process below this one and reaps them. The
// interpreter process calls it as it exits (Serve has returned: the kernel
// closed the pipe, or died), so that no process a cell started outlives
// it. As a subreaper it sees each orphan of a killed process become its
// own child, and goes round until none is left.
func EndDescendants() {
	if noChildren() {
		return // the usual case, without reading all of /proc
	}
	self := os.Getpid()
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		kids := descendants(self)
		if len(kids) == 0 {
			return
		}
		for _, pid := range kids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		// Reap what is ours (killed, or zombies nobody waited for); a
		// goroutine's exec.Cmd.Wait may take some first (ECHILD).
		for {
			pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
		time.Sleep(time.Millisecond)
	}
}

// noChildren reports whether this process surely has no child: each of
// its threads' /proc/self/task/TID/children lists none. A subreaper with
// no child has no descendant either (an orphan below it becomes its
// child). False when that cannot be read (no CONFIG_PROC_CHILDREN).
func noChildren() bool {
	d, err := os.Open("/proc/self/task")
	if err != nil {
		return false
	}
	defer d.Close()
	tids, err := d.Readdirnames(-1)
	if err != nil {
		return false
	}
	for _, tid := range tids {
		b, err := os.ReadFile("/proc/self/task/" + tid + "/children")
		if err != nil {
			if os.IsNotExist(err) {
				if _, err := os.Stat("/proc/self/task/" + tid); err == nil {
					return false // no children file in this kernel
				}
				continue // the thread ended meanwhile
			}
			return false
		}
		if len(strings.TrimSpace(string(b))) > 0 {
			return false
		}
	}
	return true
}
