package interp

import "testing"

// TestDeclTable exercises the notebook's declarations table alone.
func TestDeclTable(t *testing.T) {
	d := newDeclTable()
	if d.known("f") {
		t.Fatal("empty table knows f")
	}
	ov := map[string]string{}
	d.bump(ov, "f")
	if ov["f"] != "f"+mark+"1" {
		t.Fatalf("bump: %q", ov["f"])
	}
	name := d.nameIn(ov)
	if got := name("f"); got != "f"+mark+"1" {
		t.Errorf("nameIn(overlay)(f) = %q", got)
	}
	d.define("f", ov["f"], KindFunc)
	d.units["f"] = &unit{kind: string(KindFunc), names: []string{"f"}, companion: true}
	if !d.known("f") || !d.funcValue("f") {
		t.Errorf("after define: known %v, funcValue %v", d.known("f"), d.funcValue("f"))
	}
	if got := d.nameIn(nil)("f"); got != "f"+mark+"1" {
		t.Errorf("nameIn(nil)(f) = %q, want the current version", got)
	}
	d.poisoned["g"] = true
	if !d.known("g") || d.nameIn(nil)("g") != "g"+mark+"0" {
		t.Errorf("a poisoned name resolves to %q", d.nameIn(nil)("g"))
	}
	d.define("g", "g", KindVar)
	if d.poisoned["g"] || d.funcValue("g") {
		t.Error("define did not clear the poisoning, or a var is a func value")
	}
	d.imported[`m "math/rand"`] = true
	d.imported[` "strings"`] = true
	for name, want := range map[string]bool{"m": true, "strings": true, "rand": false, "fmt": false} {
		if d.importedName(name) != want {
			t.Errorf("importedName(%q) = %v, want %v", name, !want, want)
		}
	}
	u := &unit{kind: string(KindType), names: []string{"T"}}
	d.units["T"], d.units["T.M"] = u, &unit{kind: string(KindMethod), names: []string{"T.M"}}
	if us := d.sortedUnits(); len(us) != 3 || us[0] != u {
		t.Errorf("sortedUnits: %d units, first %v", len(us), us[0].names)
	}
	if !(KindType.order() < KindConst.order() && KindConst.order() < KindFunc.order() && KindFunc.order() < KindMethod.order() && KindMethod.order() < KindVar.order()) {
		t.Error("declarations are not written types, consts, funcs, methods, then the rest")
	}
}
