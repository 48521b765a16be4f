package subprocess

import (
	"bufio"
	"bytes"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Values cross between processes as JSON inside gob frames.
//
// The frame (msg) is gob: a gob stream is a sequence of length-prefixed
// messages, and a []byte field is copied, not re-encoded, so a big argument
// costs one JSON encoding and one memcpy. The value inside is JSON because
// JSON needs no registration of concrete types on both sides (gob would, for
// every value held in an interface, and a type declared in a notebook cell
// has no stable name to register) and because every receiver here knows the
// type it wants (a parameter of the target function, the result type of the
// function the caller passed) and decodes straight into it. When it does not
// (a Queue's Get, a function called by name), the sender's type name picks a
// Go type from a table of common types (see RegisterType); anything else
// decodes as JSON does into any (float64, string, []any, map[string]any).

// Kinds of value.
const (
	kindJSON  byte = 0
	kindNil   byte = 'n'
	kindQueue byte = 'q' // a reference to a Queue hosted by the parent
	kindConn  byte = 'c' // a reference to one end of a Pipe
	kindGob   byte = 'g' // gob, for slices and arrays of numbers, bools and strings
)

// A value is one argument or result on the wire.
type value struct {
	K  byte   // kind
	T  string // the sender's Go type, reflect.Type.String()
	J  []byte // JSON, for kindJSON
	Q  uint64 // queue id (kindQueue; kindConn: the end's receiving queue)
	Q2 uint64 // kindConn: the end's sending queue
}

// Operations of msg.
const (
	opReady  = iota + 1 // child → parent, first message: Pid
	opLoad              // parent → child: Src (the notebook's declarations), Hash
	opTask              // parent → child: ID, Name, Sym, Cell, Calls, Exit
	opResult            // child → parent: ID, Results, T0, T1
	opPing              // parent → child: ID, Data; Echo says whether to send Data back
	opPong              // child → parent: ID, Data
	opExit              // parent → child: exit now with code 0
	opQPut              // child → parent: Q, V
	opQGet              // child → parent: ID, Q, Timeout
	opQGot              // parent → child: ID, V, Err
	opQLen              // child → parent: ID, Q
)

// msg is the one frame type of the protocol, in both directions; gob
// leaves out the zero fields, so each operation pays only for its own.
type msg struct {
	Op      int
	ID      uint64
	Pid     int
	Name    string // task: the function's registered or declared name; result/QGot: error text
	Sym     string // task: the compiled function's symbol, runtime.FuncForPC
	Cell    bool   // task: a function declared in a notebook cell
	Src     string // load: the notebook's declarations
	Hash    uint64
	Calls   [][]value // task: one argument list per call (a chunk of a map)
	Exit    bool      // task: exit after it (a Process): 0 on success, 1 on failure
	Label   string    // task: a label for the child's error messages (the process name)
	Results []result
	T0, T1  int64 // result: when the first call started and the last ended (unix ns)
	Data    []byte
	Echo    bool
	Q       uint64
	V       value
	Timeout int64 // QGet: nanoseconds; 0 waits forever
	N       int
}

type result struct {
	V     value
	Err   string
	Panic bool
}

// A link is one direction-pair of framed messages over pipes.
type link struct {
	wmu sync.Mutex
	bw  *bufio.Writer
	enc *gob.Encoder
	dec *gob.Decoder
}

func newLink(r io.Reader, w io.Writer) *link {
	bw := bufio.NewWriterSize(w, 64<<10)
	return &link{bw: bw, enc: gob.NewEncoder(bw), dec: gob.NewDecoder(bufio.NewReaderSize(r, 64<<10))}
}

func (l *link) send(m *msg) error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if err := l.enc.Encode(m); err != nil {
		return err
	}
	return l.bw.Flush()
}

func (l *link) recv(m *msg) error { return l.dec.Decode(m) }

// ErrNotEncodable is wrapped by the errors of values that cannot cross
// between processes.
var ErrNotEncodable = errors.New("subprocess: value cannot be sent to another process")

const encodableHint = "arguments and results cross between processes as JSON (slices of numbers as gob), so they must be " +
	"numbers, strings, bools, slices, arrays, maps, pointers or structs with exported fields of those " +
	"(or types with MarshalJSON); not channels, funcs, complex numbers, NaN or ±Inf"

var typeOK sync.Map // reflect.Type -> error (nil when fine)

var (
	marshalerType = reflect.TypeOf((*json.Marshaler)(nil)).Elem()
	queueType     = reflect.TypeOf((*Queue)(nil))
	connType      = reflect.TypeOf((*Conn)(nil))
)

// checkType reports why values of t cannot be encoded, or nil.
func checkType(t reflect.Type) error {
	if v, ok := typeOK.Load(t); ok {
		if v == nil {
			return nil
		}
		return v.(error)
	}
	err := walkType(t, map[reflect.Type]bool{})
	if err == nil {
		typeOK.Store(t, nil)
	} else {
		typeOK.Store(t, err)
	}
	return err
}

func walkType(t reflect.Type, seen map[reflect.Type]bool) error {
	if seen[t] {
		return nil
	}
	seen[t] = true
	if t == queueType || t == connType {
		return nil
	}
	if t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType) {
		return nil
	}
	switch t.Kind() {
	case reflect.Chan, reflect.Func, reflect.Complex64, reflect.Complex128, reflect.UnsafePointer, reflect.Uintptr:
		return fmt.Errorf("type %s cannot be encoded", t)
	case reflect.Slice, reflect.Array, reflect.Pointer:
		return walkType(t.Elem(), seen)
	case reflect.Map:
		switch t.Key().Kind() {
		case reflect.String, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		default:
			if !t.Key().Implements(reflect.TypeOf((*interface{ MarshalText() ([]byte, error) })(nil)).Elem()) {
				return fmt.Errorf("map key type %s cannot be encoded (JSON keys are strings or integers)", t.Key())
			}
		}
		return walkType(t.Elem(), seen)
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() && !f.Anonymous {
				return fmt.Errorf("field %s of %s is unexported and would be lost", f.Name, t)
			}
			if f.Tag.Get("json") == "-" {
				continue
			}
			if err := walkType(f.Type, seen); err != nil {
				return fmt.Errorf("field %s of %s: %w", f.Name, t, err)
			}
		}
	}
	return nil
}

// encode turns v into a value; what names the value in errors ("argument 2
// of square").
func encode(v any, what string) (value, error) {
	switch x := v.(type) {
	case nil:
		return value{K: kindNil}, nil
	case *Queue:
		if x == nil {
			return value{K: kindNil}, nil
		}
		return value{K: kindQueue, Q: x.id}, nil
	case *Conn:
		if x == nil {
			return value{K: kindNil}, nil
		}
		return value{K: kindConn, Q: x.in.id, Q2: x.out.id}, nil
	}
	t := reflect.TypeOf(v)
	if plain(t, true) {
		// Slices of numbers are the bulk of what lessons send (lists to
		// sort, chunks to sum): gob moves them 5× faster than JSON.
		rv := reflect.ValueOf(v)
		if rv.Len() > 0 { // gob makes an empty slice nil; JSON keeps it

			var buf bytes.Buffer
			if err := gob.NewEncoder(&buf).EncodeValue(rv); err == nil {
				return value{K: kindGob, T: t.String(), J: buf.Bytes()}, nil
			}
		}
	}
	if err := checkType(t); err != nil {
		return value{}, fmt.Errorf("subprocess: %s (%s) cannot be sent to another process: %v; %s: %w", what, t, err, encodableHint, ErrNotEncodable)
	}
	j, err := json.Marshal(v)
	if err != nil {
		return value{}, fmt.Errorf("subprocess: %s (%s) cannot be sent to another process: %v; %s: %w", what, t, err, encodableHint, ErrNotEncodable)
	}
	return value{T: t.String(), J: j}, nil
}

// decode turns a value into a Go value of type t (nil t: pick one from the
// sender's type name). link is the child's link to the parent, for queue
// references received by a child; nil in the parent.
func decode(v value, t reflect.Type, c *child) (reflect.Value, error) {
	if t == nil || t.Kind() == reflect.Interface {
		x, err := decodeAny(v, c)
		if err != nil {
			return reflect.Value{}, err
		}
		if t == nil {
			t = reflect.TypeOf((*any)(nil)).Elem()
		}
		if x == nil {
			return reflect.Zero(t), nil
		}
		rv := reflect.ValueOf(x)
		if !rv.Type().AssignableTo(t) {
			return reflect.Value{}, fmt.Errorf("subprocess: a %s cannot be used as %s", rv.Type(), t)
		}
		out := reflect.New(t).Elem()
		out.Set(rv)
		return out, nil
	}
	switch v.K {
	case kindNil:
		return reflect.Zero(t), nil
	case kindQueue:
		if t != queueType {
			return reflect.Value{}, fmt.Errorf("subprocess: a Queue cannot be used as %s", t)
		}
		return reflect.ValueOf(queueRef(v.Q, c)), nil
	case kindConn:
		if t != connType {
			return reflect.Value{}, fmt.Errorf("subprocess: a pipe Conn cannot be used as %s", t)
		}
		return reflect.ValueOf(&Conn{in: queueRef(v.Q, c), out: queueRef(v.Q2, c)}), nil
	}
	p := reflect.New(t)
	var err error
	if v.K == kindGob {
		err = gob.NewDecoder(bytes.NewReader(v.J)).DecodeValue(p)
	} else {
		err = json.Unmarshal(v.J, p.Interface())
	}
	if err != nil {
		return reflect.Value{}, fmt.Errorf("subprocess: a %s sent by the other process cannot be decoded as %s: %v", v.T, t, err)
	}
	return p.Elem(), nil
}

// plain reports whether t is made only of slices and arrays of predeclared
// numbers, bools and strings ([]int, [][]float64, [4]string): the types
// sent as gob, whose name alone tells how to decode them.
func plain(t reflect.Type, top bool) bool {
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return t.Name() == "" && plain(t.Elem(), false)
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.String:
		return !top && t.PkgPath() == "" && basicTypes[t.Name()] == t
	}
	return false
}

var basicTypes = map[string]reflect.Type{}

func init() {
	for _, v := range []any{false, 0, int8(0), int16(0), int32(0), int64(0), uint(0), uint8(0), uint16(0),
		uint32(0), uint64(0), float32(0), float64(0), ""} {
		basicTypes[reflect.TypeOf(v).Name()] = reflect.TypeOf(v)
	}
}

// plainType rebuilds a plain type from its name.
func plainType(name string) reflect.Type {
	switch {
	case strings.HasPrefix(name, "[]"):
		if e := plainType(name[2:]); e != nil {
			return reflect.SliceOf(e)
		}
	case strings.HasPrefix(name, "["):
		i := strings.IndexByte(name, ']')
		n, err := strconv.Atoi(name[1:max(i, 1)])
		if i > 0 && err == nil && n >= 0 {
			if e := plainType(name[i+1:]); e != nil {
				return reflect.ArrayOf(n, e)
			}
		}
	default:
		return basicTypes[name]
	}
	return nil
}

func decodeAny(v value, c *child) (any, error) {
	switch v.K {
	case kindNil:
		return nil, nil
	case kindQueue:
		return queueRef(v.Q, c), nil
	case kindConn:
		return &Conn{in: queueRef(v.Q, c), out: queueRef(v.Q2, c)}, nil
	}
	if v.K == kindGob {
		t := plainType(v.T)
		if t == nil {
			return nil, fmt.Errorf("subprocess: a %s sent by the other process cannot be decoded", v.T)
		}
		x, err := decode(v, t, c)
		if err != nil {
			return nil, err
		}
		return x.Interface(), nil
	}
	if t := knownType(v.T); t != nil {
		p := reflect.New(t)
		if err := json.Unmarshal(v.J, p.Interface()); err == nil {
			return p.Elem().Interface(), nil
		}
	}
	var x any
	if err := json.Unmarshal(v.J, &x); err != nil {
		return nil, fmt.Errorf("subprocess: a %s sent by the other process cannot be decoded: %v", v.T, err)
	}
	return x, nil
}

var types sync.Map // type name -> reflect.Type

func init() {
	for _, v := range []any{
		false, 0, int8(0), int16(0), int32(0), int64(0), uint(0), uint8(0), uint16(0), uint32(0), uint64(0),
		float32(0), float64(0), "", []byte(nil), []int(nil), []int64(nil), []int32(nil), []float64(nil),
		[]float32(nil), []string(nil), []bool(nil), [][]int(nil), [][]float64(nil), [][]string(nil), []any(nil),
		map[string]int(nil), map[string]float64(nil), map[string]string(nil), map[string]any(nil),
		map[int]int(nil), map[string][]int(nil), time.Duration(0), time.Time{}, []time.Duration(nil),
	} {
		RegisterType(v)
	}
}

// RegisterType lets values of v's type come back as that type where the
// receiver does not know what to expect (a Queue's Get, a function called by
// its name), as gob.Register does. Common types (numbers, strings, slices
// and maps of them, time.Duration, time.Time) are registered already;
// others come back as JSON decodes into any (map[string]any for a struct).
func RegisterType(v any) {
	if v == nil {
		return
	}
	t := reflect.TypeOf(v)
	types.Store(t.String(), t)
}

func knownType(name string) reflect.Type {
	if t, ok := types.Load(name); ok {
		return t.(reflect.Type)
	}
	return nil
}
