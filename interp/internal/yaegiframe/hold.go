package yaegiframe

import (
	"context"
	"reflect"
	"sync"

	yaegi "github.com/traefik/yaegi/interp"
)

// Holding a Debug run open past its file's end.
//
// yaegi's Debug runs a program on a goroutine of its own which, once the
// program's main returns and the go statements it ran have ended, cancels
// the Debugger's context and sets the interpreter's debugger back to nil.
// A cell's goroutines outlive the file that started them (a cell is
// several files, and `go worker(); wg.Wait()` ends a file between the two),
// and both steps broke them: a goroutine stopped at a breakpoint under the
// ended run saw the context done and returned from its function on the
// spot, and a goroutine that entered a function while the debugger was nil
// ran it without breakpoints.
//
// Hold keeps the run's goroutine waiting after main (one more count on
// what it waits for) and gives the Debugger a context of its own that is
// never cancelled: the interpreter keeps the Debugger, and stopped
// goroutines wait for a resume, until Release.

// Hold keeps dbg as the interpreter's debugger after its program ends, and
// its stopped goroutines stopped, until Release. Call it before the
// program starts (before Step or Continue). It reports whether yaegi's
// Debugger has the fields it works on; when it does not, nothing changed.
func Hold(dbg *yaegi.Debugger) bool {
	ctx, wg, ok := holdFields(dbg)
	if !ok {
		return false
	}
	ctx.Set(reflect.ValueOf(context.Background()))
	wg.Interface().(*sync.WaitGroup).Add(1)
	return true
}

// Release lets the goroutine of a run Hold kept go on to its end (the
// terminate event, the interpreter's debugger cleared).
func Release(dbg *yaegi.Debugger) {
	if _, wg, ok := holdFields(dbg); ok {
		wg.Interface().(*sync.WaitGroup).Done()
	}
}

// Result returns what the program of a held run returned (Debugger.Wait
// would wait for the context Hold replaced). Call it after the program's
// main goroutine has ended (its DebugExitGoRoutine event).
func Result(dbg *yaegi.Debugger) (reflect.Value, error) {
	dv := reflect.ValueOf(dbg).Elem()
	res, errf := dv.FieldByName("result"), dv.FieldByName("err")
	if res.Type() != reflect.TypeOf(reflect.Value{}) || errf.Type() != reflect.TypeOf((*error)(nil)).Elem() {
		return reflect.Value{}, nil
	}
	r := writable(res).Interface().(reflect.Value)
	e, _ := writable(errf).Interface().(error)
	return r, e
}

func holdFields(dbg *yaegi.Debugger) (ctx, wg reflect.Value, ok bool) {
	if dbg == nil {
		return reflect.Value{}, reflect.Value{}, false
	}
	dv := reflect.ValueOf(dbg).Elem()
	ctx, wg = dv.FieldByName("context"), dv.FieldByName("gWait")
	res, errf := dv.FieldByName("result"), dv.FieldByName("err")
	if !ctx.IsValid() || ctx.Type() != reflect.TypeOf((*context.Context)(nil)).Elem() ||
		!wg.IsValid() || wg.Type() != reflect.TypeOf(&sync.WaitGroup{}) || wg.IsNil() ||
		!res.IsValid() || res.Type() != reflect.TypeOf(reflect.Value{}) ||
		!errf.IsValid() || errf.Type() != reflect.TypeOf((*error)(nil)).Elem() {
		return reflect.Value{}, reflect.Value{}, false
	}
	return writable(ctx), writable(wg), true
}
