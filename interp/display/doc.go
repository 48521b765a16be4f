// Package display shows rich output in the notebook: HTML, Markdown, images,
// tables, charts, timelines and progress bars.
//
//	display.Show(display.HTML("<b>hello</b>"))
//	display.Show(display.TableOf(rows))                   // HTML table + aligned text
//	display.Show(display.Bar("time", names, secs, "s"))   // Vega-Lite + PNG + text
//	display.Show(display.Timeline(rec))                   // who ran when
//
//	p := display.NewProgress(100, "training")
//	for i := 0; i < 100; i++ { step(); p.Add(1) }
//	p.Done() // the saved notebook shows "training: done 100/100 in 3.20 s"
//
// # Where outputs go
//
// Helpers send to Current(), the Publisher of the cell that is running (the
// interpreter installs a lookup with SetCurrent that finds the cell owning the
// calling goroutine). Outside a kernel, Current is a no-op publisher.
//
// # What each frontend shows
//
// Every bundle carries text/plain. Charts carry Vega-Lite v5 (shown by
// JupyterLab 4 and Notebook 7 even in untrusted notebooks), a PNG drawn with
// the standard library (shown by the classic notebook, nbconvert's HTML and
// any frontend without a Vega renderer) and a text summary; never text/html or
// application/json, which JupyterLab would rank above Vega-Lite.
package display
