package interp

import (
	"go/scanner"
	"go/token"
)

// A chunk is one top-level piece of a cell: an import, a declaration or a
// statement, as the byte range [start, end) of the cell's source.
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

type scanned struct {
	off int
	tok token.Token
}

// splitCell cuts a cell into top-level chunks with go/scanner, so that a
// cell may mix imports, declarations and statements in any order (yaegi
// picks file or statement mode from the first token only). A chunk ends at a
// semicolon (written, or inserted at a newline) outside any bracket.
// Scanner errors are ignored here: the parser reports them with positions.
func splitCell(src []byte) []chunk {
	fset := token.NewFileSet()
	file := fset.AddFile("cell", -1, len(src))
	var s scanner.Scanner
	s.Init(file, src, func(token.Position, string) {}, 0)

	var (
		chunks []chunk
		cur    []scanned
		depth  int
		last   int // end of the last token of cur
	)
	flush := func() {
		if len(cur) == 0 {
			return
		}
		chunks = append(chunks, chunk{kind: classify(cur), start: cur[0].off, end: last})
		cur = cur[:0]
	}
	for {
		pos, t, lit := s.Scan()
		if t == token.EOF {
			flush()
			break
		}
		off := file.Offset(pos)
		switch t {
		case token.LPAREN, token.LBRACE, token.LBRACK:
			depth++
		case token.RPAREN, token.RBRACE, token.RBRACK:
			if depth > 0 {
				depth--
			}
		case token.SEMICOLON:
			// Semicolons in the header of for, if and switch do not end
			// the statement.
			if depth == 0 && !(inHeader(cur) && lit == ";") {
				flush()
				continue
			}
		}
		cur = append(cur, scanned{off, t})
		switch {
		case lit != "" && t != token.SEMICOLON:
			last = off + len(lit)
		default:
			last = off + len(t.String())
		}
	}
	for i := range chunks {
		if chunks[i].end > len(src) {
			chunks[i].end = len(src)
		}
	}
	return chunks
}

// inHeader reports whether the tokens so far are the header of a for, if
// or switch statement, before its body's brace.
func inHeader(cur []scanned) bool {
	if len(cur) == 0 {
		return false
	}
	switch cur[0].tok {
	case token.FOR, token.IF, token.SWITCH:
	default:
		return false
	}
	depth := 0
	for _, t := range cur[1:] {
		switch t.tok {
		case token.LPAREN, token.LBRACK:
			depth++
		case token.RPAREN, token.RBRACK:
			depth--
		case token.LBRACE:
			if depth == 0 {
				return false
			}
		}
	}
	return true
}

// classify decides what a chunk is from its first tokens. A func is a
// declaration when a name follows it, or a receiver and then a name (a
// method); otherwise it is a function literal in a statement.
func classify(ts []scanned) chunkKind {
	switch ts[0].tok {
	case token.IMPORT:
		return chunkImport
	case token.TYPE, token.CONST, token.VAR:
		return chunkDecl
	case token.FUNC:
		if len(ts) > 1 && ts[1].tok == token.IDENT {
			return chunkDecl
		}
		if len(ts) > 1 && ts[1].tok == token.LPAREN {
			depth := 0
			for i := 1; i < len(ts); i++ {
				switch ts[i].tok {
				case token.LPAREN:
					depth++
				case token.RPAREN:
					depth--
					if depth == 0 {
						// func (r T) Name( or Name[ : a method.
						if i+2 < len(ts) && ts[i+1].tok == token.IDENT && (ts[i+2].tok == token.LPAREN || ts[i+2].tok == token.LBRACK) {
							return chunkDecl
						}
						return chunkStmt
					}
				}
			}
		}
	}
	return chunkStmt
}
