// Package grammartest holds the table of cells that every user of
// cellgrammar checks its own view of a cell against, so that the session
// and completion provably cut cells alike:
//
//	for _, c := range grammartest.Cases() {
//		got := mySplit(c.Src) // compare kinds and code with c.Chunks
//	}
//
// The table is chunks.txt; its header says the format.
package grammartest

import (
	_ "embed"
	"strings"
)

//go:embed chunks.txt
var table string

// A Chunk is an expected chunk: its kind ("import", "decl", "define" or
// "stmt") and its code, without leading comments.
type Chunk struct{ Kind, Code string }

// A Case is a cell and the chunks it must be cut into.
type Case struct {
	Name, Src string
	Chunks    []Chunk
}

// Cases returns the table's cases, in order.
func Cases() []Case {
	var out []Case
	var cur *Case
	var text []string
	inChunk := false
	flush := func() {
		if cur == nil {
			return
		}
		body := strings.TrimRight(strings.Join(text, "\n"), "\n")
		if inChunk {
			cur.Chunks[len(cur.Chunks)-1].Code = body
		} else {
			cur.Src = body
		}
		text = nil
	}
	for _, l := range strings.Split(table, "\n") {
		switch {
		case strings.HasPrefix(l, "=== "):
			flush()
			if cur != nil {
				out = append(out, *cur)
			}
			cur, inChunk = &Case{Name: strings.TrimPrefix(l, "=== ")}, false
		case cur == nil:
		case strings.HasPrefix(l, "--- "):
			flush()
			cur.Chunks = append(cur.Chunks, Chunk{Kind: strings.TrimPrefix(l, "--- ")})
			inChunk = true
		default:
			text = append(text, l)
		}
	}
	flush()
	if cur != nil {
		out = append(out, *cur)
	}
	return out
}
