package interp

import (
	"fmt"
	"reflect"

	"github.com/gokernel/gokernel/interp/display"
	"github.com/gokernel/gokernel/interp/rt"
	"github.com/gokernel/gokernel/interp/subprocess"
	"github.com/gokernel/gokernel/kernel/mime"
	yaegi "github.com/traefik/yaegi/interp"
)

// What cells see besides their own code: the prelude every session
// evaluates first, the host package the preprocessor's rewrites call
// (Tick, GoStatement, the interrupt case of selects, final values), and
// the standard-library symbols replaced so that sleeps, blocking I/O and
// runtime.Goexit go through rt.

const hostPath = "gokernel/cellrt"

const prelude = `package main

import ` + mark + ` "` + hostPath + `"
import ` + mark + `fmt "fmt"
import ` + mark + `cmp "cmp"

func ` + mark + `min[T ` + mark + `cmp.Ordered](x T, ys ...T) T {
	for _, y := range ys {
		if y < x {
			x = y
		}
	}
	return x
}

func ` + mark + `max[T ` + mark + `cmp.Ordered](x T, ys ...T) T {
	for _, y := range ys {
		if y > x {
			x = y
		}
	}
	return x
}
`

// host is the package instrumented code calls, imported once by the
// prelude under the name ǂ, which no user code can spell by accident.
func (s *Session) host() yaegi.Exports {
	return yaegi.Exports{hostPath + "/cellrt": {
		"Tick":    reflect.ValueOf(rt.Tick),
		"Go":      reflect.ValueOf(rt.GoStatement),
		"Done":    reflect.ValueOf(cellDone),
		"Stop":    reflect.ValueOf(rt.Stop),
		"Repanic": reflect.ValueOf(repanic),
		"Clear":   reflect.ValueOf(clearValue),
		// The value companions of cell funcs (see companionSuffix).
		"NameFunc": reflect.ValueOf(subprocess.NameFunc),
		"Show":     reflect.ValueOf(s.show),
		"ShowRich": reflect.ValueOf(func(text, mimeType, data string) {
			setResult(mime.Bundle{Data: map[string]any{mime.Text: demangle(text), mimeType: data}})
		}),
		"ShowBundle": reflect.ValueOf(func(text string, b mime.Bundle) {
			if b.Data == nil {
				b.Data = map[string]any{}
			}
			if _, ok := b.Data[mime.Text]; !ok {
				b.Data[mime.Text] = demangle(text)
			}
			setResult(b)
		}),
		"ShowCall": reflect.ValueOf(func(text string, v any) {
			// yaegi lets a call with no result be assigned; what it
			// assigns is the function itself. No value, then.
			if rv := reflect.ValueOf(v); rv.Kind() == reflect.Func {
				return
			}
			s.show(text, v)
		}),
	}}
}

var never = make(chan struct{})

// cellDone is the channel the interrupt case added to every select waits
// on: the calling goroutine's cell's, or one that is never ready.
func cellDone() <-chan struct{} {
	if c := rt.Output(); c != nil {
		return c.Done()
	}
	return never
}

// repanic wraps recover() in cells, so user code cannot swallow an
// interrupt.
func repanic(v any) any {
	switch v.(type) {
	case rt.Interrupted, goexitPanic:
		panic(v)
	}
	return v
}

// clearValue is the clear builtin (Go 1.21), missing from yaegi.
func clearValue(x any) {
	v := reflect.ValueOf(x)
	switch v.Kind() {
	case reflect.Map:
		v.Clear()
	case reflect.Slice:
		z := reflect.Zero(v.Type().Elem())
		for i := 0; i < v.Len(); i++ {
			v.Index(i).Set(z)
		}
	default:
		panic(fmt.Sprintf("invalid argument: clear(%T): argument must be a map or slice", x))
	}
}

// show receives a cell's final value, with its text as fmt prints it
// (String and Error included). It renders through display.Value, the same
// code as display.Show, so a value looks the same either way (an image, PNG
// bytes, a timeline, a widget, any mime.Bundler or value with an HTML,
// Markdown or SVG method).
func (s *Session) show(text string, v any) {
	setResult(display.Value(v, demangle(text)))
}

// setResult keeps a cell's final value in the calling goroutine's cell (a
// late value from an abandoned cell stays with that cell).
func setResult(b mime.Bundle) {
	if c := rt.Current(); c != nil {
		if r, ok := c.Value.(*cellRun); ok {
			r.result, r.resSet = b, true
		}
	}
}

// overrides replace standard-library symbols: sleeping and blocking I/O go
// through rt, so interrupts and the emulated GIL see them.
func overrides() yaegi.Exports {
	return yaegi.Exports{
		"time/time":       {"Sleep": reflect.ValueOf(rt.Sleep)},
		"runtime/runtime": {"Goexit": reflect.ValueOf(cellGoexit)},
		"net/http/http": {
			"Get":      reflect.ValueOf(httpGet),
			"Head":     reflect.ValueOf(httpHead),
			"Post":     reflect.ValueOf(httpPost),
			"PostForm": reflect.ValueOf(httpPostForm),
		},
		"net/net": {
			"Dial":        reflect.ValueOf(netDial),
			"DialTimeout": reflect.ValueOf(netDialTimeout),
		},
	}
}

// richMethods are the methods that make a value whose type a cell
// declares render rich as a cell's final value, in order of preference.
// Compiled types are found by show's type switch; interpreted values lose
// their methods on the way to compiled code (yaegi builds their types with
// reflect, without methods), and yaegi's interface assertions on them
// fail, so the session calls the method in the cell itself.
var richMethods = []struct{ name, call string }{
	{"Bundle", mark + ".ShowBundle(" + mark + "fmt.Sprint(" + mark + "v), " + mark + "v.Bundle())\n"},
	{"HTML", mark + ".ShowRich(" + mark + "fmt.Sprint(" + mark + "v), \"" + mime.HTML + "\", " + mark + "v.HTML())\n"},
	{"SVG", mark + ".ShowRich(" + mark + "fmt.Sprint(" + mark + "v), \"" + mime.SVG + "\", " + mark + "v.SVG())\n"},
	{"Markdown", mark + ".ShowRich(" + mark + "fmt.Sprint(" + mark + "v), \"" + mime.Markdown + "\", " + mark + "v.Markdown())\n"},
}
