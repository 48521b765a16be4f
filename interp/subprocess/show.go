package subprocess

import (
	"fmt"
	"time"

	"github.com/gokernel/gokernel/interp/display"
	"github.com/gokernel/gokernel/kernel/mime"
)

// Table returns the costs as a table: one row per measurement.
func (c Costs) Table() display.Table {
	t := display.Table{Title: "What processes cost on this machine", Columns: []string{"what", "runs", "min", "median", "max"}}
	for _, s := range []Stat{c.Startup, c.RoundTrip, c.Call, c.Ints, c.Goroutine} {
		if s.N > 0 {
			t.Rows = append(t.Rows, []any{s.What, s.N, s.Min, s.Median, s.Max})
		}
	}
	for _, x := range c.Transfers {
		t.Rows = append(t.Rows, []any{fmt.Sprintf("send %s to a worker (%.0f MB/s)", sizeText(x.Bytes), x.MBps), "", "", x.Time, ""})
	}
	return t
}

// Chart returns the median times as bars (seconds).
func (c Costs) Chart() display.Chart {
	var labels []string
	var secs []float64
	for _, s := range []Stat{c.Goroutine, c.RoundTrip, c.Call, c.Ints, c.Startup} {
		if s.N > 0 {
			labels = append(labels, s.What)
			secs = append(secs, s.Median.Seconds())
		}
	}
	for _, x := range c.Transfers {
		labels = append(labels, "send "+sizeText(x.Bytes))
		secs = append(secs, x.Time.Seconds())
	}
	return display.Bar("Process costs (median)", labels, secs, "s")
}

// String returns the table as text.
func (c Costs) String() string { return c.Table().String() }

// Bundle implements mime.Bundler: the table.
func (c Costs) Bundle() mime.Bundle { return c.Table().Bundle() }

// Bundles implements display.MultiBundler: the table, then the chart.
func (c Costs) Bundles() []mime.Bundle {
	return []mime.Bundle{c.Table().Bundle(), c.Chart().Bundle()}
}

func sizeText(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d B", n)
	}
}

// Table returns the comparison as a table.
func (s Speedup) Table() display.Table {
	return display.Table{
		Title:   fmt.Sprintf("%s: %d× serially in this process vs %d processes", s.Function, s.Workers, s.Workers),
		Columns: []string{"run", "time", "speedup"},
		Rows: [][]any{
			{"serial (this process)", s.Serial, "1.00×"},
			{fmt.Sprintf("%d processes (start-up %s each)", s.Workers, display.Duration(s.Startup)), s.Parallel, fmt.Sprintf("%.2f×", s.Speedup)},
			{"ideal: serial ÷ workers + start-up", s.Serial/timeDiv(s.Workers) + s.Startup, fmt.Sprintf("%.2f×", s.Ideal)},
		},
	}
}

func timeDiv(n int) time.Duration { return time.Duration(n) }

// Chart returns the times as bars.
func (s Speedup) Chart() display.Chart {
	return display.Bar(s.Function+": serial vs processes", []string{"serial", fmt.Sprintf("%d processes", s.Workers)},
		[]float64{s.Serial.Seconds(), s.Parallel.Seconds()}, "s")
}

// String returns the table as text.
func (s Speedup) String() string { return s.Table().String() }

// Bundle implements mime.Bundler: the table.
func (s Speedup) Bundle() mime.Bundle { return s.Table().Bundle() }

// Bundles implements display.MultiBundler: the table, the chart, then the
// timeline of the processes.
func (s Speedup) Bundles() []mime.Bundle {
	bs := []mime.Bundle{s.Table().Bundle(), s.Chart().Bundle()}
	if s.Timeline != nil {
		bs = append(bs, display.Timeline(s.Timeline).Bundle())
	}
	return bs
}

// Table returns one row per worker process the pool has had.
func (p *Pool) Table() display.Table {
	t := display.TableOf(p.Stats())
	t.Title = fmt.Sprintf("Pool of %d worker processes", p.n)
	return t
}

// String returns the table as text.
func (p *Pool) String() string { return p.Table().String() }

// Bundle implements mime.Bundler: the workers' table.
func (p *Pool) Bundle() mime.Bundle { return p.Table().Bundle() }

// Bundles implements display.MultiBundler: the workers' table, then the
// timeline of who ran when.
func (p *Pool) Bundles() []mime.Bundle {
	return []mime.Bundle{p.Table().Bundle(), display.Timeline(p.rec).Bundle()}
}

// Bundle implements mime.Bundler: the process's state in a line.
func (p *Process) Bundle() mime.Bundle { return mime.TextBundle(p.String()) }

// String describes the process as Python's repr does.
func (p *Process) String() string {
	switch {
	case p.Pid() == 0:
		return fmt.Sprintf("<Process name=%q initial>", p.Name)
	case p.IsAlive():
		return fmt.Sprintf("<Process name=%q pid=%d started>", p.Name, p.Pid())
	default:
		return fmt.Sprintf("<Process name=%q pid=%d exitcode=%d>", p.Name, p.Pid(), p.ExitCode())
	}
}
