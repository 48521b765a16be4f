//go:build !go1.24

package interp

import (
	"reflect"

	"github.com/gokernel/gokernel/interp/rt"
)

// Without weak pointers (Go 1.24) the registry of blocking_pipe.go would
// keep every pipe a cell made open for ever: cells get os.Pipe as it is.

func pipeExports() map[string]reflect.Value { return map[string]reflect.Value{} }

func wakePipes(*rt.Cell) (restore func()) { return func() {} }
