package display

import (
	"fmt"
	"html"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gokernel/gokernel/kernel/mime"
)

// A Table is rows under named columns. It displays as an HTML table and an
// aligned text/plain table; durations are formatted for people ("45.6 ms")
// and numbers are aligned right.
type Table struct {
	Title   string
	Columns []string
	Rows    [][]any
}

// NewTable returns a table with the given columns and no rows.
func NewTable(title string, columns ...string) *Table {
	return &Table{Title: title, Columns: columns}
}

// AddRow appends a row; cells beyond the columns are dropped, missing ones
// are blank.
func (t *Table) AddRow(cells ...any) *Table {
	t.Rows = append(t.Rows, cells)
	return t
}

// TableOf makes a table from
//
//   - a slice or array of structs (or pointers to them): a row per element,
//     a column per exported field, named by a `display:"name"` tag when
//     there is one (`display:"-"` leaves the field out);
//   - a slice of maps with string keys: a column per key (sorted);
//   - a map: a row per key (sorted), then the value's fields if it is a
//     struct, else one "value" column;
//   - [][]string or [][]any: the first row is the header;
//   - a single struct: a row per field;
//   - a slice of anything else: one "value" column;
//   - a Table or *Table: itself.
//
// Anything else gives a one-cell table saying what it got.
func TableOf(v any) Table {
	switch x := v.(type) {
	case Table:
		return x
	case *Table:
		if x != nil {
			return *x
		}
	case [][]string:
		t := Table{}
		for i, r := range x {
			if i == 0 {
				t.Columns = r
				continue
			}
			row := make([]any, len(r))
			for j, c := range r {
				row[j] = c
			}
			t.Rows = append(t.Rows, row)
		}
		return t
	case [][]any:
		t := Table{}
		for i, r := range x {
			if i == 0 {
				for _, c := range r {
					t.Columns = append(t.Columns, fmt.Sprint(c))
				}
				continue
			}
			t.Rows = append(t.Rows, r)
		}
		return t
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		return tableOfSlice(rv)
	case reflect.Map:
		return tableOfMap(rv)
	case reflect.Struct:
		t := Table{Columns: []string{"field", "value"}}
		for _, f := range fieldsOf(rv.Type()) {
			t.Rows = append(t.Rows, []any{f.name, rv.FieldByIndex(f.index).Interface()})
		}
		return t
	}
	return Table{Columns: []string{"value"}, Rows: [][]any{{fmt.Sprintf("display: cannot make a table of %T", v)}}}
}

type field struct {
	name  string
	index []int
}

func fieldsOf(t reflect.Type) []field {
	var fs []field
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous && f.Type.Kind() == reflect.Struct {
			continue
		}
		name := f.Name
		if tag, ok := f.Tag.Lookup("display"); ok {
			if tag == "-" {
				continue
			}
			if tag != "" {
				name = tag
			}
		}
		fs = append(fs, field{name, f.Index})
	}
	return fs
}

func structType(t reflect.Type) (reflect.Type, bool) {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t, t.Kind() == reflect.Struct
}

// deref returns the struct v holds, or false for a nil pointer.
func deref(v reflect.Value) (reflect.Value, bool) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return v, false
		}
		v = v.Elem()
	}
	return v, true
}

func tableOfSlice(rv reflect.Value) Table {
	et := rv.Type().Elem()
	if st, ok := structType(et); ok {
		fs := fieldsOf(st)
		t := Table{}
		for _, f := range fs {
			t.Columns = append(t.Columns, f.name)
		}
		for i := 0; i < rv.Len(); i++ {
			e, ok := deref(rv.Index(i))
			row := make([]any, len(fs))
			if ok {
				for j, f := range fs {
					row[j] = e.FieldByIndex(f.index).Interface()
				}
			}
			t.Rows = append(t.Rows, row)
		}
		return t
	}
	if et.Kind() == reflect.Map && et.Key().Kind() == reflect.String {
		keys := map[string]bool{}
		for i := 0; i < rv.Len(); i++ {
			for _, k := range rv.Index(i).MapKeys() {
				keys[k.String()] = true
			}
		}
		t := Table{}
		for k := range keys {
			t.Columns = append(t.Columns, k)
		}
		sort.Strings(t.Columns)
		for i := 0; i < rv.Len(); i++ {
			m := rv.Index(i)
			row := make([]any, len(t.Columns))
			for j, c := range t.Columns {
				if v := m.MapIndex(reflect.ValueOf(c).Convert(et.Key())); v.IsValid() {
					row[j] = v.Interface()
				}
			}
			t.Rows = append(t.Rows, row)
		}
		return t
	}
	t := Table{Columns: []string{"value"}}
	for i := 0; i < rv.Len(); i++ {
		t.Rows = append(t.Rows, []any{rv.Index(i).Interface()})
	}
	return t
}

func tableOfMap(rv reflect.Value) Table {
	keys := rv.MapKeys()
	sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i].Interface()) < fmt.Sprint(keys[j].Interface()) })
	t := Table{Columns: []string{"key"}}
	st, isStruct := structType(rv.Type().Elem())
	var fs []field
	if isStruct {
		fs = fieldsOf(st)
		for _, f := range fs {
			t.Columns = append(t.Columns, f.name)
		}
	} else {
		t.Columns = append(t.Columns, "value")
	}
	for _, k := range keys {
		row := []any{k.Interface()}
		v := rv.MapIndex(k)
		if isStruct {
			e, ok := deref(v)
			for _, f := range fs {
				if ok {
					row = append(row, e.FieldByIndex(f.index).Interface())
				} else {
					row = append(row, nil)
				}
			}
		} else {
			row = append(row, v.Interface())
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// A Ratio is a speedup or a slowdown, shown as "3.64×" and aligned right.
type Ratio float64

func (r Ratio) String() string {
	if math.IsNaN(float64(r)) || math.IsInf(float64(r), 0) || r <= 0 {
		return "n/a"
	}
	return strconv.FormatFloat(float64(r), 'f', 2, 64) + "×"
}

// Cell formats one table cell and tells whether it is a number (aligned
// right).
func Cell(v any) (s string, numeric bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case time.Duration:
		return Duration(x), true
	case Ratio:
		return x.String(), true
	case float64:
		return Number(x), true
	case float32:
		return Number(float64(x)), true
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, uintptr:
		return fmt.Sprint(x), true
	case string:
		return x, false
	case fmt.Stringer:
		return x.String(), false
	case error:
		return x.Error(), false
	}
	return fmt.Sprint(v), false
}

type cells struct {
	head    []string
	body    [][]string
	numeric []bool // per column: every non-empty cell is a number
}

func (t Table) cells() cells {
	n := len(t.Columns)
	for _, r := range t.Rows {
		n = max(n, len(r))
	}
	c := cells{head: make([]string, n), numeric: make([]bool, n)}
	copy(c.head, t.Columns)
	seen := make([]bool, n)
	for i := range c.numeric {
		c.numeric[i] = true
	}
	for _, r := range t.Rows {
		row := make([]string, n)
		for j := range row {
			if j >= len(r) {
				continue
			}
			s, num := Cell(r[j])
			row[j] = s
			if s != "" && s != "-" && s != "…" { // placeholders do not decide alignment
				seen[j] = true
				c.numeric[j] = c.numeric[j] && num
			}
		}
		c.body = append(c.body, row)
	}
	for j := range c.numeric {
		c.numeric[j] = c.numeric[j] && seen[j]
	}
	return c
}

// Bundle implements mime.Bundler: an HTML table and an aligned text table.
func (t Table) Bundle() mime.Bundle {
	return mime.Bundle{Data: map[string]any{mime.HTML: t.HTML(), mime.Text: t.String()}}
}

// HTML returns the table as an HTML fragment.
func (t Table) HTML() string {
	c := t.cells()
	var b strings.Builder
	b.WriteString("<table>\n")
	if t.Title != "" {
		fmt.Fprintf(&b, "<caption style=\"text-align:left;font-weight:bold\">%s</caption>\n", html.EscapeString(t.Title))
	}
	align := func(j int) string {
		if c.numeric[j] {
			return ` style="text-align:right"`
		}
		return ` style="text-align:left"`
	}
	b.WriteString("<thead><tr>")
	for j, h := range c.head {
		fmt.Fprintf(&b, "<th%s>%s</th>", align(j), html.EscapeString(h))
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	for _, r := range c.body {
		b.WriteString("<tr>")
		for j, s := range r {
			fmt.Fprintf(&b, "<td%s>%s</td>", align(j), html.EscapeString(s))
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table>")
	return b.String()
}

// String returns the table as aligned text: a header, a rule, the rows;
// numbers aligned right.
func (t Table) String() string {
	c := t.cells()
	w := make([]int, len(c.head))
	for j, h := range c.head {
		w[j] = utf8.RuneCountInString(h)
	}
	for _, r := range c.body {
		for j, s := range r {
			w[j] = max(w[j], utf8.RuneCountInString(s))
		}
	}
	var b strings.Builder
	if t.Title != "" {
		b.WriteString(t.Title + "\n")
	}
	line := func(r []string) {
		var l strings.Builder
		for j, s := range r {
			if j > 0 {
				l.WriteString("  ")
			}
			pad := strings.Repeat(" ", w[j]-utf8.RuneCountInString(s))
			if c.numeric[j] {
				l.WriteString(pad + s)
			} else {
				l.WriteString(s + pad)
			}
		}
		b.WriteString(strings.TrimRight(l.String(), " ") + "\n")
	}
	line(c.head)
	rule := make([]string, len(w))
	for j := range w {
		rule[j] = strings.Repeat("-", w[j])
	}
	line(rule)
	for _, r := range c.body {
		line(r)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
