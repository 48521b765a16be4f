// Package notebooks holds the lesson notebooks; it has no code of its own.
// Its tests lint every notebook (kernelspec, language_info, no committed
// outputs in lessons/) on every `go test ./...`, without Jupyter.
//
// Executing the notebooks is tested from .ci/test: through nbclient and
// through `gokernel execute`, comparing the two and checking the facts each
// lesson teaches (notebooks/tests).
package notebooks
