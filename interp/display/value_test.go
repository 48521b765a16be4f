package display

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/gokernel/gokernel/interp/timeline"
	"github.com/gokernel/gokernel/kernel/mime"
)

type textless struct{}

func (textless) Bundle() mime.Bundle { return mime.Bundle{Data: map[string]any{mime.HTML: "<i>x</i>"}} }

// TestValueMatchesShow: a cell's final value and Show give the same rich
// bundle; plain values keep the interpreter's text.
func TestValueMatchesShow(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	img.Set(0, 0, color.RGBA{255, 0, 0, 255})
	var pngBytes bytes.Buffer
	if err := png.Encode(&pngBytes, img); err != nil {
		t.Fatal(err)
	}
	rec := timeline.New()
	for _, tc := range []struct {
		name string
		v    any
		want string // a MIME type the bundle must have
	}{
		{"image.Image", img, mime.PNG},
		{"PNG bytes", pngBytes.Bytes(), mime.PNG},
		{"timeline recorder", rec, mime.Text},
		{"HTML value", HTML("<b>x</b>"), mime.HTML},
	} {
		v := Value(tc.v, "printed")
		s := BundleOf(tc.v)
		if _, ok := v.Data[tc.want]; !ok {
			t.Errorf("%s: Value has %v, want %s", tc.name, v.Types(), tc.want)
		}
		if len(v.Data) != len(s.Data) {
			t.Errorf("%s: Value has %v, Show sends %v", tc.name, v.Types(), s.Types())
		}
		for k := range s.Data {
			if _, ok := v.Data[k]; !ok {
				t.Errorf("%s: Value lacks %s that Show sends", tc.name, k)
			}
		}
	}
	if b := Value(42, "42 (from the interpreter)"); len(b.Data) != 1 || b.Data[mime.Text] != "42 (from the interpreter)" {
		t.Errorf("plain value: %v", b.Data)
	}
	if b := Value(textless{}, "textless{}"); b.Data[mime.Text] != "textless{}" || b.Data[mime.HTML] != "<i>x</i>" {
		t.Errorf("rich value without text: %v", b.Data)
	}
}
