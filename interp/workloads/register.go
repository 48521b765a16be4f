package workloads

import "github.com/gokernel/gokernel/interp/subprocess"

// The CPU-bound workloads run in worker processes of the subprocess model
// by value (subprocess.NewProcess(workloads.SumSquares, n)): a worker then
// starts in milliseconds, where a function declared in a cell would first
// load the notebook into the worker's own interpreter.
func init() {
	for name, fn := range map[string]any{
		"workloads.SumSquares":  SumSquares,
		"workloads.Countdown":   Countdown,
		"workloads.IsPrime":     IsPrime,
		"workloads.CountPrimes": CountPrimes,
		"workloads.MergeSort":   MergeSort,
		"workloads.SortAll":     SortAll,
		"workloads.Square":      Square,
		"workloads.SumInts":     SumInts,
		"workloads.Noop":        Noop,
	} {
		subprocess.Register(name, fn)
	}
}
