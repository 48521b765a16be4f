package kernel

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/gokernel/gokernel/kernel/wire"
)

// ConnectionInfo is the connection file Jupyter writes for a kernel it
// starts (the {connection_file} in kernel.json's argv).
//
// A zero port asks New to pick a free one; (*Kernel).ConnectionInfo then
// reports the ports actually bound. That is how kerneltest starts kernels
// without racing for ports.
type ConnectionInfo struct {
	Transport       string `json:"transport"` // "tcp" (default) or "ipc"
	IP              string `json:"ip"`        // default 127.0.0.1
	ShellPort       int    `json:"shell_port"`
	IOPubPort       int    `json:"iopub_port"`
	StdinPort       int    `json:"stdin_port"`
	ControlPort     int    `json:"control_port"`
	HBPort          int    `json:"hb_port"`
	Key             string `json:"key"`              // HMAC key; "" means no signing
	SignatureScheme string `json:"signature_scheme"` // "hmac-sha256" (default), "hmac-sha512", ... (wire.Schemes)
	KernelName      string `json:"kernel_name,omitempty"`
}

// ReadConnectionFile reads and checks a connection file.
func ReadConnectionFile(path string) (ConnectionInfo, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return ConnectionInfo{}, fmt.Errorf("kernel: reading connection file: %w", err)
	}
	var info ConnectionInfo
	if err := json.Unmarshal(b, &info); err != nil {
		return ConnectionInfo{}, fmt.Errorf("kernel: connection file %s: %w", path, err)
	}
	if err := info.check(); err != nil {
		return ConnectionInfo{}, fmt.Errorf("kernel: connection file %s: %w", path, err)
	}
	return info, nil
}

// check fills defaults and rejects what the kernel cannot honour.
func (c *ConnectionInfo) check() error {
	if c.Transport == "" {
		c.Transport = "tcp"
	}
	if c.IP == "" {
		c.IP = "127.0.0.1"
	}
	if c.SignatureScheme == "" {
		c.SignatureScheme = "hmac-sha256"
	}
	if c.Transport != "tcp" && c.Transport != "ipc" {
		return fmt.Errorf("transport %q not supported (want tcp or ipc)", c.Transport)
	}
	if _, err := wire.NewKey(c.SignatureScheme, []byte(c.Key)); err != nil {
		return err
	}
	for _, p := range []int{c.ShellPort, c.IOPubPort, c.StdinPort, c.ControlPort, c.HBPort} {
		if p < 0 || p > 65535 {
			return fmt.Errorf("port %d out of range", p)
		}
	}
	return nil
}
