package display

import (
	"bytes"
	"fmt"
	"image"
	"net/http"
	"reflect"

	"github.com/gokernel/gokernel/interp/timeline"
	"github.com/gokernel/gokernel/kernel/mime"
)

// Show displays v in the running cell's output (display_data). See BundleOf
// for what each kind of value becomes; a MultiBundler shows each of its
// bundles in turn.
func Show(v any) {
	out := Current()
	if m, ok := v.(MultiBundler); ok && !isNil(v) {
		for _, b := range m.Bundles() {
			out.Display(BundleOf(b), "")
		}
		return
	}
	out.Display(BundleOf(v), "")
}

// A MultiBundler displays as several outputs, one after the other: a
// benchmark comparison shows its table, then its chart. (One bundle cannot
// hold both: frontends show one MIME type of a bundle.) Its Bundle, when it
// has one, is what a single output (ShowID, Update, a cell's value) shows.
type MultiBundler interface {
	Bundles() []mime.Bundle
}

// ShowID displays v with a display id, so that Update can replace it later.
func ShowID(v any, id string) { Current().Display(BundleOf(v), id) }

// Update replaces every output displayed with id (update_display_data).
func Update(v any, id string) { Current().Update(BundleOf(v), id) }

// Clear clears the cell's output; with wait, only when the next output
// arrives, which avoids flicker in animations.
func Clear(wait bool) { Current().Clear(wait) }

// BundleOf returns what Show would send for v. It always has text/plain.
//
//   - a mime.Bundler (Table, Chart, Rich, bench results...): its Bundle
//   - a mime.Bundle or *mime.Bundle: itself
//   - an image.Image: a PNG
//   - a *timeline.Recorder: its timeline chart
//   - []byte holding a PNG or JPEG (sniffed): the image; other bytes: text
//   - a value with an HTML() string, Markdown() string or SVG() string method
//   - a string: text/plain as is
//   - anything else: fmt's %v (so a String method is used)
func BundleOf(v any) mime.Bundle {
	b, _ := bundleOf(v)
	if b.Data == nil {
		b.Data = map[string]any{}
	}
	if _, ok := b.Data[mime.Text]; !ok {
		b.Data[mime.Text] = fmt.Sprintf("<%T>", v)
	}
	return b
}

// bundleOf is BundleOf; rich reports whether v has a form of its own, other
// than its text.
func bundleOf(v any) (b mime.Bundle, rich bool) {
	if isNil(v) {
		return mime.TextBundle(fmt.Sprint(v)), false
	}
	switch x := v.(type) {
	case mime.Bundle:
		return clone(x), true
	case *mime.Bundle:
		return clone(*x), true
	case *timeline.Recorder:
		return Timeline(x).Bundle(), true
	case mime.Bundler:
		return clone(x.Bundle()), true
	case image.Image:
		return Image(x).Bundle(), true
	case []byte:
		switch http.DetectContentType(x) {
		case "image/png":
			return PNG(x).Bundle(), true
		case "image/jpeg":
			return JPEG(x).Bundle(), true
		}
		if bytes.IndexByte(x, 0) < 0 {
			return mime.TextBundle(string(x)), false
		}
		return mime.TextBundle(fmt.Sprintf("%d bytes: % x", len(x), x[:min(len(x), 32)])), false
	case interface{ HTML() string }:
		b := HTML(x.HTML()).Bundle()
		b.Data[mime.Text] = plainOf(v)
		return b, true
	case interface{ Markdown() string }:
		return Markdown(x.Markdown()).Bundle(), true
	case interface{ SVG() string }:
		b := SVG(x.SVG()).Bundle()
		b.Data[mime.Text] = plainOf(v)
		return b, true
	case string:
		return mime.TextBundle(x), false
	}
	return mime.TextBundle(fmt.Sprintf("%v", v)), false
}

// plainOf is the text of a value whose rich form comes from a method: its
// String if it has one, else fmt's %v.
func plainOf(v any) string {
	if s, ok := v.(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprintf("%v", v)
}

// clone copies the maps of b, so callers may add to the result without
// changing a bundle a value keeps.
func clone(b mime.Bundle) mime.Bundle {
	c := mime.Bundle{Data: make(map[string]any, len(b.Data)+1)}
	for k, v := range b.Data {
		c.Data[k] = v
	}
	if b.Metadata != nil {
		c.Metadata = make(map[string]any, len(b.Metadata))
		for k, v := range b.Metadata {
			c.Metadata[k] = v
		}
	}
	return c
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface, reflect.Func, reflect.Chan:
		return r.IsNil()
	}
	return false
}
