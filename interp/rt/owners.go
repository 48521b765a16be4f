package rt

import "sync"

// ownerTable maps goroutine ids to what is known of them (*goroutine).
//
// It is a sharded map rather than a sync.Map: a storm of a million
// goroutines adds a million entries and an interrupt deletes them all at
// once, and sync.Map's trie then costs several cold cache misses per
// operation (a fifth of the time a million goroutines took to end). Ids
// are handed out in sequence, so the low bits spread them evenly.
type ownerTable struct {
	shards [ownerShards]ownerShard
}

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

// each calls fn for every entry, a shard at a time (fn must not use the
// table).
func (t *ownerTable) each(fn func(id int64, g *goroutine)) {
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.RLock()
		for id, g := range s.m {
			fn(id, g)
		}
		s.mu.RUnlock()
	}
}
