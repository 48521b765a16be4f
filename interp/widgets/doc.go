// Package widgets is Jupyter widgets in Go: sliders, dropdowns, buttons,
// text, output areas and boxes that a cell shows and a Go func observes,
// speaking the widget messaging protocol 2.1 that JupyterLab 4 with
// jupyterlab_widgets 3 (ipywidgets 8: @jupyter-widgets/controls 2.0.0,
// base 2.0.0, output 1.0.0) speaks.
//
//	threads := widgets.NewIntSlider("threads", 1, 8, 4)
//	threads.Observe(func(n int) { fmt.Println("threads:", n) })
//	threads // a cell's last value (or display.Show(threads)) shows the slider
//
//	// Re-run an experiment into an output area whenever a control moves;
//	// a burst of changes (a dragged slider) gives one run at the end, not one
//	// per position:
//	widgets.Interact(func() { display.Show(experiment(threads.Value())) }, threads)
//
//	// The same for a notebook that nbclient runs headless: write into an
//	// Output of your own. What f prints or shows is routed into Interact's
//	// output by message id, which nbclient emulates with messages back to
//	// the kernel that can make it miss the cell's reply (nbclient#312);
//	// Output.Print and Output.Show write the widget's state instead.
//	out := widgets.NewOutput()
//	widgets.Interact(func() { out.Clear(); out.Show(experiment(threads.Value())) }, threads)
//	display.Show(out)
//
// Widgets: IntSlider, FloatSlider, IntRangeSlider, Dropdown, ToggleButtons,
// Checkbox, Text, Label, HTML, Button (OnClick), Play, IntProgress, HBox,
// VBox and Output. Each is a model in the frontend reached through a comm
// (package comm); its value is kept in step both ways, and Observe funcs
// run after every change, on the kernel's side, with what they print and
// display tagged with the frontend message that caused the change.
//
// A widget shows as the widget view MIME type with a text/plain fallback
// (frontends without widgets, a notebook read as text). A frontend that
// reloads its page opens the jupyter.widget.control comm and gets every
// live widget back (request_states, update_states).
//
// Errors: a malformed update from the frontend, or an observer or click
// handler that panics, is reported as stderr under the cell that made the
// widget (and under the message being served, which an Output captures);
// the widget and the kernel keep working.
package widgets
