package display

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration formats d for people: three significant digits and the unit that
// suits it ("1.23 s", "45.6 ms", "789 µs", "12 ns", "2 min 5 s").
func Duration(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	var s string
	switch {
	case d == 0:
		s = "0 s"
	case d < time.Microsecond:
		s = strconv.FormatInt(int64(d), 10) + " ns"
	case d < time.Millisecond:
		s = sig3(float64(d)/1e3) + " µs"
	case d < time.Second:
		s = sig3(float64(d)/1e6) + " ms"
	case d < time.Minute:
		s = sig3(d.Seconds()) + " s"
	case d < time.Hour:
		m := d / time.Minute
		s = fmt.Sprintf("%d min %d s", m, (d-m*time.Minute+time.Second/2)/time.Second)
	default:
		h := d / time.Hour
		s = fmt.Sprintf("%d h %d min", h, (d-h*time.Hour+time.Minute/2)/time.Minute)
	}
	if neg {
		return "-" + s
	}
	return s
}

// sig3 formats x (> 0) with three significant digits, without exponent.
func sig3(x float64) string {
	switch {
	case x >= 99.95:
		return strconv.FormatFloat(x, 'f', 0, 64)
	case x >= 9.995:
		return strconv.FormatFloat(x, 'f', 1, 64)
	default:
		return strconv.FormatFloat(x, 'f', 2, 64)
	}
}

// Number formats a float for a table or a label: integers without a point,
// others with up to four significant digits, huge and tiny ones with an
// exponent.
func Number(x float64) string {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case math.IsInf(x, 1):
		return "+Inf"
	case math.IsInf(x, -1):
		return "-Inf"
	case x == math.Trunc(x) && math.Abs(x) < 1e15:
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	a := math.Abs(x)
	if a >= 1e6 || a < 1e-3 {
		return strconv.FormatFloat(x, 'g', 4, 64)
	}
	s := strconv.FormatFloat(x, 'f', max(0, 3-int(math.Floor(math.Log10(a)))), 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// withUnit formats v in unit for a label: durations in "s" or "ms" get the
// human form, others a number and the unit.
func withUnit(v float64, unit string) string {
	switch unit {
	case "s":
		return Duration(time.Duration(v * float64(time.Second)))
	case "ms":
		return Duration(time.Duration(v * float64(time.Millisecond)))
	case "µs", "us":
		return Duration(time.Duration(v * float64(time.Microsecond)))
	case "ns":
		return Duration(time.Duration(v))
	case "":
		return Number(v)
	case "×", "x", "%":
		return Number(v) + unit
	}
	return Number(v) + " " + unit
}
