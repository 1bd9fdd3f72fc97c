// Package gctune sets the Go collector for a language server's steady
// state: a heap of facts that lives for the whole session, and small bursts
// of short-lived garbage per keystroke.
//
// With the default GOGC=100 the collector runs whenever the edits since the
// last cycle allocated as much as the live heap (50 MB of facts at 1,000
// plugins, about 16 edits at 3 MB each), and a cycle that marks the whole
// heap on a two-core machine takes CPU from the analyzers of the edit it
// lands on: that is the keystroke tail. Steady gives the collector a fixed
// headroom instead, so a burst of typing rarely meets a cycle, and Idle
// collects when the server has stopped working, so the memory the headroom
// allows is returned while the user reads instead of staying resident.
package gctune

import (
	"context"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Policy is how much garbage the server may accumulate between collections.
type Policy struct {
	// Headroom is the garbage allowed beyond the live heap before a cycle
	// starts, unless the live heap itself is larger (then GOGC stays 100).
	Headroom uint64
	// IdleAfter is how long allocation must have stopped before Idle
	// collects; IdleGarbage the least garbage worth a collection then.
	IdleAfter   time.Duration
	IdleGarbage uint64
}

// DefaultPolicy allows 192 MiB of garbage: about 60 edits of the
// 1,000-plugin project between cycles, while a 5,000-plugin session, whose
// live heap is larger than that, keeps the default pacing.
func DefaultPolicy() Policy {
	return Policy{Headroom: 192 << 20, IdleAfter: time.Second, IdleGarbage: 16 << 20}
}

// Setting is what Steady chose, for the log.
type Setting struct {
	Live    uint64 // bytes live after a full collection
	Percent int    // the GOGC now in effect
}

// Steady collects, returns the garbage to the OS, and sets GOGC so that the
// next cycle starts after Headroom more bytes (never below 100). Call it
// when the heap holds what the server keeps: after a full project load.
func (p Policy) Steady() Setting {
	debug.FreeOSMemory()
	live := liveHeap()
	percent := p.percent(live)
	debug.SetGCPercent(percent)
	return Setting{Live: live, Percent: percent}
}

// Idle polls the runtime's allocation counter until ctx ends and, once
// nothing was allocated for IdleAfter while at least IdleGarbage accumulated
// since the last cycle, collects and returns the memory to the OS. The
// poll reads two counters a few times a second and allocates nothing.
func (p Policy) Idle(ctx context.Context) {
	tick := p.IdleAfter / 4
	if tick <= 0 {
		tick = 250 * time.Millisecond
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	samples := []metrics.Sample{
		{Name: "/gc/heap/allocs:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"}, // live and not yet swept
		{Name: "/gc/heap/live:bytes"},                // marked by the last cycle
	}
	var lastAllocs uint64
	quietSince := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			metrics.Read(samples)
			allocs := samples[0].Value.Uint64()
			// The poll itself allocates nothing, so any growth is work.
			if allocs != lastAllocs {
				lastAllocs, quietSince = allocs, now
				continue
			}
			objects, live := samples[1].Value.Uint64(), samples[2].Value.Uint64()
			if now.Sub(quietSince) >= p.IdleAfter && objects > live && objects-live >= p.IdleGarbage {
				debug.FreeOSMemory()
				quietSince = now
			}
		}
	}
}

// Bounded paces the collector for the rest of a run that holds one large
// heap and then does a known, short amount of work on it before it exits
// (donkeyls check: the facts, then the analyzers). The default pacing lets
// the heap double before the next cycle, and a run that ends before that
// cycle never returns the garbage: its peak is twice what it keeps. Bounded
// sets GOGC so the next cycle starts after headroom more bytes (never above
// 100, never below minPercent: each cycle marks the whole live heap, so a
// smaller headroom is paid for in CPU). It reads the live heap of the last
// completed cycle and does not collect.
func Bounded(headroom uint64) Setting { return BoundedFloor(headroom, minPercent) }

// BoundedFloor is Bounded with its own floor on GOGC instead of
// minPercent, for a caller that measured the extra cycles a smaller
// headroom costs it (donkeyls check's analyzers: their live heap is a
// hundred megabytes and they allocate about as much, so each point of
// GOGC below 20 is a few more marks of the whole heap).
func BoundedFloor(headroom uint64, floor int) Setting {
	live := liveHeap()
	percent := boundedPercentFloor(live, headroom, floor)
	debug.SetGCPercent(percent)
	return Setting{Live: live, Percent: percent}
}

// boundedPercent is the GOGC that starts the next cycle headroom beyond
// live: 100 while live is smaller than headroom, never below minPercent.
func boundedPercent(live, headroom uint64) int {
	return boundedPercentFloor(live, headroom, minPercent)
}

// boundedPercentFloor is boundedPercent with floor for minPercent.
func boundedPercentFloor(live, headroom uint64, floor int) int {
	if live > 0 && headroom < live {
		return max(int(headroom*100/live), floor)
	}
	return 100
}

// minPercent bounds Bounded's cycles to one per fifth of the live heap
// allocated.
const minPercent = 20

// liveHeap is the heap marked live by the last completed cycle.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	return s[0].Value.Uint64()
}
