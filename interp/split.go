package interp

import "github.com/gokernel/gokernel/interp/internal/cellgrammar"

// A chunk is one top-level piece of a cell: an import, a declaration or a
// statement, as the byte range [start, end) of the cell's source (its code,
// without leading comments).
type chunk struct {
	kind       chunkKind
	start, end int
}

type chunkKind int

const (
	chunkStmt   chunkKind = iota // a statement
	chunkImport                  // import ...
	chunkDecl                    // func, method, type, const, var
)

// splitCell cuts a cell into top-level chunks, so that a cell may mix
// imports, declarations and statements in any order (yaegi picks file or
// statement mode from the first token only). The grammar is
// cellgrammar's, which completion uses too. Scanner errors are ignored
// here: the parser reports them with positions.
func splitCell(src []byte) []chunk {
	s := string(src)
	toks, _ := cellgrammar.Lex(s)
	var chunks []chunk
	for _, c := range cellgrammar.Split(s, toks) {
		if c.Empty() {
			continue
		}
		k := chunkStmt
		switch c.Kind {
		case cellgrammar.Import:
			k = chunkImport
		case cellgrammar.Decl:
			k = chunkDecl
		}
		chunks = append(chunks, chunk{kind: k, start: c.First, end: c.Last})
	}
	return chunks
}
