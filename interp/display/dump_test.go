package display

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gokernel/gokernel/interp/timeline"
	"github.com/gokernel/gokernel/kernel/mime"
)

// TestDumpPNG writes every sample chart's PNG to $DISPLAY_PNG_DIR, for
// looking at them: DISPLAY_PNG_DIR=/tmp/charts go test -run DumpPNG
func TestDumpPNG(t *testing.T) {
	dir := os.Getenv("DISPLAY_PNG_DIR")
	if dir == "" {
		t.Skip("set DISPLAY_PNG_DIR to write the sample charts as PNG files")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, c := range sampleCharts() {
		if err := os.WriteFile(filepath.Join(dir, name+".png"), c.PNG(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s:\n%s", name, c.Text())
	}
}

// TestWriteNotebook writes a notebook whose outputs are this package's
// bundles to $DISPLAY_NOTEBOOK, for testdata/render.py to convert with
// nbconvert or to open in JupyterLab (untrusted, as a CI-made notebook is).
func TestWriteNotebook(t *testing.T) {
	path := os.Getenv("DISPLAY_NOTEBOOK")
	if path == "" {
		t.Skip("set DISPLAY_NOTEBOOK to write a notebook of sample outputs")
	}
	var cells []any
	add := func(name string, b mime.Bundle) {
		cells = append(cells, map[string]any{
			"cell_type": "code", "execution_count": nil, "id": name, "metadata": map[string]any{},
			"source":  "// " + name,
			"outputs": []any{map[string]any{"output_type": "display_data", "data": b.Data, "metadata": orEmpty(b.Metadata)}},
		})
	}
	for _, name := range []string{"bar", "grouped", "line", "timeline"} {
		add("chart-"+name, sampleCharts()[name].Bundle())
	}
	add("table", TableOf([]row{{Name: "a", Time: 1500 * time.Microsecond, Calls: 10}}).Bundle())
	p := NewProgressOpts(10, "train", ProgressOptions{Publisher: &mime.Recorder{}, Clock: &timeline.FakeClock{}})
	p.Set(10)
	p.Done()
	add("progress", p.Bundle())
	add("markdown", Markdown("**bold** and `code`").Bundle())
	add("latex", LaTeX(`$\sum_i x_i^2$`).Bundle())
	nb := map[string]any{
		"nbformat": 4, "nbformat_minor": 5, "cells": cells,
		"metadata": map[string]any{"kernelspec": map[string]any{"name": "gokernel", "display_name": "Go (gokernel)", "language": "go"},
			"language_info": map[string]any{"name": "go", "pygments_lexer": "go", "mimetype": "text/x-go", "file_extension": ".go"}},
	}
	js, err := json.MarshalIndent(nb, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, js, 0o644); err != nil {
		t.Fatal(err)
	}
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
