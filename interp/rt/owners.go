package rt

import (
	"sync"
	"sync/atomic"
)

// ownerTable maps goroutine ids to what is known of them (*goroutine).
//
// It is a sharded map rather than a sync.Map: a storm of a million
// goroutines adds a million entries and an interrupt deletes them all at
// once, and sync.Map's trie then costs several cold cache misses per
// operation (a fifth of the time a million goroutines took to end). Ids
// are handed out in sequence, so the low bits spread them evenly.
//
// A goroutine started with Go leaves the table lazily: at exit it only
// marks its record (retire), since deleting a million entries while a
// million goroutines unwind costs cold cache misses on the critical path;
// the marked entries are swept once they outnumber the live goroutines
// (and at least sweepMin of them). Goroutine ids are never reused, so a
// marked entry is never found by a live goroutine; each skips them.
type ownerTable struct {
	shards   [ownerShards]ownerShard
	retired  atomic.Int64 // marked entries not yet swept
	sweeping atomic.Bool
}

// sweepMin is how many retired entries wait for a sweep at least.
const sweepMin = 4096

const ownerShards = 64

type ownerShard struct {
	mu sync.RWMutex
	m  map[int64]*goroutine
	_  [40]byte // a cache line of its own
}

func (t *ownerTable) shard(id int64) *ownerShard { return &t.shards[uint64(id)%ownerShards] }

func (t *ownerTable) load(id int64) *goroutine {
	s := t.shard(id)
	s.mu.RLock()
	g := s.m[id]
	s.mu.RUnlock()
	return g
}

func (t *ownerTable) store(id int64, g *goroutine) {
	s := t.shard(id)
	s.mu.Lock()
	if s.m == nil {
		s.m = map[int64]*goroutine{}
	}
	s.m[id] = g
	s.mu.Unlock()
}

func (t *ownerTable) delete(id int64) {
	s := t.shard(id)
	s.mu.Lock()
	delete(s.m, id)
	s.mu.Unlock()
}

// retire marks g, an entry of the table, as gone (see ownerTable), and
// sweeps when the marked entries outnumber the live goroutines.
func (t *ownerTable) retire(g *goroutine) {
	g.gone.Store(true)
	if n := t.retired.Add(1); n >= sweepMin && n > 2*liveGo.Load() && t.sweeping.CompareAndSwap(false, true) {
		go t.sweep()
	}
}

// sweep deletes the retired entries, a shard at a time.
func (t *ownerTable) sweep() {
	defer t.sweeping.Store(false)
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		for id, g := range s.m {
			if g.gone.Load() {
				delete(s.m, id)
				t.retired.Add(-1)
			}
		}
		s.mu.Unlock()
	}
}

// each calls fn for every live entry, a shard at a time (fn must not use
// the table).
func (t *ownerTable) each(fn func(id int64, g *goroutine)) {
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.RLock()
		for id, g := range s.m {
			if !g.gone.Load() {
				fn(id, g)
			}
		}
		s.mu.RUnlock()
	}
}
