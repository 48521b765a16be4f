package worker

import "syscall"

const fionreadReq = syscall.TIOCINQ // FIONREAD

// setPipeSize grows a pipe's buffer (F_SETPIPE_SZ), so that a cell printing
// fast fills fewer, larger chunks and does not block while output is being
// batched. 1 MiB is the default limit for unprivileged users.
func setPipeSize(fd uintptr, size int) {
	const fSETPIPE_SZ = 1031
	_, _, _ = syscall.Syscall(syscall.SYS_FCNTL, fd, fSETPIPE_SZ, uintptr(size))
}

// splice moves n bytes from pipe src to pipe dst inside the kernel and
// returns how many it moved.
func splice(src, dst uintptr, n int) int {
	moved := 0
	for moved < n {
		k, err := syscall.Splice(int(src), nil, int(dst), nil, n-moved, 0)
		if err == syscall.EINTR {
			continue
		}
		if k <= 0 || err != nil {
			break
		}
		moved += int(k)
	}
	return moved
}

func dupTo(oldfd, newfd int) error { return syscall.Dup3(oldfd, newfd, 0) }
