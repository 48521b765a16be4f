// Package symbols holds the yaegi symbol tables of the project's compiled
// packages, so cells can import them:
//
//	i := interp.New(interp.Options{})
//	i.Use(symbols.Symbols)
//	i.Eval(`import "github.com/gokernel/gokernel/interp/timeline"`)
//
// The tables are generated; to export another package add its full import
// path to the go:generate line below and run `go generate ./interp/symbols`.
package symbols

import "reflect"

// Symbols maps "import/path/name" to the package's exported symbols.
var Symbols = map[string]map[string]reflect.Value{}

//go:generate go run github.com/traefik/yaegi/cmd/yaegi extract github.com/gokernel/gokernel/kernel/mime github.com/gokernel/gokernel/interp/rt github.com/gokernel/gokernel/interp/timeline github.com/gokernel/gokernel/interp/display github.com/gokernel/gokernel/interp/bench github.com/gokernel/gokernel/interp/subprocess github.com/gokernel/gokernel/interp/gil github.com/gokernel/gokernel/interp/gil/threading github.com/gokernel/gokernel/interp/goroutines github.com/gokernel/gokernel/interp/eventloop github.com/gokernel/gokernel/interp/workloads github.com/gokernel/gokernel/interp/lesson github.com/gokernel/gokernel/interp/fidelity/mech github.com/gokernel/gokernel/interp/comm github.com/gokernel/gokernel/interp/widgets
