package complete

import (
	"go/types"
	"reflect"
	"strings"
	"testing"
)

func TestFromTable(t *testing.T) {
	pkg := conv.fromTable("math/rand", testTables["math/rand/rand"])
	if pkg.Name() != "rand" || !pkg.Complete() {
		t.Fatalf("package %q complete=%v", pkg.Name(), pkg.Complete())
	}
	tests := []struct {
		name, want string // want: types.ObjectString relative to the package
	}{
		{"New", "func New(src Source) *Rand"},
		{"Intn", "func Intn(int) int"},
		{"Rand", "type Rand struct{"},
		{"Source", "type Source interface{Int63() int64; Seed(int64)}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := pkg.Scope().Lookup(tt.name)
			if obj == nil {
				t.Fatalf("%s missing", tt.name)
			}
			got := types.ObjectString(obj, types.RelativeTo(pkg))
			// reflect has no parameter names: compare without them.
			want := strings.Replace(tt.want, "src ", "", 1)
			if !strings.HasPrefix(got, want) {
				t.Errorf("got %q, want prefix %q", got, want)
			}
		})
	}
	// Methods with pointer receivers are in *Rand's method set.
	rnd := pkg.Scope().Lookup("Rand").Type()
	ms := types.NewMethodSet(types.NewPointer(rnd))
	if ms.Lookup(pkg, "Intn") == nil {
		t.Errorf("(*Rand).Intn missing from %v", ms)
	}
	if again := conv.fromTable("math/rand", testTables["math/rand/rand"]); again != pkg {
		t.Errorf("fromTable does not cache")
	}
}

func TestKindOf(t *testing.T) {
	x := 3
	tests := []struct {
		name string
		v    reflect.Value
		want symbolKind
	}{
		{"func", reflect.ValueOf(strings.Repeat), symFunc},
		{"type", reflect.ValueOf((*strings.Builder)(nil)), symType},
		{"var", reflect.ValueOf(&x).Elem(), symVar},
		{"typed const", reflect.ValueOf(3), symConst},
		{"invalid", reflect.Value{}, symConst},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := kindOf(tt.v); got != tt.want {
				t.Errorf("kindOf = %v, want %v", got, tt.want)
			}
		})
	}
}
