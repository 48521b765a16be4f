package workloads

import (
	"errors"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// dialBlocking connects a blocking socket to addr (an IP and port) with
// plain system calls on the calling OS thread, as CPython's socket module
// does. Go's net package would park the goroutine on its poller for each
// call and be woken through the scheduler, which makes a call that the
// kernel answers at once (connect on loopback, a send) take long enough
// for a CPU-bound GIL thread to take the GIL in the meantime; in CPython
// the caller is usually back before that thread has even woken up, and
// keeps the GIL. ok is false when the address is not one this can dial.
func dialBlocking(ip string, port int, deadline time.Time) (c blockConn, ok bool, err error) {
	a, perr := netip.ParseAddr(ip)
	if perr != nil {
		return nil, false, nil
	}
	var sa syscall.Sockaddr
	family := syscall.AF_INET
	if a.Is4() || a.Is4In6() {
		sa = &syscall.SockaddrInet4{Port: port, Addr: a.Unmap().As4()}
	} else {
		family = syscall.AF_INET6
		sa = &syscall.SockaddrInet6{Port: port, Addr: a.As16()}
	}
	var fd int
	blocking(func() { fd, err = syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0) }) // socket() releases the GIL in CPython too
	if err != nil {
		return nil, true, err
	}
	tv := syscall.NsecToTimeval(int64(time.Until(deadline)))
	syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)
	syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &tv)
	s := &sock{fd: fd}
	blocking(func() {
		for {
			err = syscall.Connect(fd, sa)
			if err != syscall.EINTR {
				break
			}
		}
	})
	if err != nil {
		s.Close()
		return nil, true, &net.OpError{Op: "dial", Net: "tcp", Err: err}
	}
	return s, true, nil
}

// A sock is a connected blocking socket; each Read and Write is one system
// call and one blocking call for the GIL.
type sock struct{ fd int }

func (s *sock) Read(p []byte) (int, error) {
	var n int
	var err error
	blocking(func() {
		for {
			n, err = syscall.Read(s.fd, p)
			if err != syscall.EINTR {
				break
			}
		}
	})
	if err != nil {
		if err == syscall.EAGAIN {
			err = errors.New("read timed out")
		}
		return 0, err
	}
	if n == 0 && len(p) > 0 {
		return 0, eof
	}
	return n, nil
}

func (s *sock) Write(p []byte) (int, error) {
	written := 0
	var err error
	blocking(func() { // sendall: one blocking call around the loop
		for written < len(p) {
			var n int
			n, err = syscall.Write(s.fd, p[written:])
			if err == syscall.EINTR {
				continue
			}
			if err != nil {
				return
			}
			written += n
		}
	})
	return written, err
}

// Close closes the socket: a blocking call, as socket.close() is in CPython.
func (s *sock) Close() error {
	var err error
	blocking(func() { err = syscall.Close(s.fd) })
	return err
}
