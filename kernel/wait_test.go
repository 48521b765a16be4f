package kernel_test

import "time"

// waitABit yields between polls of state another goroutine updates; no
// test asserts anything about how long it took.
func waitABit() { time.Sleep(2 * time.Millisecond) }
