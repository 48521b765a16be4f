package subprocess

import (
	"math"
	"reflect"
	"testing"
	"time"
)

type vec []float64

func TestCodecRoundTrip(t *testing.T) {
	cases := []struct {
		name   string
		in     any
		target reflect.Type // nil: decode without knowing the type
		want   any
		gob    bool
	}{
		{"int", 42, nil, 42, false},
		{"int into int64", 42, reflect.TypeOf(int64(0)), int64(42), false},
		{"float", 2.5, nil, 2.5, false},
		{"string", "héllo", nil, "héllo", false},
		{"bool", true, nil, true, false},
		{"nil", nil, nil, nil, false},
		{"[]int", []int{1, 2, 3}, nil, []int{1, 2, 3}, true},
		{"[]int into []int64", []int{1, 2}, reflect.TypeOf([]int64(nil)), []int64{1, 2}, true},
		{"[][]int", [][]int{{1}, {2, 3}}, nil, [][]int{{1}, {2, 3}}, true},
		{"[3]string", [3]string{"a", "b", "c"}, nil, [3]string{"a", "b", "c"}, true},
		{"[]byte", []byte("raw"), nil, []byte("raw"), true},
		{"[]float64 with NaN", []float64{1, math.Inf(1)}, nil, []float64{1, math.Inf(1)}, true},
		{"empty slice", []int{}, nil, []int{}, false},
		{"nil slice", []int(nil), nil, []int(nil), false},
		{"map", map[string]int{"a": 1}, nil, map[string]int{"a": 1}, false},
		{"struct, known", point{1, 2}, reflect.TypeOf(point{}), point{1, 2}, false},
		{"struct, unknown", point{1, 2}, nil, map[string]any{"X": 1.0, "Y": 2.0}, false},
		{"duration", 3 * time.Second, nil, 3 * time.Second, false},
		{"named slice, unknown", vec{1, 2}, nil, []any{1.0, 2.0}, false},
		{"named slice, known", vec{1, 2}, reflect.TypeOf(vec{}), vec{1, 2}, false},
		{"pointer", &point{3, 4}, reflect.TypeOf(&point{}), &point{3, 4}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := encode(c.in, "the value")
			if err != nil {
				t.Fatal(err)
			}
			if (v.K == kindGob) != c.gob {
				t.Errorf("kind %q, want gob %v", v.K, c.gob)
			}
			got, err := decode(v, c.target, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Interface(), c.want) {
				t.Errorf("got %#v, want %#v", got.Interface(), c.want)
			}
		})
	}
}

func TestPlainType(t *testing.T) {
	for _, v := range []any{[]int{}, [][]float64{}, [2][]string{}, []uint8{}, [][3]bool{}} {
		typ := reflect.TypeOf(v)
		if !plain(typ, true) || plainType(typ.String()) != typ {
			t.Errorf("%s: plain %v, rebuilt %v", typ, plain(typ, true), plainType(typ.String()))
		}
	}
	for _, v := range []any{0, "", vec{}, []time.Duration{}, []any{}, map[string]int{}, []point{}} {
		if plain(reflect.TypeOf(v), true) {
			t.Errorf("%T counted as plain", v)
		}
	}
}
