// Package subprocess is the multiprocessing model: real OS worker
// processes running Go functions, with Python's multiprocessing API shapes.
//
//	pool, err := subprocess.NewPool(2)          // Pool(2): two worker processes, started now
//	defer pool.Close()
//	squares, err := pool.Map(square, xs)        // pool.map(square, xs), results in order
//	r := pool.ApplyAsync(workloads.SumSquares, 20_000_000)
//	v, err := r.Get()
//	for it := pool.Imap(square, xs); it.Next(); { fmt.Println(it.Value()) }
//	display.Show(pool)                          // workers table + timeline (starting, message, running, idle)
//
//	p := subprocess.NewProcess(workloads.Countdown, 50_000_000)  // Process(target=countdown, args=...)
//	p.Start(); err = p.Join()                   // p.Pid(), p.ExitCode() (-9 if killed), p.Name
//
//	q := subprocess.NewQueue()                  // Queue(); a, b := subprocess.Pipe()
//	subprocess.NewProcess(producer, q).Start()  // producer(q *subprocess.Queue) does q.Put(...)
//	v, err := q.Get()
//
//	costs, err := subprocess.Measure()          // start-up, round trip, throughput
//	display.Show(costs)
//	s, err := subprocess.MeasureSpeedup(workloads.SumSquares, 2, n) // serial vs 2 processes
//
// # What a worker can run
//
// A worker is a fresh start of the running program (os.Executable) in
// worker mode (see ChildMain). It can run:
//
//   - compiled functions registered with Register in a package's init
//     function (the worker runs package initialisation, nothing else), passed
//     by value or by registered name;
//   - functions declared at the top level of a notebook cell, which Python's
//     spawn cannot do: the worker loads the notebook's declarations into its
//     own interpreter session (lazily, at the first such call) through the
//     hooks the kernel installs: SetCellSource in the kernel's process and
//     SetCellRuntime in the worker. The interpreter names a cell's function
//     values with NameFunc, so pool.Map(square, xs) finds "square"
//     (SetFuncNamer remains for interpreters that cannot).
//
// Closures and function literals cannot cross: pass a declared function and
// its data as arguments.
//
// # What can be sent
//
// Arguments, results and queued values are encoded: slices and arrays of
// numbers, bools and strings ([]int, [][]float64) as gob, everything else as
// JSON. So they must be numbers, strings, bools, slices, arrays, maps with
// string or integer keys, pointers, or structs with exported fields of those
// (or types with MarshalJSON, like time.Time); a *Queue or *Conn is sent as a
// reference. Channels, funcs, complex numbers, NaN and ±Inf (outside gob's
// slices), and structs with unexported fields give an error that says so,
// before anything is sent. Each side decodes into the type it expects (a
// parameter's type, the result type of the function passed); where it
// expects nothing in particular (Queue.Get, a function passed by name), a
// common type comes back as itself (see RegisterType) and others as JSON
// decodes into any (a struct becomes map[string]any).
//
// # Failures and interrupts
//
// A task that returns an error or panics fails alone (a *TaskError, with
// the panic's stack); its worker goes on. A worker that dies mid-task
// (os.Exit, a signal, a fatal error such as concurrent map writes) fails the
// task with a *WorkerError naming the worker, its pid, its exit status and
// the end of its stderr, and the pool starts a replacement before
// reporting it. When the cell that waits on a pool, process or queue is
// interrupted, the wait ends at once with an rt.Interrupted panic (as
// rt.Sleep does), and the workers running that call are killed (the pool
// replaces them).
//
// # No stray processes
//
// Pool.Close and Terminate stop and reap their workers; a Pool the notebook
// drops is terminated by its finalizer; Shutdown kills every worker. Workers
// run in their own process group (an interrupt of the kernel's terminal does
// not reach them, and killing the group ends what they started), get SIGKILL
// from the kernel (Linux Pdeathsig) when the process that started them
// dies, and exit on their own when their pipe from the parent closes.
//
// # Costs
//
// Start-up (spawn to ready) is a few milliseconds: the worker answers
// before doing anything else, and loads an interpreter only for cell
// functions. Tasks travel as gob frames over two pipes (the worker's file
// descriptors 3 and 4); a round trip is about ten microseconds, against a
// fraction of a microsecond for a goroutine. Measure reports the figures of
// this machine, and every pool records a timeline.
package subprocess
