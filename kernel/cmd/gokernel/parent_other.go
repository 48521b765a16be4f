//go:build !unix

package main

import "log"

// watchParent does nothing here: Windows gives no parent-death signal and
// JPY_PARENT_PID there is a handle, not a pid. The kernel still exits on
// shutdown_request and when the server closes it.
func watchParent(logger *log.Logger, shutdown func()) {}
