package display

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
)

// The PNG fallback is drawn at pixelScale device pixels per CSS pixel and
// its metadata asks frontends to show it at CSS size: sharp on high-density
// screens, and the 5×9 font (doubled with EPX, which rounds its diagonals)
// reads like a 10 px font everywhere.
const pixelScale = 2

// Font metrics in CSS pixels.
const (
	glyphAdvance = 6 // 5 columns and a space
	capHeight    = 7
)

// canvas is an RGBA image addressed in CSS pixels.
type canvas struct {
	img  *image.RGBA
	w, h int
}

func newCanvas(w, h int) *canvas {
	c := &canvas{img: image.NewRGBA(image.Rect(0, 0, w*pixelScale, h*pixelScale)), w: w, h: h}
	for i := range c.img.Pix {
		c.img.Pix[i] = 0xff // opaque white: dark themes show it as a card
	}
	return c
}

// blend paints device pixel (x, y) with col at coverage a (0..1).
func (c *canvas) blend(x, y int, col color.RGBA, a float64) {
	if x < 0 || y < 0 || x >= c.img.Rect.Dx() || y >= c.img.Rect.Dy() || a <= 0 {
		return
	}
	a = math.Min(a, 1) * float64(col.A) / 255
	i := c.img.PixOffset(x, y)
	p := c.img.Pix[i : i+4 : i+4]
	p[0] = uint8(float64(p[0])*(1-a) + float64(col.R)*a + 0.5)
	p[1] = uint8(float64(p[1])*(1-a) + float64(col.G)*a + 0.5)
	p[2] = uint8(float64(p[2])*(1-a) + float64(col.B)*a + 0.5)
	p[3] = 0xff
}

// rect fills [x0,x1)×[y0,y1), edges snapped to device pixels.
func (c *canvas) rect(x0, y0, x1, y1 float64, col color.RGBA) {
	ax, bx := int(math.Round(x0*pixelScale)), int(math.Round(x1*pixelScale))
	ay, by := int(math.Round(y0*pixelScale)), int(math.Round(y1*pixelScale))
	if bx <= ax && x1 > x0 {
		bx = ax + 1 // a very short span still shows as a hairline
	}
	if col.A != 0xff {
		for y := ay; y < by; y++ {
			for x := ax; x < bx; x++ {
				c.blend(x, y, col, 1)
			}
		}
		return
	}
	// Opaque: copy the pixel along the row (most of a chart's area).
	r := image.Rect(ax, ay, bx, by).Intersect(c.img.Rect)
	if r.Empty() {
		return
	}
	px := []byte{col.R, col.G, col.B, 0xff}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := c.img.Pix[c.img.PixOffset(r.Min.X, y):c.img.PixOffset(r.Max.X, y)]
		for i := 0; i < len(row); i += 4 {
			copy(row[i:i+4], px)
		}
	}
}

// line draws a segment width CSS pixels wide with round caps, antialiased by
// the distance of each pixel centre to the segment.
func (c *canvas) line(x0, y0, x1, y1, width float64, col color.RGBA) {
	s := float64(pixelScale)
	x0, y0, x1, y1, hw := x0*s, y0*s, x1*s, y1*s, width*s/2
	minx, maxx := int(math.Floor(math.Min(x0, x1)-hw-1)), int(math.Ceil(math.Max(x0, x1)+hw+1))
	miny, maxy := int(math.Floor(math.Min(y0, y1)-hw-1)), int(math.Ceil(math.Max(y0, y1)+hw+1))
	dx, dy := x1-x0, y1-y0
	l2 := dx*dx + dy*dy
	for y := miny; y <= maxy; y++ {
		for x := minx; x <= maxx; x++ {
			px, py := float64(x)+0.5, float64(y)+0.5
			t := 0.0
			if l2 > 0 {
				t = math.Max(0, math.Min(1, ((px-x0)*dx+(py-y0)*dy)/l2))
			}
			d := math.Hypot(px-(x0+t*dx), py-(y0+t*dy))
			c.blend(x, y, col, hw+0.5-d)
		}
	}
}

// dot draws a filled circle of radius r.
func (c *canvas) dot(x, y, r float64, col color.RGBA) { c.line(x, y, x, y, 2*r, col) }

// glyphBits returns the rows of r's glyph, bold by smearing one column right.
func glyphBits(r rune, bold bool) (rows [9]uint16, width int) {
	g, ok := font[r]
	if !ok && r != ' ' {
		g = font['?']
	}
	width = 5
	for i, b := range g {
		rows[i] = uint16(b)
		if bold {
			rows[i] = uint16(b)<<1 | uint16(b)
		}
	}
	if bold {
		width = 6
	}
	return rows, width
}

// epx doubles a glyph with the EPX rule (a corner takes its neighbours'
// colour when they agree), returning a (2w)×18 mask.
func epx(rows [9]uint16, w int) [][]bool {
	at := func(x, y int) bool {
		if x < 0 || y < 0 || x >= w || y >= 9 {
			return false
		}
		return rows[y]>>(w-1-x)&1 == 1
	}
	m := make([][]bool, 18)
	for i := range m {
		m[i] = make([]bool, 2*w)
	}
	for y := 0; y < 9; y++ {
		for x := 0; x < w; x++ {
			p := at(x, y)
			a, b, cc, d := at(x, y-1), at(x+1, y), at(x-1, y), at(x, y+1)
			e1, e2, e3, e4 := p, p, p, p
			if cc == a && cc != d && a != b {
				e1 = a
			}
			if a == b && a != cc && b != d {
				e2 = b
			}
			if d == cc && d != b && cc != a {
				e3 = cc
			}
			if b == d && b != a && d != cc {
				e4 = d
			}
			m[2*y][2*x], m[2*y][2*x+1], m[2*y+1][2*x], m[2*y+1][2*x+1] = e1, e2, e3, e4
		}
	}
	return m
}

// textWidth is the width of s in CSS pixels.
func textWidth(s string, bold bool) float64 {
	n := 0
	for range s {
		n++
	}
	if n == 0 {
		return 0
	}
	adv := glyphAdvance
	if bold {
		adv++
	}
	return float64(n*adv - 1)
}

// Text alignment relative to x.
const (
	alignLeft = iota
	alignCenter
	alignRight
)

// text draws s with the top of its capitals at y.
func (c *canvas) text(x, y float64, s string, col color.RGBA, align int, bold bool) {
	switch align {
	case alignCenter:
		x -= textWidth(s, bold) / 2
	case alignRight:
		x -= textWidth(s, bold)
	}
	ox, oy := int(math.Round(x*pixelScale)), int(math.Round(y*pixelScale))
	adv := glyphAdvance
	if bold {
		adv++
	}
	for i, r := range []rune(s) {
		rows, w := glyphBits(r, bold)
		for gy, row := range epx(rows, w) {
			for gx, on := range row {
				if on {
					c.blend(ox+i*adv*pixelScale+gx, oy+gy, col, 1)
				}
			}
		}
	}
}

// vtext draws s rotated a quarter turn anticlockwise (read bottom to top),
// centred on y, with the top of its capitals at x.
func (c *canvas) vtext(x, y float64, s string, col color.RGBA) {
	ox := int(math.Round(x * pixelScale))
	oy := int(math.Round((y + textWidth(s, false)/2) * pixelScale))
	for i, r := range []rune(s) {
		rows, w := glyphBits(r, false)
		for gy, row := range epx(rows, w) {
			for gx, on := range row {
				if on {
					c.blend(ox+gy, oy-(i*glyphAdvance*pixelScale+gx), col, 1)
				}
			}
		}
	}
}

// ellipsize shortens s to at most w CSS pixels, ending it with "…".
func ellipsize(s string, w float64) string {
	if textWidth(s, false) <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 1 && textWidth(string(r)+"…", false) > w {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

func (c *canvas) encode() []byte {
	var buf bytes.Buffer
	// Charts are flat colours: default compression keeps them small.
	_ = png.Encode(&buf, c.img) // writing to a bytes.Buffer cannot fail
	return buf.Bytes()
}

func hex(s string) color.RGBA {
	var v [3]uint8
	for i := 0; i < 3 && len(s) >= 7; i++ {
		v[i] = unhex(s[1+2*i])<<4 | unhex(s[2+2*i])
	}
	return color.RGBA{v[0], v[1], v[2], 0xff}
}

func unhex(b byte) uint8 {
	switch {
	case b >= '0' && b <= '9':
		return b - '0'
	case b >= 'a' && b <= 'f':
		return b - 'a' + 10
	case b >= 'A' && b <= 'F':
		return b - 'A' + 10
	}
	return 0
}
