// Package threading is the threading API that the emulated-GIL model
// (package gil) and the goroutine model (package goroutines) share, shaped
// like Python's threading, queue and concurrent.futures modules:
//
//	m := gil.New(gil.Options{})          // or goroutines.New(goroutines.Options{})
//	t1 := m.Thread("", func() { workloads.SumSquares(n) })
//	t2 := m.Thread("", func() { workloads.SumSquares(n) })
//	t1.Start(); t2.Start()
//	t1.Join(); t2.Join()                 // or m.JoinAll()
//	m.Report()                           // table of time per state + timeline
//
//	lock := m.NewLock()                  // Acquire/Release (and Lock/Unlock)
//	q := m.NewQueue(0); q.Put(1); v := q.Get()
//	pool := m.NewPool(2)                 // ThreadPoolExecutor(max_workers=2)
//	fut := pool.Submit(func() any { return 42 })
//	v, err := fut.Result()               // a panic in the task is err, never a crash
//	pool.Shutdown()
//
// Both models implement Model, so a lesson swaps one value to compare them.
//
// # Threads and goroutines
//
// Each Thread runs on its own goroutine started with rt.Go (it belongs to the
// cell that started it, and an interrupt stops it). A Runtime with a
// Scheduler (the GIL) lets the scheduler decide when each thread runs: the
// rt router installed while threads are alive forwards rt.Tick checkpoints
// and blocking calls (rt.Sleep, rt.Blocking) of a thread's goroutine to its
// scheduler. Goroutines that are not threads (the cell itself, unless inside
// Runtime.Run; plain goroutines) are not scheduled.
//
// Every wait in this package (Join, Lock, Event, Queue, Future) is a blocking
// call: a GIL thread releases the GIL while it waits, and an interrupted cell
// stops waiting (panicking with rt.Interrupted).
//
// # Timeline
//
// Each thread has a lane on the runtime's timeline.Recorder, with spans for
// running, waiting for the GIL, sleeping, I/O and blocked; Report sums them.
package threading
