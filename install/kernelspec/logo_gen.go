//go:build ignore

// logo_gen draws the PNG logos from the same geometry as logos/logo-svg.svg:
// go run logo_gen.go (from this folder). The PNGs are committed; this keeps
// them reproducible without an SVG renderer.
package main

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
)

// inside reports whether the point (x, y) in the SVG's 64×64 user space is
// painted white (the letters) or cyan (the tile), or not at all.
func paint(x, y float64) (c color.NRGBA, ok bool) {
	white := color.NRGBA{255, 255, 255, 255}
	cyan := color.NRGBA{0x00, 0xAD, 0xD8, 255}
	ring := func(cx, cy, r float64) bool {
		d := math.Hypot(x-cx, y-cy)
		return math.Abs(d-r) <= 3
	}
	// "g": a ring, a stem on its right, and a hook below.
	if ring(21, 30, 9) || ring(45, 32, 9) {
		return white, true
	}
	if math.Abs(x-30) <= 3 && y >= 24 && y <= 41 {
		return white, true
	}
	if y >= 41 && ring(21.5, 41, 8.5) && x <= 30+3 && x >= 13-3 {
		return white, true
	}
	for _, cap := range [][2]float64{{30, 24}, {13, 44}} {
		if math.Hypot(x-cap[0], y-cap[1]) <= 3 {
			return white, true
		}
	}
	// The rounded tile.
	dx := math.Max(math.Max(14-x, x-50), 0)
	dy := math.Max(math.Max(14-y, y-50), 0)
	if x >= 2 && x <= 62 && y >= 2 && y <= 62 && math.Hypot(dx, dy) <= 12 {
		return cyan, true
	}
	return color.NRGBA{}, false
}

func draw(size int, name string) {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	const ss = 4 // supersampling per axis, for smooth edges
	scale := 64 / float64(size)
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var r, g, b, a float64
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					x := (float64(px) + (float64(sx)+0.5)/ss) * scale
					y := (float64(py) + (float64(sy)+0.5)/ss) * scale
					if c, ok := paint(x, y); ok {
						r += float64(c.R)
						g += float64(c.G)
						b += float64(c.B)
						a++
					}
				}
			}
			if a > 0 {
				img.SetNRGBA(px, py, color.NRGBA{uint8(r / a), uint8(g / a), uint8(b / a), uint8(255 * a / ss / ss)})
			}
		}
	}
	f, err := os.Create(name)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		panic(err)
	}
}

func main() {
	draw(64, "logos/logo-64x64.png")
	draw(32, "logos/logo-32x32.png")
}
