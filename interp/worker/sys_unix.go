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

// highFD is where Serve moves the descriptors it uses itself (dupHigh): far
// from the small numbers a cell might close by mistake (`syscall.Close(3)`,
// a loop closing 3..20 before exec, a library's own fd arithmetic), and yet
// inside the 64 entries a process's descriptor table starts with: growing
// it in a process with several threads (a Go program) waits for an RCU
// grace period, which made the interpreter's start-up 12 ms slower at 900.
const highFD = 56

// dupHigh returns a close-on-exec copy of fd numbered highFD or above (or
// as high as the descriptor limit allows), and closes fd.
func dupHigh(fd int) (int, error) {
	for _, min := range []int{highFD, 10} {
		nfd, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, uintptr(min))
		if errno == 0 {
			syscall.Close(fd)
			return int(nfd), nil
		}
		if errno != syscall.EINVAL && errno != syscall.EMFILE {
			return -1, errno
		}
	}
	return fd, nil // keep it where it is
}

// dupCopy returns a close-on-exec copy of fd numbered highFD or above,
// keeping fd.
func dupCopy(fd int) (int, error) {
	for _, min := range []int{highFD, 10} {
		nfd, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, uintptr(min))
		if errno == 0 {
			return int(nfd), nil
		}
		if errno != syscall.EINVAL && errno != syscall.EMFILE {
			return -1, errno
		}
	}
	return -1, syscall.EMFILE
}

// fileID identifies the open file behind a descriptor, so that a
// descriptor closed and reused for another file is told apart.
type fileID struct{ dev, ino uint64 }

func fdID(fd int) (fileID, bool) {
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return fileID{}, false
	}
	return fileID{uint64(st.Dev), uint64(st.Ino)}, true
}

// holdFD puts /dev/null on fd (which Serve has just moved away).
func holdFD(fd int) {
	null, err := syscall.Open("/dev/null", syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	if null != fd {
		_ = dupTo(null, fd) // dup3/dup2 clear close-on-exec on fd: set it again
		syscall.CloseOnExec(fd)
		syscall.Close(null)
	}
}
