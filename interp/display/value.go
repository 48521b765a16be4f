package display

import "github.com/gokernel/gokernel/kernel/mime"

// Value returns the bundle of a cell's final value: the one way from a
// value to a bundle, shared with Show, so a value looks the same whether a
// cell ends with it or shows it. text is v as the interpreter prints it
// (interpreted String methods, the cell's own type names), which is what a
// value with no rich form shows, and the text/plain of a rich one that
// brings none. A new kind of rich value (a MIME type, a widget) is one case
// in bundleOf, or a Bundle method on its type.
func Value(v any, text string) mime.Bundle {
	b, rich := bundleOf(v)
	if !rich {
		return mime.TextBundle(text)
	}
	if b.Data == nil {
		b.Data = map[string]any{}
	}
	if _, ok := b.Data[mime.Text]; !ok {
		b.Data[mime.Text] = text
	}
	return b
}
