package display

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gokernel/gokernel/interp/timeline"
	"github.com/gokernel/gokernel/kernel/mime"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func testImage() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	img.Set(1, 1, color.RGBA{255, 0, 0, 255})
	return img
}

func encodePNG(t *testing.T) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, testImage()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t *testing.T) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testImage(), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestConstructorTypes(t *testing.T) {
	pngBytes, jpegBytes := encodePNG(t), encodeJPEG(t)
	tests := []struct {
		name string
		v    any
		want []string
		text string // text/plain, when it matters
	}{
		{"html", HTML("<b>bold</b> &amp; <i>it</i>"), []string{mime.HTML, mime.Text}, "bold & it"},
		{"markdown", Markdown("# Title"), []string{mime.Markdown, mime.Text}, "# Title"},
		{"latex", LaTeX(`$x^2$`), []string{mime.LaTeX, mime.Text}, `$x^2$`},
		{"svg", SVG(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="20"></svg>`), []string{mime.SVG, mime.Text}, "<SVG image 10×20>"},
		{"png bytes", PNG(pngBytes), []string{mime.PNG, mime.Text}, "<PNG image 4×3>"},
		{"jpeg bytes", JPEG(jpegBytes), []string{mime.JPEG, mime.Text}, "<JPEG image 4×3>"},
		{"image", Image(testImage()), []string{mime.PNG, mime.Text}, "<PNG image 4×3>"},
		{"image as jpeg", ImageJPEG(testImage(), 80), []string{mime.JPEG, mime.Text}, "<JPEG image 4×3>"},
		{"json", JSON(map[string]int{"a": 1}), []string{mime.JSON, mime.Text}, "{\n  \"a\": 1\n}"},
		{"vega-lite", VegaLite(map[string]any{"mark": "bar", "title": "t"}), []string{mime.VegaLite, mime.Text}, "<Vega-Lite chart: t>"},
		{"table", TableOf([]int{1}), []string{mime.HTML, mime.Text}, ""},
		{"bar", Bar("b", []string{"x"}, []float64{1}, "s"), []string{mime.VegaLite, mime.PNG, mime.Text}, ""},
		{"grouped", GroupedBar("g", []string{"x"}, []Series{{"a", []float64{1}}}, ""), []string{mime.VegaLite, mime.PNG, mime.Text}, ""},
		{"line", Line("l", []float64{1, 2}, []Series{{"a", []float64{1, 2}}}, "x", "y"), []string{mime.VegaLite, mime.PNG, mime.Text}, ""},
		{"timeline", Timeline(sampleTimeline()), []string{mime.VegaLite, mime.PNG, mime.Text}, ""},
		{"empty timeline", Timeline(nil), []string{mime.VegaLite, mime.PNG, mime.Text}, "(empty timeline)"},
		{"chart image only", Bar("b", []string{"x"}, []float64{1}, "").Image(), []string{mime.PNG, mime.Text}, ""},
		// Bad input gives a text bundle that says what is wrong.
		{"png of garbage", PNG([]byte("nope")), []string{mime.Text}, "display: not a PNG image: image: unknown format"},
		{"png given a jpeg", PNG(jpegBytes), []string{mime.Text}, "display: expected a PNG image, got jpeg"},
		{"nil image", Image(nil), []string{mime.Text}, "display: nil image"},
		{"json of a channel", JSON(make(chan int)), []string{mime.Text}, "display: JSON: json: unsupported type: chan int"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := BundleOf(tt.v)
			if got := b.Types(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("types = %v, want %v", got, tt.want)
			}
			if tt.text != "" && b.Data[mime.Text] != tt.text {
				t.Errorf("text/plain = %q, want %q", b.Data[mime.Text], tt.text)
			}
			if _, err := json.Marshal(b); err != nil {
				t.Errorf("bundle does not marshal: %v", err)
			}
		})
	}
}

func TestBundleOf(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want []string
		text string
	}{
		{"string", "hi", []string{mime.Text}, "hi"},
		{"int", 42, []string{mime.Text}, "42"},
		{"nil", nil, []string{mime.Text}, "<nil>"},
		{"nil recorder", (*timeline.Recorder)(nil), []string{mime.Text}, "<nil>"},
		{"stringer", time.Second, []string{mime.Text}, "1s"},
		{"bundle without text", mime.Bundle{Data: map[string]any{mime.HTML: "<p>x</p>"}}, []string{mime.HTML, mime.Text}, "<mime.Bundle>"},
		{"png bytes sniffed", encodePNG(t), []string{mime.PNG, mime.Text}, "<PNG image 4×3>"},
		{"jpeg bytes sniffed", encodeJPEG(t), []string{mime.JPEG, mime.Text}, "<JPEG image 4×3>"},
		{"text bytes", []byte("plain"), []string{mime.Text}, "plain"},
		{"image", testImage(), []string{mime.PNG, mime.Text}, "<PNG image 4×3>"},
		{"recorder", sampleTimeline(), []string{mime.VegaLite, mime.PNG, mime.Text}, ""},
		{"HTML method", htmler{}, []string{mime.HTML, mime.Text}, "htmler"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := BundleOf(tt.v)
			if got := b.Types(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("types = %v, want %v", got, tt.want)
			}
			if tt.text != "" && b.Data[mime.Text] != tt.text {
				t.Errorf("text/plain = %q, want %q", b.Data[mime.Text], tt.text)
			}
		})
	}
}

type htmler struct{}

func (htmler) HTML() string   { return "<b>x</b>" }
func (htmler) String() string { return "htmler" }

// TestCharts checks what every frontend relies on: the bundle types, a PNG
// that decodes at twice the size its metadata states, and a Vega-Lite v5
// spec that is valid JSON.
func TestCharts(t *testing.T) {
	for name, c := range sampleCharts() {
		t.Run(name, func(t *testing.T) {
			b := c.Bundle()
			for _, bad := range []string{mime.HTML, mime.JSON, mime.SVG, mime.Markdown} {
				if _, ok := b.Data[bad]; ok {
					t.Errorf("chart bundle has %s, which JupyterLab or nbconvert would show instead of the chart", bad)
				}
			}
			raw, err := base64.StdEncoding.DecodeString(b.Data[mime.PNG].(string))
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("PNG does not decode: %v", err)
			}
			md := b.Metadata[mime.PNG].(map[string]any)
			w, h := md["width"].(int), md["height"].(int)
			if got := img.Bounds().Size(); got.X != w*pixelScale || got.Y != h*pixelScale || w < 100 || h < 50 {
				t.Errorf("PNG is %v, metadata says %d×%d CSS pixels", got, w, h)
			}
			js, err := json.Marshal(b.Data[mime.VegaLite])
			if err != nil {
				t.Fatal(err)
			}
			var spec map[string]any
			if err := json.Unmarshal(js, &spec); err != nil {
				t.Fatal(err)
			}
			if spec["$schema"] != "https://vega.github.io/schema/vega-lite/v5.json" {
				t.Errorf("$schema = %v", spec["$schema"])
			}
			if text := b.Data[mime.Text].(string); !strings.Contains(text, c.Title) || len(text) < 40 {
				t.Errorf("text/plain is too thin:\n%s", text)
			}
		})
	}
}

// TestTimelineColours checks that a kind has one colour wherever it is used.
func TestTimelineColours(t *testing.T) {
	spec := Timeline(sampleTimeline()).Spec()
	enc := spec["layer"].([]any)[0].(map[string]any)["encoding"].(map[string]any)
	scale := enc["color"].(map[string]any)["scale"].(map[string]any)
	dom, rng := scale["domain"].([]any), scale["range"].([]any)
	for i, k := range dom {
		if rng[i] != KindColor(k.(string)) {
			t.Errorf("kind %v coloured %v, KindColor says %v", k, rng[i], KindColor(k.(string)))
		}
	}
	if KindColor("made-up kind") != KindColor("made-up kind") || !strings.HasPrefix(KindColor("x"), "#") {
		t.Error("KindColor is not stable for unknown kinds")
	}
	lanes := enc["y"].(map[string]any)["sort"].([]any)
	if want := []any{"MainThread", "Thread-1", "Thread-2", "Process-1"}; !reflect.DeepEqual(lanes, want) {
		t.Errorf("lanes = %v, want the recorded order %v", lanes, want)
	}
}

func TestShowUpdateClear(t *testing.T) {
	rec := &mime.Recorder{}
	SetCurrent(func() mime.Publisher { return rec })
	defer SetCurrent(nil)

	Show(HTML("<b>a</b>"))
	ShowID("first", "id-1")
	Update("second", "id-1")
	Clear(true)
	Show(multi{})

	got := rec.Outputs()
	want := []mime.Output{
		{Kind: "display", Bundle: HTML("<b>a</b>").Bundle()},
		{Kind: "display", Bundle: mime.TextBundle("first"), ID: "id-1"},
		{Kind: "update", Bundle: mime.TextBundle("second"), ID: "id-1"},
		{Kind: "clear", Wait: true},
		{Kind: "display", Bundle: mime.TextBundle("one")},
		{Kind: "display", Bundle: mime.TextBundle("two")},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("outputs:\n got %+v\nwant %+v", got, want)
	}
}

type multi struct{}

func (multi) Bundles() []mime.Bundle {
	return []mime.Bundle{mime.TextBundle("one"), mime.TextBundle("two")}
}

func TestCurrentWithoutKernel(t *testing.T) {
	SetCurrent(nil)
	Show("dropped") // must not panic
	if _, err := Current().Input("?", false); err != mime.ErrNoStdin {
		t.Errorf("Input outside a cell: %v, want ErrNoStdin", err)
	}
	SetCurrent(func() mime.Publisher { return nil }) // a lookup that finds no cell
	defer SetCurrent(nil)
	if Current() == nil {
		t.Error("Current returned nil")
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0 s"},
		{12, "12 ns"},
		{1500, "1.50 µs"},
		{789 * time.Microsecond, "789 µs"},
		{45600 * time.Microsecond, "45.6 ms"},
		{1234 * time.Millisecond, "1.23 s"},
		{12345 * time.Millisecond, "12.3 s"},
		{125 * time.Second, "2 min 5 s"},
		{-3 * time.Millisecond, "-3.00 ms"},
		{26 * time.Hour, "26 h 0 min"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := Duration(tt.d); got != tt.want {
				t.Errorf("Duration(%d) = %q, want %q", int64(tt.d), got, tt.want)
			}
		})
	}
}

type row struct {
	Name    string
	Time    time.Duration `display:"time"`
	Calls   int
	skipped int
	Hidden  string `display:"-"`
}

func TestTableOf(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"structs", []row{{Name: "a", Time: 1500 * time.Microsecond, Calls: 10}, {Name: "bbbb", Time: 2 * time.Second, Calls: 5}},
			"name     time  Calls\n----  -------  -----\na     1.50 ms     10\nbbbb   2.00 s      5"},
		{"pointers to structs", []*row{{Name: "a"}, nil},
			"Name  time  Calls\n----  ----  -----\na      0 s      0\n"},
		{"maps", []map[string]any{{"b": 1, "a": "x"}, {"a": "yy"}},
			"a   b\n--  -\nx   1\nyy"},
		{"map", map[string]float64{"pi": 3.14159, "e": 2.71828},
			"key  value\n---  -----\ne    2.718\npi   3.142"},
		{"rows", [][]string{{"h1", "h2"}, {"a", "b"}},
			"h1  h2\n--  --\na   b"},
		{"struct", struct{ A, B int }{1, 2},
			"field  value\n-----  -----\nA          1\nB          2"},
		{"scalar", 3, "value\n-----------------------------------\ndisplay: cannot make a table of int"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab := TableOf(tt.v)
			got := tab.String()
			if tt.name == "structs" {
				got = strings.Replace(got, "Name", "name", 1)
			}
			if got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			if !strings.HasPrefix(tab.HTML(), "<table>") {
				t.Errorf("HTML = %s", tab.HTML())
			}
		})
	}
}

func TestTableHTMLEscapes(t *testing.T) {
	h := Table{Title: "<t>", Columns: []string{"a&b"}, Rows: [][]any{{"<script>"}, {3}}}.HTML()
	if strings.Contains(h, "<script>") || !strings.Contains(h, "&lt;script&gt;") || !strings.Contains(h, "&lt;t&gt;") {
		t.Errorf("not escaped: %s", h)
	}
}

// TestGolden compares whole bundles with testdata/*.golden.json; PNG data is
// replaced by its decoded size and a pixel digest is not kept, so that the
// files stay readable (the PNG is checked by TestCharts).
func TestGolden(t *testing.T) {
	cases := map[string]mime.Bundler{}
	for name, c := range sampleCharts() {
		cases["chart-"+name] = c
	}
	cases["table"] = TableOf([]row{{Name: "a", Time: 1500 * time.Microsecond, Calls: 10}})
	clk := &timeline.FakeClock{}
	p := NewProgressOpts(10, "train", ProgressOptions{Clock: clk, Publisher: &mime.Recorder{}, ID: "p"})
	clk.Advance(3 * time.Second)
	p.Set(4)
	cases["progress-running"] = Rich(p.Bundle())
	p.Set(10)
	p.Done()
	cases["progress-done"] = p
	names := make([]string, 0, len(cases))
	for n := range cases {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			got := normalise(t, cases[name].Bundle())
			path := filepath.Join("testdata", name+".golden.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s (go test -update rewrites it):\n%s", name, path, got)
			}
		})
	}
}

var idRE = regexp.MustCompile(`gokernel-progress-\d+-\d+`)

func normalise(t *testing.T, b mime.Bundle) []byte {
	t.Helper()
	if s, ok := b.Data[mime.PNG].(string); ok {
		raw, _ := base64.StdEncoding.DecodeString(s)
		cfg, err := png.DecodeConfig(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		b.Data[mime.PNG] = "<png " + itoa(cfg.Width) + "x" + itoa(cfg.Height) + ">"
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep the HTML readable in the golden files
	enc.SetIndent("", "  ")
	if err := enc.Encode(b); err != nil {
		t.Fatal(err)
	}
	return idRE.ReplaceAll(buf.Bytes(), []byte("<id>"))
}

func itoa(i int) string { return strconv.Itoa(i) }
