package display

import (
	"hash/fnv"
	"image/color"

	"github.com/gokernel/gokernel/interp/timeline"
)

// seriesColors colours series in order (Tableau 10, readable on white and
// distinguishable by most colour-blind readers).
var seriesColors = []string{"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"}

// kindColors gives each span kind the same colour in every chart: green for
// running, red for waiting for the GIL, the calm colours for waits that are
// not contention.
var kindColors = map[string]string{
	timeline.Running:    "#59a14f",
	timeline.WaitingGIL: "#e15759",
	timeline.Sleeping:   "#a0cbe8",
	timeline.IO:         "#4e79a7",
	timeline.Blocked:    "#f28e2b",
	timeline.Starting:   "#b07aa1",
	timeline.Idle:       "#d7d7d7",
	timeline.Message:    "#76b7b2",
}

// kindOrder is the order kinds take in legends and text summaries.
var kindOrder = []string{timeline.Running, timeline.WaitingGIL, timeline.Blocked, timeline.IO, timeline.Sleeping, timeline.Message, timeline.Starting, timeline.Idle}

// kindSymbols mark kinds in the text timeline strip.
var kindSymbols = map[string]rune{
	timeline.Running:    '█',
	timeline.WaitingGIL: '░',
	timeline.Sleeping:   'z',
	timeline.IO:         'i',
	timeline.Blocked:    'b',
	timeline.Starting:   's',
	timeline.Idle:       '.',
	timeline.Message:    'm',
}

// otherColors colour kinds the models invent, chosen by a hash of the name
// so that a kind keeps its colour across charts and runs.
var otherColors = []string{"#edc948", "#ff9da7", "#9c755f", "#8cd17d", "#b6992d", "#499894", "#d37295", "#79706e", "#86bcb6", "#fabfd2"}

// KindColor returns the colour ("#rrggbb") of a span kind in every chart.
func KindColor(kind string) string {
	if c, ok := kindColors[kind]; ok {
		return c
	}
	h := fnv.New32a()
	h.Write([]byte(kind))
	return otherColors[h.Sum32()%uint32(len(otherColors))]
}

func seriesColor(i int) string { return seriesColors[i%len(seriesColors)] }

var (
	inkColor   = hex("#333333") // text
	mutedColor = hex("#666666") // tick labels
	gridColor  = hex("#e6e6e6")
	axisColor  = hex("#888888")
	eventColor = color.RGBA{0x22, 0x22, 0x22, 0xff}
)
