package interp

import (
	"testing"

	"github.com/gokernel/gokernel/interp/internal/cellgrammar/grammartest"
)

// TestSplitGrammar checks that the session cuts the cells of the shared
// grammar table as the table says (completion runs the same table, see
// interp/complete/source_test.go). The session runs a define as a
// statement.
func TestSplitGrammar(t *testing.T) {
	kinds := map[chunkKind]string{chunkStmt: "stmt", chunkImport: "import", chunkDecl: "decl"}
	for _, tc := range grammartest.Cases() {
		t.Run(tc.Name, func(t *testing.T) {
			got := splitCell([]byte(tc.Src))
			if len(got) != len(tc.Chunks) {
				t.Fatalf("cell\n%s\ngot %d chunks %v, want %d", tc.Src, len(got), got, len(tc.Chunks))
			}
			for i, c := range got {
				want := tc.Chunks[i]
				if want.Kind == "define" {
					want.Kind = "stmt"
				}
				if kinds[c.kind] != want.Kind || tc.Src[c.start:c.end] != want.Code {
					t.Errorf("chunk %d: %s %q, want %s %q", i, kinds[c.kind], tc.Src[c.start:c.end], want.Kind, want.Code)
				}
			}
		})
	}
}
