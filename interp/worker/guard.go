package worker

import (
	"fmt"
	"os"
)

// What the child's own descriptors are, for messages (Serve moves them to
// high numbers, see dupHigh).
var fdNames = map[int]string{
	fdIn:     "its pipe from the kernel",
	fdOut:    "its pipe to the kernel",
	fdStdout: "the read end of its stdout pipe",
	fdStderr: "the read end of its stderr pipe",
}

// A child that lost its frame pipe to the parent says so on fd 2 instead,
// in a line the parent recognises (and the crash marks catch).
const (
	lostMark = "fatal error: the interpreter lost "
	lostEnd  = ": a cell closed it"
)

// movedFDs maps fdIn, fdOut, fdStdout and fdStderr to where Serve moved
// them (for tests, which close them on purpose).
var movedFDs = map[int]int{}

// An fdGuard notices when user code closed a descriptor the child needs.
// Serve checks before and after every cell: fd 1 and fd 2 are reopened on
// the same pipes (a cell may well close os.Stdout; output after that must
// not vanish without a word), while a closed protocol pipe ends the child,
// which the parent restarts saying what happened.
type fdGuard struct {
	proto []guarded
	std   [2]guarded // fd 1 and 2; fd is a saved copy
}

type guarded struct {
	fd   int
	id   fileID
	what string
	ok   bool
}

func (g *fdGuard) watch(fd int, what string) {
	id, ok := fdID(fd)
	g.proto = append(g.proto, guarded{fd: fd, id: id, what: fmt.Sprintf("%s (fd %d)", what, fd), ok: ok})
}

// saveStd keeps copies of fd 1 and fd 2 to reopen them from.
func (g *fdGuard) saveStd() {
	for i := range g.std {
		id, ok := fdID(i + 1)
		if !ok {
			continue
		}
		saved, err := dupCopy(i + 1)
		if err != nil {
			continue
		}
		g.std[i] = guarded{fd: saved, id: id, ok: true}
	}
}

// check reopens fd 1 and fd 2 if they were closed (through os.Stdout or
// directly), returning a note for the user for each, and returns what
// protocol pipe was closed, if one was ("" if none).
func (g *fdGuard) check() (notes []string, lost string) {
	for i := range g.std {
		st := &g.std[i]
		if !st.ok {
			continue
		}
		fd, name, f := i+1, "stdout", &os.Stdout
		if i == 1 {
			name, f = "stderr", &os.Stderr
		}
		_, open := fdID(fd)
		usable := fileUsable(*f, fd)
		if open && usable {
			// Open (perhaps redirected by the cell on purpose: left alone).
			continue
		}
		if !open {
			if err := dupTo(st.fd, fd); err != nil {
				notes = append(notes, fmt.Sprintf("\ngokernel: the cell closed fd %d (%s), and it could not be reopened (%v): later output to it is lost.\n", fd, name, err))
				continue
			}
		}
		if !usable {
			*f = os.NewFile(uintptr(fd), "/dev/"+name)
		}
		notes = append(notes, fmt.Sprintf("\ngokernel: the cell closed fd %d (os.%s); it was reopened, so later output shows as before.\n",
			fd, map[int]string{1: "Stdout", 2: "Stderr"}[fd]))
	}
	for _, p := range g.proto {
		if id, ok := fdID(p.fd); p.ok && (!ok || id != p.id) {
			return notes, p.what
		}
	}
	return notes, ""
}

// fileUsable reports whether f is open and still refers to descriptor fd.
func fileUsable(f *os.File, fd int) bool {
	if f == nil {
		return false
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	got := -1
	if rc.Control(func(x uintptr) { got = int(x) }) != nil {
		return false
	}
	return got == fd
}
