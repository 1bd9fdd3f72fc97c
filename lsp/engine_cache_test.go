package lsp_test

import (
	"context"
	"sync"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/internal/fixture"
	"github.com/donkeyls/donkeyls/internal/ossource"
	"github.com/donkeyls/donkeyls/lsp"
)

// mapCache is a FactsCache in memory that counts what it is asked.
type mapCache struct {
	mu               sync.Mutex
	m                map[[32]byte]*facts.File
	gets, hits, puts int
	done             []string
}

func (c *mapCache) Get(root string, key [32]byte) (*facts.File, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gets++
	f, ok := c.m[key]
	if ok {
		c.hits++
	}
	return f, ok
}

func (c *mapCache) Put(root string, key [32]byte, f *facts.File) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.puts++
	c.m[key] = f
}

func (c *mapCache) Done(root string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.done = append(c.done, root)
}

// The server's engine reads facts through its cache: a second load of an
// unchanged project parses nothing.
func TestAnalysisEngineUsesItsCache(t *testing.T) {
	dir := fixture.Materialize(t, fixture.Fixture{Base: "shop", Arch: &txtar.Archive{}})
	cache := &mapCache{m: map[[32]byte]*facts.File{}}
	engine := lsp.AnalysisEngine{Cache: cache}
	if _, err := engine.Load(context.Background(), dir, ossource.Source{}); err != nil {
		t.Fatal(err)
	}
	if cache.puts == 0 || cache.hits != 0 || len(cache.done) != 1 {
		t.Fatalf("first load: %d puts, %d hits, done %v", cache.puts, cache.hits, cache.done)
	}
	puts := cache.puts
	if _, err := engine.Load(context.Background(), dir, ossource.Source{}); err != nil {
		t.Fatal(err)
	}
	if cache.puts != puts || cache.hits != puts || len(cache.done) != 2 {
		t.Errorf("second load: %d new puts, %d hits of %d files, done %v", cache.puts-puts, cache.hits, puts, cache.done)
	}
}
