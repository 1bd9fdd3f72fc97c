package gctune

import (
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// minHeap is the runtime's smallest heap goal at GOGC=100: below it a
// live heap is paced as if it were this large.
const minHeap = 4 << 20

// repaceEvery is how often Indexing looks for a finished cycle. A cycle
// that ends just after a look runs on the old pace until the next, which
// at a load's allocation rate (a few hundred MB/s) is a megabyte or two.
const repaceEvery = 5 * time.Millisecond

// Indexing paces the collector for a server's start, from process start
// to its first load's end, and returns the function that stops it (call
// it before Steady; calling it again does nothing). A start allocates the
// facts it keeps and little garbage, so the default pacing collects over
// and over while the heap doubles from nothing, and each cycle also slows
// the decoding it runs beside with write barriers: on a warm start of
// 1,000 plugins that was a third of the CPU before indexing's end.
// Indexing allows the same headroom as Steady from the first byte: the
// next cycle starts once the heap has grown Headroom beyond what the last
// one found live (GOGC = Headroom / live, re-computed after each cycle,
// never below 100), so a 1,000-plugin start meets no collection and a
// project whose live heap outgrows the headroom is paced as by default.
func (p Policy) Indexing() (stop func()) {
	return repace(0, func(live uint64) int { return p.percent(max(live, minHeap)) })
}

// Loading paces the collector for a run that builds one large heap and
// keeps it (donkeyls check loading a project), and returns the function
// that stops it. Under the default pacing each cycle lets the heap grow
// by as much again as the last one found live, so a load whose live heap
// climbs to a hundred megabytes peaks at twice that in garbage it never
// needed. Loading lets it grow by headroom beyond what the last cycle
// found live (Bounded's GOGC, re-computed after each cycle: never above
// 100, never below minPercent), or up to the largest heap goal it already
// allowed, if that is more: a heap that was once that large has made its
// peak, and growing to it again costs no more memory but saves cycles,
// each of which marks the whole live heap (a load's first files are its
// largest, so its heap goes high early and then grows back to it).
func Loading(headroom uint64) (stop func()) {
	var high uint64 // the largest heap goal set so far
	return repace(liveHeap(), func(live uint64) int {
		percent := boundedPercent(live, headroom)
		if live > 0 && high > live {
			percent = min(max(percent, int((high-live)*100/live)), 100)
		}
		high = max(high, live+live*uint64(percent)/100)
		return percent
	})
}

// repace sets GOGC to percent(live) now, for the live heap given, and
// after each completed cycle, for what that cycle marked, until stop is
// called (calling it again does nothing).
func repace(live uint64, percent func(live uint64) int) (stop func()) {
	debug.SetGCPercent(percent(live))
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(repaceEvery)
		defer t.Stop()
		samples := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/gc/heap/live:bytes"}}
		var cycles uint64
		for {
			select {
			case <-done:
				return
			case <-t.C:
				metrics.Read(samples)
				if n := samples[0].Value.Uint64(); n != cycles {
					cycles = n
					debug.SetGCPercent(percent(samples[1].Value.Uint64()))
				}
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			<-stopped
		})
	}
}

// percent is the GOGC that starts the next cycle Headroom beyond live,
// and 100 once live is larger than that.
func (p Policy) percent(live uint64) int {
	if live > 0 && p.Headroom > live {
		return int(p.Headroom * 100 / live)
	}
	return 100
}
