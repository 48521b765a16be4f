package complete

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/gokernel/gokernel/interp/complete/internal/docgen"
)

// TestHelperDocsUpToDate fails when a helper package's API or doc comments
// changed since helperdocs.json was made: Shift-Tab would show stale docs.
func TestHelperDocsUpToDate(t *testing.T) {
	want, err := docgen.Generate("..")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, helperDocs) {
		have, _ := docgen.Decode(helperDocs)
		now, _ := docgen.Decode(want)
		var diff []string
		for p, fs := range now {
			if !reflect.DeepEqual(fs, have[p]) {
				diff = append(diff, p)
			}
		}
		for p := range have {
			if _, ok := now[p]; !ok {
				diff = append(diff, p+" (gone)")
			}
		}
		t.Fatalf("helperdocs.json is stale for %s: run `go generate ./interp/complete`", strings.Join(diff, ", "))
	}
}

func TestDocsFor(t *testing.T) {
	tests := []struct {
		path, name string // name: a func, type or value the doc must have
	}{
		{"fmt", "Println"},
		{"net/http", "Get"},
		{"math/rand/v2", "IntN"},
		{"builtin", "append"},
		{"github.com/gokernel/gokernel/interp/timeline", "Recorder"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			d := docsFor(tt.path)
			if d == nil {
				t.Fatalf("docsFor(%q) = nil", tt.path)
			}
			if d.funcs[tt.name] == nil && d.types[tt.name] == nil && d.values[tt.name] == nil {
				t.Errorf("docs of %q lack %q", tt.path, tt.name)
			}
			if docsFor(tt.path) != d {
				t.Errorf("docsFor(%q) is not cached", tt.path)
			}
		})
	}
	for _, bad := range []string{"", "no/such/package", "../../etc", "./fmt"} {
		if docsFor(bad) != nil {
			t.Errorf("docsFor(%q) found something", bad)
		}
	}
}
