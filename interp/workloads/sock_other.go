//go:build !linux

package workloads

import "time"

// dialBlocking is Linux only; elsewhere Fetch uses package net.
func dialBlocking(ip string, port int, deadline time.Time) (blockConn, bool, error) {
	return nil, false, nil
}
