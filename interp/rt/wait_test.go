package rt

import (
	"testing"
	"time"
)

func TestRecvKeepsTypeAndCloses(t *testing.T) {
	ch := make(chan string, 1)
	ch <- "hi"
	b := Recv((<-chan string)(ch), "test").(<-chan string)
	if v, ok := <-b; v != "hi" || !ok {
		t.Fatalf("got %q %v", v, ok)
	}
	close(ch)
	b = Recv(ch, "test").(chan string)
	if v, ok := <-b; v != "" || ok {
		t.Fatalf("closed: got %q %v", v, ok)
	}
}

func TestSendThroughBox(t *testing.T) {
	ch := make(chan int, 1)
	var so chan<- int = ch
	b := SendBox(so).(chan<- int)
	b <- 7
	Send(so, b, "test")
	if v := <-ch; v != 7 {
		t.Fatalf("got %d", v)
	}
}

// A cell whose own goroutine and whose goroutines all wait on channels is
// stopped with a *Deadlock naming each wait.
func TestDeadlockReported(t *testing.T) {
	old := SetDeadlockAfter(100 * time.Millisecond)
	defer SetDeadlockAfter(old)
	got := make(chan any, 1)
	go func() {
		c := BeginCell(nil)
		defer c.End()
		ch := make(chan int)
		GoAt("In[1] line 2", func() {
			b := SendBox(ch).(chan int)
			b <- 1
			Send(ch, b, "In[1] line 2: send on ch")
		})
		p := Protect(func() {
			// Waits for a value of another channel no one sends on.
			Recv(make(chan int), "In[1] line 3: receive on other")
		})
		got <- p.Value
	}()
	select {
	case v := <-got:
		d, ok := v.(*Deadlock)
		if !ok {
			t.Fatalf("ended with %v, want a *Deadlock", v)
		}
		t.Log(d.Error())
		if len(d.Waits) != 2 {
			t.Errorf("%d waits listed, want 2: %s", len(d.Waits), d.Error())
		}
	case <-time.After(20 * time.Second): // hang guard
		t.Fatal("no deadlock reported")
	}
}
