package widgets

import (
	"encoding/json"
	"fmt"
	"sync"
)

// A prop is an attribute Go code reads and observes (a widget's value):
// typed, kept in step with the model's JSON state.
type prop[T comparable] struct {
	m     *Model
	key   string
	check func(T) error // nil: any value of T is valid

	mu  sync.Mutex
	v   T
	obs []func(T)
}

func newProp[T comparable](m *Model, key string, v T) *prop[T] {
	p := &prop[T]{m: m, key: key, v: v}
	m.decoders[key] = p.decode
	return p
}

func (p *prop[T]) get() T {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.v
}

// set changes the value from Go: the frontend is told, and observers run
// when it changed.
func (p *prop[T]) set(v T) {
	p.mu.Lock()
	old := p.v
	p.v = v
	p.mu.Unlock()
	p.m.Set(p.key, v)
	if old != v {
		p.notify(v, false)
	}
}

// decode takes a value from the frontend; the returned func runs the
// observers, if the value changed.
func (p *prop[T]) decode(raw json.RawMessage) (func(bool), error) {
	var v T
	if string(raw) == "null" || json.Unmarshal(raw, &v) != nil {
		var zero T
		return nil, fmt.Errorf("want %T, got %s", zero, shorten(raw))
	}
	if p.check != nil {
		if err := p.check(v); err != nil {
			return nil, err
		}
	}
	p.mu.Lock()
	old := p.v
	p.v = v
	p.mu.Unlock()
	p.m.mu.Lock()
	p.m.state[p.key] = v
	p.m.mu.Unlock()
	if old == v {
		return nil, nil
	}
	return func(superseded bool) { p.notify(v, superseded) }, nil
}

func (p *prop[T]) observe(f func(T)) {
	if f == nil {
		return
	}
	p.mu.Lock()
	p.obs = append(p.obs, f)
	p.mu.Unlock()
}

func (p *prop[T]) notify(v T, superseded bool) {
	p.mu.Lock()
	obs := make([]func(T), len(p.obs))
	copy(obs, p.obs)
	p.mu.Unlock()
	for _, f := range obs {
		p.m.protect("observer", func() { f(v) })
	}
	p.m.changed(superseded)
}

func shorten(b []byte) string {
	if len(b) > 60 {
		return string(b[:60]) + "..."
	}
	return string(b)
}
