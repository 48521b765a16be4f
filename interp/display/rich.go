package display

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"image"
	"image/jpeg"
	"image/png"
	"regexp"
	"strings"

	"github.com/gokernel/gokernel/kernel/mime"
)

// Rich is a ready-made bundle, as the constructors in this file return it.
// It is a defined type over mime.Bundle, so r.Data and r.Metadata can be read
// and extended in a cell.
type Rich mime.Bundle

// Bundle implements mime.Bundler.
func (r Rich) Bundle() mime.Bundle { return mime.Bundle(r) }

func rich(text string, kv ...any) Rich {
	d := map[string]any{mime.Text: text}
	for i := 0; i+1 < len(kv); i += 2 {
		d[kv[i].(string)] = kv[i+1]
	}
	return Rich{Data: d}
}

// HTML shows s as HTML; its text/plain is s with the tags stripped.
func HTML(s string) Rich { return rich(stripTags(s), mime.HTML, s) }

// Markdown shows s as Markdown; its text/plain is the source.
func Markdown(s string) Rich { return rich(s, mime.Markdown, s) }

// LaTeX shows s (math between $ or $$) as LaTeX; its text/plain is the source.
func LaTeX(s string) Rich { return rich(s, mime.LaTeX, s) }

// SVG shows an SVG document. JupyterLab hides SVG in untrusted notebooks:
// for output that must always show, prefer Image.
func SVG(s string) Rich {
	w, h := svgSize(s)
	t := "<SVG image>"
	if w != "" && h != "" {
		t = fmt.Sprintf("<SVG image %s×%s>", w, h)
	}
	return rich(t, mime.SVG, s)
}

// PNG shows PNG-encoded bytes. Bytes that are not a PNG give a text error
// bundle, not a broken image.
func PNG(b []byte) Rich { return encoded("PNG", mime.PNG, b) }

// JPEG shows JPEG-encoded bytes.
func JPEG(b []byte) Rich { return encoded("JPEG", mime.JPEG, b) }

func encoded(name, typ string, b []byte) Rich {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return rich(fmt.Sprintf("display: not a %s image: %v", name, err))
	}
	if !strings.EqualFold(format, name) {
		return rich(fmt.Sprintf("display: expected a %s image, got %s", name, format))
	}
	return imageRich(typ, b, cfg.Width, cfg.Height, 0, 0)
}

// imageRich builds the bundle of an encoded image of w×h pixels shown at
// sw×sh CSS pixels (0: natural size).
func imageRich(typ string, b []byte, w, h, sw, sh int) Rich {
	name := "PNG"
	if typ == mime.JPEG {
		name = "JPEG"
	}
	r := rich(fmt.Sprintf("<%s image %d×%d>", name, w, h), typ, base64.StdEncoding.EncodeToString(b))
	if sw > 0 && sh > 0 {
		r.Metadata = map[string]any{typ: map[string]any{"width": sw, "height": sh}}
	}
	return r
}

// Image shows img, encoded as PNG.
func Image(img image.Image) Rich {
	if img == nil {
		return rich("display: nil image")
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return rich(fmt.Sprintf("display: encoding PNG: %v", err))
	}
	b := img.Bounds()
	return imageRich(mime.PNG, buf.Bytes(), b.Dx(), b.Dy(), 0, 0)
}

// ImageJPEG shows img encoded as JPEG at quality q (1-100; 0 means 90),
// smaller than PNG for photographs.
func ImageJPEG(img image.Image, q int) Rich {
	if img == nil {
		return rich("display: nil image")
	}
	if q <= 0 || q > 100 {
		q = 90
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		return rich(fmt.Sprintf("display: encoding JPEG: %v", err))
	}
	b := img.Bounds()
	return imageRich(mime.JPEG, buf.Bytes(), b.Dx(), b.Dy(), 0, 0)
}

// JSON shows v as a collapsible JSON tree (JupyterLab) with indented JSON as
// text/plain. A value that cannot be marshalled gives a text error.
func JSON(v any) Rich {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return rich(fmt.Sprintf("display: JSON: %v", err))
	}
	// Frontends want an object or array here; anything goes through a
	// round trip so the bundle holds plain JSON values.
	var plain any
	_ = json.Unmarshal(b, &plain)
	return rich(string(b), mime.JSON, plain)
}

// VegaLite shows a Vega-Lite v5 spec. A spec without "$schema" gets the v5
// one. Its text/plain names the chart; it has no static fallback (use the
// chart constructors for that).
func VegaLite(spec map[string]any) Rich {
	s := make(map[string]any, len(spec)+1)
	for k, v := range spec {
		s[k] = v
	}
	if _, ok := s["$schema"]; !ok {
		s["$schema"] = VegaLiteSchema
	}
	t := "<Vega-Lite chart>"
	if title, ok := s["title"].(string); ok && title != "" {
		t = "<Vega-Lite chart: " + title + ">"
	}
	return rich(t, mime.VegaLite, s)
}

// VegaLiteSchema is the "$schema" of every Vega-Lite spec this package makes.
const VegaLiteSchema = "https://vega.github.io/schema/vega-lite/v5.json"

var (
	tagRE   = regexp.MustCompile(`(?s)<(script|style)\b.*?</(script|style)>|<[^>]*>`)
	blankRE = regexp.MustCompile(`\n\s*\n+`)
)

// stripTags gives the text a reader of the HTML would see, roughly.
func stripTags(s string) string {
	t := tagRE.ReplaceAllStringFunc(s, func(tag string) string {
		l := strings.ToLower(tag)
		for _, p := range []string{"<br", "<p", "</p", "<div", "</div", "<tr", "<li", "<h"} {
			if strings.HasPrefix(l, p) {
				return "\n"
			}
		}
		if strings.HasPrefix(l, "<td") || strings.HasPrefix(l, "<th") {
			return " "
		}
		return ""
	})
	t = html.UnescapeString(t)
	t = blankRE.ReplaceAllString(t, "\n")
	return strings.TrimSpace(t)
}

var svgAttrRE = regexp.MustCompile(`<svg[^>]*?\s(width|height)="([^"]*)"[^>]*?\s(width|height)="([^"]*)"`)

func svgSize(s string) (w, h string) {
	m := svgAttrRE.FindStringSubmatch(s)
	if m == nil {
		return "", ""
	}
	if m[1] == "width" {
		return m[2], m[4]
	}
	return m[4], m[2]
}
