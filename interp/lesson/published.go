package lesson

import (
	"fmt"
	"html"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/gokernel/gokernel/interp/display"
	"github.com/gokernel/gokernel/kernel/mime"
)

// NA marks a figure that does not exist: the article did not publish it, or
// CPython was not measured. Tables show it as "—".
var NA = math.NaN()

// A Figure is one measure in a Figures table.
type Figure struct {
	What    string  // the measure: "2 threads, CPU-bound (wall time)"
	Unit    string  // "s", "ms", "×" or "" (see FactIn)
	Article float64 // as published; NA when the article gives none
	CPython float64 // measured here with Python; NA when not measured
	Go      float64 // measured here in the Go model
	Scaled  bool    // our run is smaller than the article's: its seconds do not compare, only its ratios
}

// Figures sets an article's published figures beside the ones measured
// live, CPython's and the Go model's. Build it with Published and Add; it
// displays as a table whose caption cites the article.
type Figures struct {
	Article string   // the article's title
	Note    string   // shown under the table: what differs from the article's set-up
	Rows    []Figure // in the order added
}

// Published starts a table of figures from the article titled article.
func Published(article string) *Figures { return &Figures{Article: article} }

// Add appends a measure; pass NA for a figure that does not exist.
func (f *Figures) Add(what, unit string, article, cpython, gomodel float64) *Figures {
	f.Rows = append(f.Rows, Figure{What: what, Unit: unit, Article: article, CPython: cpython, Go: gomodel})
	return f
}

// AddScaled appends a measure taken on a smaller workload than the
// article's: it is marked †, and its "Go ÷ article" ratio is left out,
// since only ratios between runs of the same size compare.
func (f *Figures) AddScaled(what, unit string, article, cpython, gomodel float64) *Figures {
	f.Rows = append(f.Rows, Figure{What: what, Unit: unit, Article: article, CPython: cpython, Go: gomodel, Scaled: true})
	return f
}

// WithNote sets the note shown under the table and returns f.
func (f *Figures) WithNote(note string) *Figures {
	f.Note = note
	return f
}

var figureColumns = []string{"measure", "article (published)", "CPython (here)", "Go model (here)", "Go ÷ article", "Go ÷ CPython"}

// cells returns the table's text cells, row by row.
func (f *Figures) cells() [][]string {
	rows := make([][]string, 0, len(f.Rows))
	for _, r := range f.Rows {
		what, vsArticle := r.What, formatRatio(r.Go, r.Article)
		if r.Scaled {
			what += " †"
			vsArticle = "—"
		}
		rows = append(rows, []string{
			what,
			formatValue(r.Article, r.Unit),
			formatValue(r.CPython, r.Unit),
			formatValue(r.Go, r.Unit),
			vsArticle,
			formatRatio(r.Go, r.CPython),
		})
	}
	return rows
}

// formatRatio formats a / b as "0.97×", or "—" when either is missing or b is 0.
func formatRatio(a, b float64) string {
	if math.IsNaN(a) || math.IsNaN(b) || b == 0 || math.IsInf(a, 0) || math.IsInf(b, 0) {
		return "—"
	}
	return formatValue(a/b, "×")
}

func (f *Figures) caption() string {
	if f.Article == "" {
		return "Published figures beside ours"
	}
	return "Published in “" + f.Article + "”, beside what this machine measures"
}

const scaledNote = "† measured on a smaller workload than the article's, so that the lesson runs in minutes: compare the ratios, not the seconds."

// notes returns the lines shown under the table.
func (f *Figures) notes() []string {
	var ns []string
	for _, r := range f.Rows {
		if r.Scaled {
			ns = append(ns, scaledNote)
			break
		}
	}
	if f.Note != "" {
		ns = append(ns, f.Note)
	}
	return ns
}

// String returns the table as aligned text, with its caption and note.
func (f *Figures) String() string {
	var b strings.Builder
	b.WriteString(f.caption() + "\n")
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, strings.Join(figureColumns, "\t"))
	for _, r := range f.cells() {
		fmt.Fprintln(w, strings.Join(r, "\t"))
	}
	w.Flush()
	for _, n := range f.notes() {
		b.WriteString(n + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// Bundle implements mime.Bundler: an HTML table and its text form.
func (f *Figures) Bundle() mime.Bundle {
	var b strings.Builder
	writeTable(&b, f.caption(), figureColumns, f.cells())
	for _, n := range f.notes() {
		fmt.Fprintf(&b, `<p style="color:#555;margin:2px 0">%s</p>`, html.EscapeString(n))
	}
	return mime.Bundle{Data: map[string]any{mime.HTML: b.String(), mime.Text: f.String()}}
}

// writeTable writes an HTML table with a caption above it, the first
// column (the names) left-aligned and the figures right-aligned.
func writeTable(b *strings.Builder, caption string, columns []string, rows [][]string) {
	b.WriteString(`<table style="border-collapse:collapse">`)
	fmt.Fprintf(b, `<caption style="caption-side:top;text-align:left;font-weight:bold;padding:4px 0">%s</caption><thead><tr>`, html.EscapeString(caption))
	for i, c := range columns {
		fmt.Fprintf(b, `<th style="text-align:%s;padding:2px 10px">%s</th>`, align(i), html.EscapeString(c))
	}
	b.WriteString("</tr></thead><tbody>")
	for _, row := range rows {
		b.WriteString("<tr>")
		for i, c := range row {
			fmt.Fprintf(b, `<td style="text-align:%s;padding:2px 10px">%s</td>`, align(i), html.EscapeString(c))
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</tbody></table>")
}

func align(col int) string {
	if col == 0 {
		return "left"
	}
	return "right"
}

// Chart returns a grouped bar chart of the rows in unit (rows in other units
// are left out): a group per measure, a bar each for the article, CPython
// and the Go model. Missing figures are drawn as zero-length bars.
func (f *Figures) Chart(unit string) display.Chart {
	var groups []string
	series := []display.Series{{Name: "article"}, {Name: "CPython (here)"}, {Name: "Go model (here)"}}
	for _, r := range f.Rows {
		if r.Unit != unit {
			continue
		}
		groups = append(groups, r.What)
		for i, v := range []float64{r.Article, r.CPython, r.Go} {
			if math.IsNaN(v) {
				v = 0
			}
			series[i].Values = append(series[i].Values, v)
		}
	}
	return display.GroupedBar(f.caption(), groups, series, unit)
}
