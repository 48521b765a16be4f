package interp

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/mime"
)

func TestAutoImport(t *testing.T) {
	tests := []struct {
		name, code string
		want       []string
	}{
		{"stdlib", `fmt.Println(strings.ToUpper("a"))`, []string{"fmt", "strings"}},
		{"already imported", "import \"fmt\"\nfmt.Println(1)", nil},
		{"declared name wins", "fmt := struct{ Println func() }{}\nfmt.Println()", nil},
		{"disambiguated by members", `rand.Intn(3)`, []string{"math/rand"}},
		{"helper package", `display.Show(1)`, []string{"github.com/gokernel/gokernel/interp/display"}},
		{"unknown member", `fmt.NoSuchThing()`, nil},
		{"inside a func decl", "func f() { time.Sleep(1) }", []string{"time"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := autoImports(tt.code, func(string) bool { return false }, func(string) bool { return false })
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("autoImports = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAutoImportInSession(t *testing.T) {
	s, err := NewSession(Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rec := &mime.Recorder{}
	if _, err := s.Execute(ctx, `fmt.Println(strings.Repeat("ab", 2))`, rec); err != nil {
		t.Fatal(err)
	}
	if got := rec.Stdout(); got != "abab\n" {
		t.Fatalf("stdout = %q", got)
	}
	// A user's own variable named like a package is never replaced.
	rec = &mime.Recorder{}
	b, err := s.Execute(ctx, "type T struct{ N int }\nfunc (T) Sprint() string { return \"mine\" }\nvar sprintf = T{}\nsprintf.Sprint()", rec)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Data[mime.Text]; got != "mine" {
		t.Fatalf("Out = %v, want mine", got)
	}
}
