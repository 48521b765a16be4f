package complete

import (
	"go/constant"
	"go/token"
	"go/types"
	"reflect"
	"sort"
	"strings"
	"sync"
)

// The interpreter knows compiled packages only through yaegi's symbol tables:
// maps from exported name to reflect.Value. To let go/types check cells that
// call them, this file turns those tables into *types.Package values. Doing
// it from reflect (not from GOROOT sources) is fast, needs no toolchain at run
// time, and lists exactly what a cell can use.
//
// Converted types are cached for the life of the process: a reflect.Type
// never changes, so neither does its go/types twin.
var conv = &converter{
	types: map[reflect.Type]types.Type{},
	pkgs:  map[string]*types.Package{},
	built: map[pkgKey]*types.Package{},
}

type converter struct {
	mu    sync.Mutex
	types map[reflect.Type]types.Type
	pkgs  map[string]*types.Package // package objects that named types belong to, by path
	built map[pkgKey]*types.Package // packages made from one symbol table
}

// pkgKey identifies a symbol table: its path and the map's identity, so two
// Scopes with different tables for one path (tests do that) do not collide.
type pkgKey struct {
	path string
	m    uintptr
}

// symbolKind classifies one entry of a yaegi symbol table, following the
// shapes `yaegi extract` writes: types as (*T)(nil), variables as
// addressable values, untyped constants as constant.Value.
type symbolKind int

const (
	symFunc symbolKind = iota
	symType
	symVar
	symConst
)

var constantValueType = reflect.TypeOf((*constant.Value)(nil)).Elem()

func kindOf(v reflect.Value) symbolKind {
	switch {
	case !v.IsValid():
		return symConst
	case v.CanAddr():
		return symVar
	case v.Kind() == reflect.Ptr && v.IsNil():
		return symType
	case v.Kind() == reflect.Func:
		return symFunc
	}
	return symConst
}

// pkg returns the package object for path, making an empty one if needed.
// Caller holds c.mu.
func (c *converter) pkg(path string, name string) *types.Package {
	if p, ok := c.pkgs[path]; ok {
		return p
	}
	if name == "" {
		name = path[strings.LastIndex(path, "/")+1:]
	}
	p := types.NewPackage(path, name)
	c.pkgs[path] = p
	return p
}

// fromTable builds (once per table) the package path whose exported symbols
// are in table. Names starting with "_" are yaegi's interface wrappers.
func (c *converter) fromTable(path string, table map[string]reflect.Value) *types.Package {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := pkgKey{path, reflect.ValueOf(table).Pointer()}
	if p, ok := c.built[key]; ok {
		return p
	}
	name := path[strings.LastIndex(path, "/")+1:]
	if strings.HasPrefix(name, "v") && len(name) > 1 && strings.Trim(name[1:], "0123456789") == "" {
		// math/rand/v2 is package rand.
		if i := strings.LastIndex(path, "/"); i > 0 {
			base := path[:i]
			name = base[strings.LastIndex(base, "/")+1:]
		}
	}
	p := c.pkg(path, name)
	scope := p.Scope()
	names := make([]string, 0, len(table))
	for n := range table {
		if n != "" && n[0] != '_' && token.IsExported(n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		v := table[n]
		if scope.Lookup(n) != nil {
			continue
		}
		var obj types.Object
		switch kindOf(v) {
		case symType:
			t := v.Type().Elem()
			if tt, ok := c.typ(t).(*types.Named); ok && tt.Obj().Pkg() == p && tt.Obj().Name() == n {
				obj = tt.Obj()
			} else {
				// An alias (type A = B) or a type from elsewhere.
				obj = types.NewTypeName(token.NoPos, p, n, c.typ(t))
			}
		case symVar:
			obj = types.NewVar(token.NoPos, p, n, c.typ(v.Type()))
		case symFunc:
			sig, _ := c.typ(v.Type()).(*types.Signature)
			if sig == nil {
				continue
			}
			obj = types.NewFunc(token.NoPos, p, n, sig)
		case symConst:
			obj = c.constant(p, n, v)
		}
		if obj != nil && scope.Lookup(n) == nil {
			scope.Insert(obj)
		}
	}
	p.MarkComplete()
	c.built[key] = p
	return p
}

func (c *converter) constant(p *types.Package, name string, v reflect.Value) types.Object {
	if !v.IsValid() {
		return nil
	}
	if v.Type() == constantValueType || v.Type().Implements(constantValueType) {
		cv, _ := v.Interface().(constant.Value)
		if cv == nil {
			return nil
		}
		var t types.Type
		switch cv.Kind() {
		case constant.Bool:
			t = types.Typ[types.UntypedBool]
		case constant.String:
			t = types.Typ[types.UntypedString]
		case constant.Int:
			t = types.Typ[types.UntypedInt]
		case constant.Float:
			t = types.Typ[types.UntypedFloat]
		case constant.Complex:
			t = types.Typ[types.UntypedComplex]
		default:
			return nil
		}
		return types.NewConst(token.NoPos, p, name, t, cv)
	}
	t := c.typ(v.Type())
	var cv constant.Value
	switch v.Kind() {
	case reflect.Bool:
		cv = constant.MakeBool(v.Bool())
	case reflect.String:
		cv = constant.MakeString(v.String())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		cv = constant.MakeInt64(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		cv = constant.MakeUint64(v.Uint())
	case reflect.Float32, reflect.Float64:
		cv = constant.MakeFloat64(v.Float())
	default:
		// Not a constant shape go/types accepts: describe it as a variable.
		return types.NewVar(token.NoPos, p, name, t)
	}
	return types.NewConst(token.NoPos, p, name, t, cv)
}

var basicKinds = map[reflect.Kind]types.BasicKind{
	reflect.Bool: types.Bool, reflect.Int: types.Int, reflect.Int8: types.Int8,
	reflect.Int16: types.Int16, reflect.Int32: types.Int32, reflect.Int64: types.Int64,
	reflect.Uint: types.Uint, reflect.Uint8: types.Byte, // reflect cannot tell; []byte is what APIs say reflect.Uint16: types.Uint16,
	reflect.Uint32: types.Uint32, reflect.Uint64: types.Uint64, reflect.Uintptr: types.Uintptr,
	reflect.Float32: types.Float32, reflect.Float64: types.Float64,
	reflect.Complex64: types.Complex64, reflect.Complex128: types.Complex128,
	reflect.String: types.String, reflect.UnsafePointer: types.UnsafePointer,
}

var errorType = reflect.TypeOf((*error)(nil)).Elem()

// typ converts t. Caller holds c.mu.
func (c *converter) typ(t reflect.Type) types.Type {
	if tt, ok := c.types[t]; ok {
		return tt
	}
	if t == errorType {
		return types.Universe.Lookup("error").Type()
	}
	if t.Name() != "" && t.PkgPath() != "" {
		return c.named(t)
	}
	if t.Name() != "" {
		// Predeclared: int, string, byte (uint8), rune (int32), ...
		if k, ok := basicKinds[t.Kind()]; ok {
			tt := types.Typ[k]
			c.types[t] = tt
			return tt
		}
	}
	tt := c.unnamed(t)
	c.types[t] = tt
	return tt
}

func (c *converter) named(t reflect.Type) types.Type {
	name := t.Name()
	if i := strings.IndexByte(name, '['); i >= 0 {
		name = name[:i] // an instantiated generic type: keep the base name
	}
	pkgName := ""
	if s := t.String(); strings.Contains(s, ".") {
		pkgName = s[:strings.IndexByte(s, '.')]
		pkgName = strings.TrimLeft(pkgName, "*[]")
	}
	p := c.pkg(t.PkgPath(), pkgName)
	tn := types.NewTypeName(token.NoPos, p, name, nil)
	n := types.NewNamed(tn, nil, nil)
	c.types[t] = n // before recursing: types refer to themselves
	if p.Scope().Lookup(name) == nil {
		p.Scope().Insert(tn)
	}
	n.SetUnderlying(c.unnamed(t).Underlying())
	if t.Kind() == reflect.Interface {
		return n
	}
	// Methods: reflect lists exported methods with the receiver as first
	// parameter; value-receiver methods are also in *T's set, so take T's
	// set first and then what *T adds.
	seen := map[string]bool{}
	add := func(rt reflect.Type, ptr bool) {
		for i := 0; i < rt.NumMethod(); i++ {
			m := rt.Method(i)
			if seen[m.Name] {
				continue
			}
			seen[m.Name] = true
			var recvT types.Type = n
			if ptr {
				recvT = types.NewPointer(n)
			}
			recv := types.NewVar(token.NoPos, p, "", recvT)
			sig := c.signature(m.Type, 1, recv)
			n.AddMethod(types.NewFunc(token.NoPos, p, m.Name, sig))
		}
	}
	add(t, false)
	add(reflect.PointerTo(t), true)
	return n
}

// unnamed converts the structure of t, ignoring its name.
func (c *converter) unnamed(t reflect.Type) types.Type {
	if k, ok := basicKinds[t.Kind()]; ok {
		return types.Typ[k]
	}
	switch t.Kind() {
	case reflect.Ptr:
		return types.NewPointer(c.typ(t.Elem()))
	case reflect.Slice:
		return types.NewSlice(c.typ(t.Elem()))
	case reflect.Array:
		return types.NewArray(c.typ(t.Elem()), int64(t.Len()))
	case reflect.Map:
		return types.NewMap(c.typ(t.Key()), c.typ(t.Elem()))
	case reflect.Chan:
		dir := types.SendRecv
		switch t.ChanDir() {
		case reflect.SendDir:
			dir = types.SendOnly
		case reflect.RecvDir:
			dir = types.RecvOnly
		}
		return types.NewChan(dir, c.typ(t.Elem()))
	case reflect.Func:
		return c.signature(t, 0, nil)
	case reflect.Struct:
		fields := make([]*types.Var, 0, t.NumField())
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			var fp *types.Package
			if f.PkgPath != "" {
				fp = c.pkg(f.PkgPath, "")
			} else if t.PkgPath() != "" {
				fp = c.pkg(t.PkgPath(), "")
			}
			fields = append(fields, types.NewField(token.NoPos, fp, f.Name, c.typ(f.Type), f.Anonymous))
		}
		return types.NewStruct(fields, nil)
	case reflect.Interface:
		if t.NumMethod() == 0 {
			return types.Universe.Lookup("any").Type().Underlying()
		}
		var p *types.Package
		if t.PkgPath() != "" {
			p = c.pkg(t.PkgPath(), "")
		}
		ms := make([]*types.Func, 0, t.NumMethod())
		for i := 0; i < t.NumMethod(); i++ {
			m := t.Method(i)
			ms = append(ms, types.NewFunc(token.NoPos, p, m.Name, c.signature(m.Type, 0, nil)))
		}
		return types.NewInterfaceType(ms, nil).Complete()
	}
	return types.Typ[types.Invalid]
}

// signature converts a func type, skipping its first skip parameters (the
// receiver of a method value taken from reflect.Type.Method).
func (c *converter) signature(t reflect.Type, skip int, recv *types.Var) *types.Signature {
	var params, results []*types.Var
	for i := skip; i < t.NumIn(); i++ {
		params = append(params, types.NewParam(token.NoPos, nil, "", c.typ(t.In(i))))
	}
	for i := 0; i < t.NumOut(); i++ {
		results = append(results, types.NewParam(token.NoPos, nil, "", c.typ(t.Out(i))))
	}
	return types.NewSignatureType(recv, nil, nil, types.NewTuple(params...), types.NewTuple(results...), t.IsVariadic())
}

// typeOf converts a single reflect.Type (for callers outside an import).
func (c *converter) typeOf(t reflect.Type) types.Type {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.typ(t)
}
