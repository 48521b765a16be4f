package complete

import (
	"go/token"
	"testing"

	"github.com/gokernel/gokernel/interp/internal/cellgrammar/grammartest"
)

// TestSplitGrammar checks that completion cuts the cells of the shared
// grammar table as the table says (the session runs the same table, see
// interp/split_test.go): same chunks, same kinds, methods included.
func TestSplitGrammar(t *testing.T) {
	for _, tc := range grammartest.Cases() {
		t.Run(tc.Name, func(t *testing.T) {
			lr := lex(tc.Src)
			var got []grammartest.Chunk
			for _, c := range split(tc.Src, lr) {
				// A chunk's text starts after the previous separator; its
				// code starts at its first token that is not a comment.
				first, last := -1, -1
				for _, tk := range lr.toks[c.t0:c.t1] {
					if tk.tok == token.COMMENT || tk.auto {
						continue
					}
					if first < 0 {
						first = tk.pos
					}
					last = tk.end
				}
				if first < 0 {
					continue // blank or only comments
				}
				got = append(got, grammartest.Chunk{Kind: c.kind.String(), Code: tc.Src[first:last]})
			}
			if len(got) != len(tc.Chunks) {
				t.Fatalf("cell\n%s\ngot %q\nwant %q", tc.Src, got, tc.Chunks)
			}
			for i := range got {
				if got[i] != tc.Chunks[i] {
					t.Errorf("chunk %d: got %q, want %q", i, got[i], tc.Chunks[i])
				}
			}
		})
	}
}
