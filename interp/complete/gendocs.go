//go:build ignore

// gendocs writes helperdocs.json, the documentation of the helper packages
// that cells import, from their sources under interp/. Run it with
//
//	go generate ./interp/complete
//
// whenever a helper package's exported API or doc comments change
// (TestHelperDocsUpToDate says when).
package main

import (
	"log"
	"os"

	"github.com/gokernel/gokernel/interp/complete/internal/docgen"
)

func main() {
	data, err := docgen.Generate("..")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("helperdocs.json", data, 0o644); err != nil {
		log.Fatal(err)
	}
}
