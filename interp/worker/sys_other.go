//go:build !linux && !darwin

package worker

import (
	"os"
	"syscall"
)

const supported = false

func fionread(fd uintptr) (int, error) { return 0, errUnsupported }
func isPipe(fd int) bool               { return false }
func childAttr() *syscall.SysProcAttr  { return nil }
func killGroup(p *os.Process)          { _ = p.Kill() }
func setNonblock(fd int) error         { return errUnsupported }
func closeOnExec(fd int)               {}
func setPipeSize(fd uintptr, size int) {}

func readFD(fd uintptr, b []byte) (int, error) { return 0, errUnsupported }

func splice(src, dst uintptr, n int) int { return 0 }

type fileID struct{}

func dupHigh(fd int) (int, error)  { return fd, nil }
func dupCopy(fd int) (int, error)  { return -1, errUnsupported }
func fdID(fd int) (fileID, bool)   { return fileID{}, false }
func dupTo(oldfd, newfd int) error { return errUnsupported }
func holdFD(fd int)                {}
