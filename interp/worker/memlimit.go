package worker

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// EnvMemoryLimit is the interpreter's memory limit, a size such as "2GiB"
// ("" or "0": none). The kernelspec sets it (go run ./install
// --memory-limit 2GiB) in the kernel's environment, which the interpreter
// inherits.
//
// The limit counts the memory the interpreter's Go runtime holds (heap,
// stacks, runtime structures; not the processes cells start). At the
// limit, the running cell is interrupted and ends with a MemoryLimit
// error: the state is kept. Meanwhile debug.SetMemoryLimit makes the
// garbage collector work harder near it, so that garbage alone never
// reaches it. A cell that goes on growing past the limit anyway (in
// compiled code an interrupt cannot reach, or one huge allocation) is
// stopped for sure at 1.25 times the limit (at least 256 MiB above it) by
// ending the interpreter, which the kernel restarts: state lost, as the
// message says.
const EnvMemoryLimit = "GOKERNEL_MEMORY_LIMIT"

// ParseSize reads a size: a number of bytes with an optional unit, KiB,
// MiB, GiB, TiB (powers of 1024; K, M, G, T and KB, MB, GB, TB mean the
// same, as people use them for memory). "" and "0" mean 0.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, nil
	}
	i := len(t)
	for i > 0 && (t[i-1] < '0' || t[i-1] > '9') {
		i--
	}
	num, unit := strings.TrimSpace(t[:i]), strings.ToUpper(strings.TrimSpace(t[i:]))
	shift := map[string]uint{"": 0, "B": 0, "K": 10, "KB": 10, "KIB": 10, "M": 20, "MB": 20, "MIB": 20,
		"G": 30, "GB": 30, "GIB": 30, "T": 40, "TB": 40, "TIB": 40}
	sh, ok := shift[unit]
	f, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil || f < 0 || num == "" {
		return 0, fmt.Errorf("worker: %q is not a size (say 512MiB, 2GiB)", s)
	}
	n := f * float64(uint64(1)<<sh)
	if n >= 1<<62 {
		return 0, fmt.Errorf("worker: %q is too large a size", s)
	}
	return int64(n), nil
}

// memoryLimit reads EnvMemoryLimit.
func memoryLimit() (int64, error) {
	n, err := ParseSize(os.Getenv(EnvMemoryLimit))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", EnvMemoryLimit, err)
	}
	if n > 0 && n < minMemoryLimit {
		return 0, fmt.Errorf("worker: %s=%s is less than the %s the interpreter needs to start", EnvMemoryLimit, os.Getenv(EnvMemoryLimit), byteSize(minMemoryLimit))
	}
	return n, nil
}

const minMemoryLimit = 32 << 20

// hardLimit is where the interpreter is ended rather than a cell stopped.
func hardLimit(limit int64) int64 { return limit + max(limit/4, 256<<20) }

// memPoll is how often the watchdog reads the runtime's memory figures
// (a few microseconds each time).
const memPoll = 20 * time.Millisecond

var memSamples = []metrics.Sample{
	{Name: "/memory/classes/total:bytes"},
	{Name: "/memory/classes/heap/released:bytes"},
}

// heldMemory returns the memory the Go runtime holds from the OS (what
// debug.SetMemoryLimit counts).
func heldMemory() int64 {
	s := make([]metrics.Sample, len(memSamples))
	copy(s, memSamples)
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(s[0].Value.Uint64() - s[1].Value.Uint64())
}

var errMemoryLimit = errors.New("memory limit")

// watchMemory enforces limit (see EnvMemoryLimit) until the server is done.
func (s *server) watchMemory(limit int64) {
	debug.SetMemoryLimit(limit)
	t := time.NewTicker(memPoll)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		held := s.checkHardLimit()
		if held <= limit {
			continue
		}
		s.cmu.Lock()
		for _, run := range s.cells {
			// Only a cell that itself grew: one that starts above the
			// limit (the notebook's variables hold that much) may run,
			// to free them.
			if !run.overMem && !run.answered && held > run.memBase+memSlack {
				run.overMem = true
				run.cancel()
			}
		}
		s.cmu.Unlock()
	}
}

// checkHardLimit ends the process if it holds more than the hard limit,
// and returns what it holds. The watchdog calls it, and execute at the end
// of every cell: a cell that allocates far past the limit in one go may
// end before the next tick, and must not report success and then vanish.
func (s *server) checkHardLimit() int64 {
	held := heldMemory()
	if s.memLimit > 0 && held > hardLimit(s.memLimit) {
		// Past stopping a cell: end the process, and say why where the
		// parent reads it after the end.
		fmt.Fprintf(os.Stderr, "%sthe interpreter held %s, more than the %s memory limit (%s=%s) and more than an interrupt could stop\n",
			memMark, byteSize(int(held)), byteSize(int(s.memLimit)), EnvMemoryLimit, os.Getenv(EnvMemoryLimit))
		os.Exit(memExit)
	}
	return held
}

// memSlack is how much a cell may allocate when the notebook already holds
// more than the limit.
const memSlack = 32 << 20

// memExit is the exit status of an interpreter ended by the hard limit.
const memExit = 75

// memMark starts the line the interpreter writes to fd 2 before memExit.
const memMark = "fatal error: memory limit: "

func memoryError(limit int64) error {
	return &Error{Kind: "MemoryLimit", Msg: fmt.Sprintf("The cell used more than the %s memory limit (%s=%s) and was stopped. "+
		"Everything defined before it is kept. Use less memory (set large variables you no longer need to nil), "+
		"or raise the limit: go run ./install --memory-limit SIZE.",
		byteSize(int(limit)), EnvMemoryLimit, os.Getenv(EnvMemoryLimit))}
}
