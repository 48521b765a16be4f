// Command gokernel is the Go kernel for Jupyter. It is the only package that
// wires the protocol (kernel), the interpreter (interp) and the installer.
package main

import (
	_ "github.com/go-zeromq/zmq4"
	_ "github.com/google/uuid"
	_ "github.com/traefik/yaegi/interp"
	_ "github.com/traefik/yaegi/stdlib"
)

func main() {}
