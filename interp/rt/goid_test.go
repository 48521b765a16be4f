package rt

import (
	"sync"
	"testing"
)

func TestFastGoID(t *testing.T) {
	if goidOffset < 0 {
		t.Logf("fast goroutine ids unavailable here; GoID parses stacks")
	}
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got, want := GoID(), slowGoID(); got != want {
				t.Errorf("GoID() = %d, stack says %d", got, want)
			}
		}()
	}
	wg.Wait()
}

func TestGoIDOffsetFound(t *testing.T) {
	if goidOffset < 0 {
		t.Fatal("offset of goid in runtime.g not found on this platform")
	}
}
