package display

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gokernel/gokernel/interp/timeline"
	"github.com/gokernel/gokernel/kernel/mime"
)

func TestProgressThrottled(t *testing.T) {
	tests := []struct {
		name        string
		steps       int
		step        time.Duration // fake time per step
		wantUpdates int           // display + throttled updates + final
	}{
		{"1000 fast steps in 1 s", 1000, time.Millisecond, 1 + 10 + 1},
		{"10 slow steps", 10, time.Second, 1 + 10 + 1},
		{"instant", 100, 0, 1 + 0 + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &mime.Recorder{}
			clk := &timeline.FakeClock{}
			p := NewProgressOpts(tt.steps, "work", ProgressOptions{Clock: clk, Publisher: rec})
			for i := 0; i < tt.steps; i++ {
				clk.Advance(tt.step)
				p.Add(1)
			}
			p.Done()
			p.Add(1) // after Done: nothing more is sent
			out := rec.Outputs()
			if len(out) != tt.wantUpdates || p.Updates() != tt.wantUpdates {
				t.Fatalf("%d outputs (Updates %d), want %d", len(out), p.Updates(), tt.wantUpdates)
			}
			if out[0].Kind != "display" || out[0].ID == "" {
				t.Errorf("first output %+v, want a display with an id", out[0])
			}
			for _, o := range out[1:] {
				if o.Kind != "update" || o.ID != out[0].ID {
					t.Errorf("output %+v, want an update of %s", o, out[0].ID)
				}
			}
			last := out[len(out)-1].Bundle
			want := "work: done " + itoa(tt.steps) + "/" + itoa(tt.steps) + " in " + Duration(time.Duration(tt.steps)*tt.step)
			if last.Data[mime.Text] != want {
				t.Errorf("final text %q, want %q", last.Data[mime.Text], want)
			}
			if !strings.Contains(last.Data[mime.HTML].(string), "done") {
				t.Errorf("final HTML lacks done: %s", last.Data[mime.HTML])
			}
		})
	}
}

func TestProgressConcurrent(t *testing.T) {
	rec := &mime.Recorder{}
	p := NewProgressOpts(800, "par", ProgressOptions{Publisher: rec, Clock: &timeline.FakeClock{Step: time.Millisecond}})
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				p.Add(1)
			}
		}()
	}
	wg.Wait()
	p.Done()
	out := rec.Outputs()
	if got := out[len(out)-1].Bundle.Data[mime.Text].(string); !strings.HasPrefix(got, "par: done 800/800") {
		t.Errorf("final %q", got)
	}
}

func TestProgressUsesCurrent(t *testing.T) {
	rec := &mime.Recorder{}
	SetCurrent(func() mime.Publisher { return rec })
	p := NewProgress(0, "")
	SetCurrent(nil) // the bar keeps the publisher of the cell that made it
	p.Add(3)
	p.Done()
	out := rec.Outputs()
	if len(out) != 2 || !strings.HasPrefix(out[1].Bundle.Data[mime.Text].(string), "progress: done 3 in") {
		t.Errorf("outputs %+v", out)
	}
}
