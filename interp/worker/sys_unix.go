//go:build linux || darwin

package worker

import (
	"os"
	"syscall"
	"unsafe"
)

const supported = true

// fionread returns how many bytes wait in the pipe fd. It is what makes
// output ordering exact: bytes counted here were written before the call.
func fionread(fd uintptr) (int, error) {
	var n int32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, fionreadReq, uintptr(unsafe.Pointer(&n))); errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// isPipe reports whether fd is open and a pipe (or FIFO).
func isPipe(fd int) bool {
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return false
	}
	return st.Mode&syscall.S_IFMT == syscall.S_IFIFO
}

// childAttr puts the child in its own process group: a SIGINT sent to the
// kernel's group (jupyter's signal interrupt mode, Ctrl-C in a terminal) must
// not kill the interpreter, and killing the group on restart also ends the
// processes the cells started.
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// killGroup kills the child and everything in its process group.
func killGroup(p *os.Process) {
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
	_ = p.Kill()
}

func setNonblock(fd int) error { return syscall.SetNonblock(fd, true) }
func closeOnExec(fd int)       { syscall.CloseOnExec(fd) }

func readFD(fd uintptr, b []byte) (int, error) { return syscall.Read(int(fd), b) }
