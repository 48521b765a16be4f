package symbols

import "testing"

func TestHooksHidden(t *testing.T) {
	for pkg, names := range hooks {
		if Symbols[pkg] == nil {
			t.Errorf("no generated table for %s", pkg)
			continue
		}
		for _, n := range names {
			if _, ok := removed[pkg][n]; !ok {
				t.Errorf("%s.%s: not in the generated table (stale entry in hooks?)", pkg, n)
			}
			if _, ok := Symbols[pkg][n]; ok {
				t.Errorf("%s.%s: still importable by cells", pkg, n)
			}
		}
	}
}
