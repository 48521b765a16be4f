package interp

import (
	"go/token"
	"sort"
	"strconv"
	"strings"
)

// cellSrc is one cell's source and the map from the synthetic file the
// preprocessor parses back to the cell.
type cellSrc struct {
	n    int    // cell number in the session
	src  string // as the user wrote it
	segs []seg  // synthetic offset -> cell offset, sorted by syn
}

type seg struct{ syn, cell, n int }

// cellOffset maps an offset of the synthetic source to the cell's source.
func (c *cellSrc) cellOffset(syn int) int {
	i := sort.Search(len(c.segs), func(i int) bool { return c.segs[i].syn+c.segs[i].n > syn })
	if i == len(c.segs) {
		return len(c.src)
	}
	s := c.segs[i]
	if syn < s.syn {
		return s.cell
	}
	return s.cell + syn - s.syn
}

// lineCol returns the 1-based line and column of a cell offset.
func (c *cellSrc) lineCol(off int) (line, col int) {
	off = max(0, min(off, len(c.src)))
	before := c.src[:off]
	line = strings.Count(before, "\n") + 1
	col = off - (strings.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// srcLine returns line n (1-based) of the cell.
func (c *cellSrc) srcLine(n int) string {
	lines := strings.Split(c.src, "\n")
	if n < 1 || n > len(lines) {
		return ""
	}
	return lines[n-1]
}

// A piece of generated code: literal text copied from (or inserted at) a
// place in a cell, or a reference to a global name, written out as the
// name's current internal version when rendered.
type piece struct {
	text string
	ref  string
	cell *cellSrc // nil for text the session adds around code
	syn  int      // synthetic offset the text starts at (or was inserted at)
	ins  bool     // inserted text: every byte maps to syn
}

// An edit replaces [pos, end) of the synthetic source with parts; pos == end
// inserts.
type edit struct {
	pos, end int
	parts    []part
}

type part struct {
	lit  string
	ref  string
	sub  bool
	s, e int
}

func lit(s string) part             { return part{lit: s} }
func ref(name string) part          { return part{ref: name} }
func sub(s, e int) part             { return part{sub: true, s: s, e: e} }
func insert(pos int, s string) edit { return edit{pos: pos, end: pos, parts: []part{lit(s)}} }

// tmpl renders [s, e) of the synthetic source with the edits inside it.
type tmpl struct {
	src   string
	cell  *cellSrc
	edits []edit
}

func (t *tmpl) sortEdits() {
	sort.SliceStable(t.edits, func(i, j int) bool {
		a, b := t.edits[i], t.edits[j]
		if a.pos != b.pos {
			return a.pos < b.pos
		}
		// Inserts first, then the widest replacement.
		ai, bi := a.end == a.pos, b.end == b.pos
		if ai != bi {
			return ai
		}
		return a.end > b.end
	})
}

func (t *tmpl) render(s, e int, out []piece) []piece {
	cur := s
	for _, ed := range t.edits {
		if ed.pos < cur || ed.pos < s || ed.end > e || (ed.pos == e && ed.end == e && e != s) {
			continue
		}
		if ed.pos > cur {
			out = append(out, piece{text: t.src[cur:ed.pos], cell: t.cell, syn: cur})
		}
		for _, p := range ed.parts {
			switch {
			case p.sub:
				out = t.render(p.s, p.e, out)
			case p.ref != "":
				out = append(out, piece{ref: p.ref, cell: t.cell, syn: ed.pos})
			default:
				out = append(out, piece{text: p.lit, cell: t.cell, syn: ed.pos, ins: true})
			}
		}
		cur = ed.end
	}
	if e > cur {
		out = append(out, piece{text: t.src[cur:e], cell: t.cell, syn: cur})
	}
	return out
}

// A rendered file, as given to yaegi, with what is needed to map its
// positions back to cells.
type rendered struct {
	name   string
	cell   int  // cell number
	keep   bool // a declaration file: keep its position map
	src    string
	starts []int       // offset of each piece in src
	pieces []piece     // with ref resolved into text
	tf     *token.File // in yaegi's FileSet, once parsed
}

// renderFile writes pieces out, resolving references with name.
func renderFile(fname, header string, pieces []piece, name func(string) string) *rendered {
	var b strings.Builder
	r := &rendered{name: fname}
	for _, p := range pieces {
		if p.cell != nil {
			r.cell = p.cell.n
			break
		}
	}
	add := func(p piece) {
		r.starts = append(r.starts, b.Len())
		r.pieces = append(r.pieces, p)
		b.WriteString(p.text)
	}
	add(piece{text: header})
	for _, p := range pieces {
		if p.ref != "" {
			if base, ok := strings.CutSuffix(p.ref, companionSuffix); ok {
				p.text = name(base) + companionSuffix
			} else {
				p.text = name(p.ref)
			}
			p.ins = true
		}
		add(p)
	}
	add(piece{text: "\n"})
	r.src = b.String()
	return r
}

// position maps a 1-based line and column of the rendered file to the cell
// it came from.
func (r *rendered) position(line, col int) (c *cellSrc, cline, ccol int) {
	off := 0
	for l := 1; l < line; l++ {
		i := strings.IndexByte(r.src[off:], '\n')
		if i < 0 {
			break
		}
		off += i + 1
	}
	off += col - 1
	i := sort.Search(len(r.starts), func(i int) bool { return r.starts[i] > off }) - 1
	// Prefer the next piece from a cell when off lands in added text.
	for j := i; j >= 0 && j < len(r.pieces); j++ {
		p := r.pieces[j]
		if p.cell == nil {
			continue
		}
		syn := p.syn
		if !p.ins && j == i {
			syn += off - r.starts[j]
		}
		cline, ccol = p.cell.lineCol(p.cell.cellOffset(syn))
		return p.cell, cline, ccol
	}
	return nil, 0, 0
}

func itoa(i int) string { return strconv.Itoa(i) }
