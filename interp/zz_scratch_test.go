package interp

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/mime"
)

func TestZZScratch(t *testing.T) {
	src, err := os.ReadFile(os.Getenv("SCRATCH"))
	if err != nil {
		t.Skip()
	}
	s, _ := NewSession(Options{})
	for _, c := range strings.Split(string(src), "\n---\n") {
		rec := &mime.Recorder{}
		ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
		t0 := time.Now()
		b, err := s.Execute(ctx, c, rec)
		cancel()
		fmt.Printf("=== %q (%v)\n%s\n", c, time.Since(t0).Round(time.Millisecond), transcript(rec, b, err))
	}
}
