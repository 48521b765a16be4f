// Package cellgrammar cuts a notebook cell into its top-level pieces: the
// one definition of what a cell is, shared by the session (which runs
// imports and declarations at file level and statements in a function
// body) and by completion (which rebuilds the package a cell sees).
//
//	toks, _ := cellgrammar.Lex(src)
//	for _, c := range cellgrammar.Split(src, toks) {
//		text := src[c.First:c.Last] // the code of a chunk, c.Kind says what it is
//	}
//
// A cell is not a Go file: imports, declarations and statements come in any
// order. Split cuts at every semicolon (written, or inserted by the scanner
// at a newline) outside brackets and outside the header of a for, if or
// switch, and classifies each chunk from its first tokens:
//
//	import "fmt"               Import
//	func f() {}                Decl (so are type, var, const and methods)
//	func (t T) M() {}          Decl: a receiver, then a name and '(' (or '[')
//	func(x int) int {...}(3)   Stmt: a literal called at once
//	x, y := f()                Define: a statement whose names become globals
//	for i := 0; i < 3; i++ {}  Stmt
package cellgrammar

import (
	"go/ast"
	"go/scanner"
	"go/token"
	"unicode/utf8"
)

// A Token is a token of a cell, comments included.
type Token struct {
	Pos, End int // offsets in the source: the token is src[Pos:End]
	Tok      token.Token
	Lit      string
	Auto     bool // a semicolon the scanner inserted at a newline or at the end (End == Pos)
}

// An Error is a complaint of the scanner (an unterminated string).
type Error struct {
	Off int
	Msg string
}

// Lex returns the tokens of src, comments included, and the scanner's
// errors. It never fails: the parser reports errors with better words.
func Lex(src string) ([]Token, []Error) {
	var (
		toks []Token
		errs []Error
	)
	fset := token.NewFileSet()
	file := fset.AddFile("", -1, len(src))
	var s scanner.Scanner
	s.Init(file, []byte(src), func(p token.Position, msg string) {
		errs = append(errs, Error{p.Offset, msg})
	}, scanner.ScanComments)
	for {
		p, t, lit := s.Scan()
		if t == token.EOF {
			break
		}
		off := file.Offset(p)
		tk := Token{Pos: off, Tok: t, Lit: lit}
		switch {
		case t == token.SEMICOLON && lit == "\n":
			tk.Auto = true
			tk.End = off
		case t == token.ILLEGAL: // one character, lit may hold U+FFFD for a bad byte
			_, n := utf8.DecodeRuneInString(src[off:])
			tk.End = off + max(n, 1)
		case lit != "": // names, literals, comments, keywords, ';'
			tk.End = off + len(lit)
		default:
			tk.End = off + len(t.String())
		}
		tk.End = min(tk.End, len(src))
		toks = append(toks, tk)
	}
	return toks, errs
}

// Kind is what a chunk is.
type Kind int

const (
	Stmt   Kind = iota // a statement that declares nothing outside itself
	Define             // a statement with a top-level :=, whose names the session makes globals
	Decl               // func, method, type, var or const
	Import             // an import declaration
)

func (k Kind) String() string {
	switch k {
	case Define:
		return "define"
	case Decl:
		return "decl"
	case Import:
		return "import"
	}
	return "stmt"
}

// A Chunk is one top-level declaration or statement of a cell.
type Chunk struct {
	Kind Kind
	// Start and End delimit the chunk's whole text, from just after the
	// previous separator to its own: leading comments (a doc comment)
	// and blank space included.
	Start, End int
	// First and Last delimit its code: from its first token that is not
	// a comment to the end of its last one. First == Last for a chunk of
	// only comments and space.
	First, Last int
	// T0 and T1 index its tokens: toks[T0:T1], comments included.
	T0, T1 int
	// Define is the offset of the top-level := of a Define chunk.
	Define int
}

// Empty reports whether a chunk holds no code.
func (c Chunk) Empty() bool { return c.First == c.Last }

// Split cuts src into top-level chunks; toks are Lex(src). The last chunk
// is always there, empty if src ends with a separator, and a semicolon
// the scanner inserts at the very end of src does not close it: a text
// cut at a cursor keeps its last chunk open.
func Split(src string, toks []Token) []Chunk {
	var out []Chunk
	start, t0, depth := 0, 0, 0
	h := header{}
	for i, t := range toks {
		switch t.Tok {
		case token.COMMENT:
			continue
		case token.FOR, token.IF, token.SWITCH:
			if depth == 0 && !h.on {
				h = header{on: true}
			}
		case token.FUNC:
			if depth == 0 && h.on {
				h.funcLit = true // its body is the next brace, not the statement's
			}
		case token.LPAREN, token.LBRACK:
			depth++
		case token.LBRACE:
			kind := braceOther
			if depth == 0 && h.on {
				kind = h.brace(toks, i)
				if kind == braceBody {
					h = header{}
				}
			}
			h.stack = append(h.stack, kind)
			depth++
		case token.RPAREN, token.RBRACK, token.RBRACE:
			if depth > 0 {
				depth--
			}
			if t.Tok == token.RBRACE && len(h.stack) > 0 {
				h.closed = h.stack[len(h.stack)-1]
				h.stack = h.stack[:len(h.stack)-1]
			}
		case token.SEMICOLON:
			if h.on && !t.Auto {
				continue // for i := 0; i < n; i++ separates clauses
			}
			if depth == 0 && t.Pos < len(src) {
				h = header{}
				out = append(out, classify(src, toks, Chunk{Start: start, End: t.Pos, T0: t0, T1: i}))
				start, t0 = t.End, i+1
				if t.Auto && t.Pos < len(src) && src[t.Pos] == '\n' {
					start = t.Pos + 1
				}
				start = min(start, len(src))
			}
		}
		if t.Tok != token.LBRACE && t.Tok != token.RBRACE {
			h.closed = braceNone
		}
	}
	out = append(out, classify(src, toks, Chunk{Start: start, End: len(src), T0: t0, T1: len(toks)}))
	return out
}

// What a brace opened, in a header.
type braceKind int

const (
	braceNone  braceKind = iota
	braceOther           // a block or literal inside brackets
	braceBody            // the body of the for, if or switch
	braceLit             // a composite literal, a func literal's body
	braceType            // the fields of a struct or interface type
)

// header follows the header of a for, if or switch at depth 0, where a
// written semicolon separates clauses and a brace may open the body or a
// composite literal ([]int{1}; Go's grammar allows these there, but not
// T{} of a bare type name).
type header struct {
	on      bool
	funcLit bool        // a func keyword was seen: the next brace is its body
	stack   []braceKind // braces open
	closed  braceKind   // what the '}' just before closed
}

func (h *header) brace(toks []Token, i int) braceKind {
	if h.funcLit {
		h.funcLit = false
		return braceLit
	}
	prev := prevTok(toks, i)
	if prev < 0 {
		return braceBody
	}
	switch toks[prev].Tok {
	case token.STRUCT, token.INTERFACE:
		return braceType
	case token.RBRACE:
		if h.closed == braceType {
			return braceLit // []struct{ a int }{...}
		}
	case token.IDENT:
		// A type name right after ']' is the element type of a slice,
		// array or map literal: []int{, map[string]pkg.T{.
		j := prev
		if k := prevTok(toks, j); k >= 0 && toks[k].Tok == token.PERIOD {
			if k2 := prevTok(toks, k); k2 >= 0 && toks[k2].Tok == token.IDENT {
				j = k2
			}
		}
		if k := prevTok(toks, j); k >= 0 && toks[k].Tok == token.RBRACK {
			return braceLit
		}
	}
	return braceBody
}

// prevTok returns the index of the token before i that is not a comment,
// or -1.
func prevTok(toks []Token, i int) int {
	for j := i - 1; j >= 0; j-- {
		if toks[j].Tok != token.COMMENT {
			return j
		}
	}
	return -1
}

// classify fills in a chunk's code span and kind.
func classify(src string, toks []Token, c Chunk) Chunk {
	var ts []Token
	for _, t := range toks[c.T0:c.T1] {
		if t.Tok != token.COMMENT && !(t.Tok == token.SEMICOLON && (t.Auto || t.Pos >= len(src))) {
			ts = append(ts, t)
		}
	}
	if len(ts) == 0 {
		c.First, c.Last = c.End, c.End
		return c
	}
	c.First, c.Last = ts[0].Pos, ts[len(ts)-1].End
	switch ts[0].Tok {
	case token.IMPORT:
		c.Kind = Import
	case token.TYPE, token.VAR, token.CONST:
		c.Kind = Decl
	case token.FUNC:
		if isFuncDecl(ts) {
			c.Kind = Decl
		}
	case token.IDENT:
		// A simple statement: a := before any keyword (the header of a
		// labeled for) or a label's colon.
		depth := 0
		for _, t := range ts {
			if depth == 0 && (t.Tok.IsKeyword() || t.Tok == token.COLON) {
				return c
			}
			switch t.Tok {
			case token.LPAREN, token.LBRACK, token.LBRACE:
				depth++
			case token.RPAREN, token.RBRACK, token.RBRACE:
				depth--
			case token.DEFINE:
				if depth == 0 {
					c.Kind = Define
					c.Define = t.Pos
					return c
				}
			}
		}
	}
	return c
}

// isFuncDecl tells a func or method declaration from a function literal,
// given the tokens of a chunk starting with func:
//
//	func f(                 declaration
//	func (r T) M(           method: after the receiver a name, then '('
//	func (r T) M            method being typed (the chunk ends there)
//	func (x int) int {      literal returning int: the name is followed by '{'
//	func (x int) T[int] {   literal: a method has no type parameters, so the
//	                        ']' is followed by '{', not '('
func isFuncDecl(ts []Token) bool {
	if len(ts) < 2 {
		return false
	}
	switch ts[1].Tok {
	case token.IDENT:
		return true
	case token.LPAREN:
	default:
		return false
	}
	depth := 0
	for j := 1; j < len(ts); j++ {
		switch ts[j].Tok {
		case token.LPAREN:
			depth++
		case token.RPAREN:
			depth--
		}
		if depth > 0 {
			continue
		}
		// ts[j] closes the receiver (or a literal's parameters).
		if j+1 >= len(ts) || ts[j+1].Tok != token.IDENT {
			return false
		}
		if j+2 >= len(ts) {
			return true
		}
		switch ts[j+2].Tok {
		case token.LPAREN:
			return true
		case token.LBRACK:
			d := 0
			for k := j + 2; k < len(ts); k++ {
				switch ts[k].Tok {
				case token.LBRACK:
					d++
				case token.RBRACK:
					d--
					if d == 0 {
						return k+1 >= len(ts) || ts[k+1].Tok == token.LPAREN
					}
				}
			}
			return true // cut inside the brackets
		}
		return false
	}
	return false // cut inside the receiver
}

// ReceiverName returns the type name of a method receiver's type
// expression: T for t T, *T, (T), T[K] and *T[K, V]; "" for anything else.
// The kernel files a method under it, and completion lists it as T.Method.
func ReceiverName(x ast.Expr) string {
	for {
		switch t := x.(type) {
		case *ast.StarExpr:
			x = t.X
		case *ast.ParenExpr:
			x = t.X
		case *ast.IndexExpr:
			x = t.X
		case *ast.IndexListExpr:
			x = t.X
		case *ast.Ident:
			return t.Name
		default:
			return ""
		}
	}
}
