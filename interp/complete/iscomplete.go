package complete

import (
	"go/parser"
	"go/token"
	"strings"
)

// Indent is what IsComplete puts before each level of an open bracket.
// Four spaces, not gofmt's tab: `jupyter console` inserts the indent into a
// prompt_toolkit buffer, which shows a tab as "^I"; the interpreter does not
// care, and JupyterLab's console takes spaces as well.
const Indent = "    "

// IsComplete answers is_complete_request, which `jupyter console` sends on
// every Enter to decide between running the cell and opening a new line:
//
//   - "incomplete" while a bracket is open (indent: one Indent per level),
//     a raw string or /* comment is unterminated (indent "": it would
//     become part of the text), or the last line ends where Go does not end
//     a statement (after an operator, a comma or a dot);
//   - "invalid" when no further line can make the code parse: a closing
//     bracket with nothing to close or of the wrong kind, an interpreted
//     string or rune not closed on its line, or a syntax error;
//   - "complete" otherwise, the empty cell included.
func IsComplete(code string) (status, indent string) {
	lr := lex(code)
	for _, e := range lr.errs {
		switch {
		case strings.Contains(e.msg, "raw string literal not terminated"),
			strings.Contains(e.msg, "comment not terminated"):
			return "incomplete", ""
		default:
			return "invalid", ""
		}
	}
	var stack []token.Token
	var last lexTok
	for _, t := range lr.toks {
		switch t.tok {
		case token.COMMENT:
			continue
		case token.LPAREN, token.LBRACK, token.LBRACE:
			stack = append(stack, t.tok)
		case token.RPAREN, token.RBRACK, token.RBRACE:
			if len(stack) == 0 || closerOf(stack[len(stack)-1]) != t.tok {
				return "invalid", ""
			}
			stack = stack[:len(stack)-1]
		}
		if t.tok != token.SEMICOLON || !t.auto {
			last = t
		}
	}
	if len(stack) > 0 {
		return "incomplete", strings.Repeat(Indent, len(stack))
	}
	if last.tok != 0 && continues(last.tok) {
		return "incomplete", ""
	}
	if strings.TrimSpace(code) == "" {
		return "complete", ""
	}
	if !parses(code, lr) {
		return "invalid", ""
	}
	return "complete", ""
}

func closerOf(open token.Token) token.Token {
	switch open {
	case token.LPAREN:
		return token.RPAREN
	case token.LBRACK:
		return token.RBRACK
	}
	return token.RBRACE
}

// continues reports whether a line ending in t goes on: Go inserts a
// semicolon after identifiers, literals, a few keywords and closing
// brackets, and after nothing else.
func continues(t token.Token) bool {
	switch t {
	case token.IDENT, token.INT, token.FLOAT, token.IMAG, token.CHAR, token.STRING,
		token.BREAK, token.CONTINUE, token.FALLTHROUGH, token.RETURN,
		token.INC, token.DEC, token.RPAREN, token.RBRACK, token.RBRACE, token.SEMICOLON:
		return false
	}
	return true
}

// parses reports whether every top-level chunk of code parses, as a
// declaration at file level or as a statement in a function body: how the
// session runs a cell that mixes both.
func parses(code string, lr lexResult) bool {
	for _, c := range split(code, lr) {
		text := code[c.start:c.end]
		if strings.TrimSpace(text) == "" || strings.HasPrefix(strings.TrimSpace(text), "package ") {
			continue // a pasted program's package clause is harmless
		}
		var src string
		switch c.kind {
		case ckDecl, ckImport:
			src = "package p;" + text
		default:
			src = "package p; func _() {" + text + "\n}"
		}
		if _, err := parser.ParseFile(token.NewFileSet(), "", src, parser.SkipObjectResolution); err != nil {
			return false
		}
	}
	return true
}
