package gctune

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

var sink [][]byte

func TestSteadyPacesFromTheLiveHeap(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	live := make([][]byte, 64)
	for i := range live {
		live[i] = make([]byte, 1<<20)
	}
	got := Policy{Headroom: 512 << 20}.Steady()
	runtime.KeepAlive(live)
	if got.Live < 64<<20 {
		t.Fatalf("live heap %d, want at least the 64 MiB held", got.Live)
	}
	if want := int((512 << 20) * 100 / got.Live); got.Percent != want {
		t.Errorf("GOGC %d, want %d (512 MiB headroom over %d live)", got.Percent, want, got.Live)
	}
	if p := debug.SetGCPercent(100); p != got.Percent {
		t.Errorf("the runtime runs GOGC %d, Steady reported %d", p, got.Percent)
	}
	// A heap larger than the headroom keeps the default pacing.
	if got := (Policy{Headroom: 1 << 20}).Steady(); got.Percent != 100 {
		t.Errorf("GOGC %d with a live heap over the headroom, want 100", got.Percent)
	}
	runtime.KeepAlive(live)
}

func TestBoundedPacesFromTheLastCycle(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	live := make([][]byte, 256)
	for i := range live {
		live[i] = make([]byte, 1<<20)
	}
	runtime.GC()
	got := Bounded(64 << 20)
	if got.Live < 256<<20 {
		t.Fatalf("live heap %d, want at least the 256 MiB held", got.Live)
	}
	if want := int((64 << 20) * 100 / got.Live); got.Percent != want || want < minPercent {
		t.Errorf("GOGC %d, want %d (64 MiB headroom over %d live)", got.Percent, want, got.Live)
	}
	if p := debug.SetGCPercent(100); p != got.Percent {
		t.Errorf("the runtime runs GOGC %d, Bounded reported %d", p, got.Percent)
	}
	// A tiny headroom is paid for in cycles: it stops at minPercent.
	if got := Bounded(1 << 20); got.Percent != minPercent {
		t.Errorf("GOGC %d with 1 MiB headroom over %d live, want %d", got.Percent, got.Live, minPercent)
	}
	// BoundedFloor stops at its own floor instead.
	if got := BoundedFloor(1<<20, 10); got.Percent != 10 {
		t.Errorf("BoundedFloor: GOGC %d with 1 MiB headroom over %d live, want 10", got.Percent, got.Live)
	}
	if got, want := BoundedFloor(64<<20, 10), int((64<<20)*100/got.Live); got.Percent != want {
		t.Errorf("BoundedFloor: GOGC %d, want %d (64 MiB headroom over %d live)", got.Percent, want, got.Live)
	}
	// A heap smaller than the headroom keeps the default pacing.
	if got := Bounded(1 << 40); got.Percent != 100 {
		t.Errorf("GOGC %d with a live heap under the headroom, want 100", got.Percent)
	}
	runtime.KeepAlive(live)
}

func TestIdleCollectsOnceWorkStops(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // only Idle collects
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		Policy{IdleAfter: 100 * time.Millisecond, IdleGarbage: 1 << 20}.Idle(ctx)
		close(done)
	}()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.NumGC
	for range 16 {
		sink = append(sink, make([]byte, 1<<20))
	}
	sink = nil
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.ReadMemStats(&ms)
		if ms.NumGC > before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no collection after 16 MiB of garbage and a quiet spell")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Idle did not return after its context ended")
	}
}

func TestIndexingRepacesAfterEachCycleUntilStopped(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	p := Policy{Headroom: 256 << 20}
	stop := p.Indexing()
	defer stop()
	// No live heap yet: the first cycle comes after about Headroom.
	if got, want := debug.SetGCPercent(-1), int(p.Headroom*100/minHeap); got != want {
		t.Fatalf("GOGC %d at the start of indexing, want %d", got, want)
	}
	live := make([][]byte, 64)
	for i := range live {
		live[i] = make([]byte, 1<<20)
	}
	runtime.GC()
	want := p.percent(liveHeap())
	if want >= int(p.Headroom*100/minHeap) || want <= 100 {
		t.Fatalf("test setup: GOGC %d for 64 MiB live does not tell the paces apart", want)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		// SetGCPercent reads and restores; the poller may set it between.
		got := debug.SetGCPercent(-1)
		debug.SetGCPercent(got)
		if got == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GOGC %d after a cycle with %d bytes live, want %d", got, liveHeap(), want)
		}
		time.Sleep(time.Millisecond)
	}
	stop()
	stop() // a second call is harmless
	debug.SetGCPercent(123)
	live = live[:8]
	runtime.GC()
	time.Sleep(10 * repaceEvery)
	if got := debug.SetGCPercent(100); got != 123 {
		t.Errorf("GOGC %d after stop and a cycle, want 123 (nothing re-paces after stop)", got)
	}
	runtime.KeepAlive(live)
}

// waitPercent waits for the poller to set GOGC to want.
func waitPercent(t *testing.T, want int, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		// SetGCPercent reads and restores; the poller may set it between.
		got := debug.SetGCPercent(-1)
		debug.SetGCPercent(got)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GOGC %d after a cycle with %d bytes live, want %d (%s)", got, liveHeap(), want, what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestLoadingBoundsTheGrowthAfterEachCycleUntilStopped(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	const headroom = 32 << 20
	stop := Loading(headroom)
	defer stop()
	live := make([][]byte, 0, 128)
	// Past the headroom, each cycle leaves the next one headroom away.
	for _, mib := range []int{64, 128} {
		for len(live) < mib {
			live = append(live, make([]byte, 1<<20))
		}
		runtime.GC()
		want := boundedPercent(liveHeap(), headroom)
		if want >= 100 || want <= minPercent {
			t.Fatalf("test setup: GOGC %d for %d MiB live does not tell the paces apart", want, mib)
		}
		waitPercent(t, want, fmt.Sprintf("%d MiB live, %d MiB headroom", mib, headroom>>20))
	}
	// A heap that shrank may grow back to the goal it already had (160 MiB),
	// here further than the default pacing allows: so GOGC 100.
	clear(live[64:])
	live = live[:64]
	runtime.GC()
	if boundedPercent(liveHeap(), headroom) >= 100 {
		t.Fatal("test setup: the headroom alone allows the default pacing")
	}
	waitPercent(t, 100, "back to 64 MiB live after a goal of 160 MiB")
	stop()
	stop() // a second call is harmless
	debug.SetGCPercent(123)
	live = live[:8]
	runtime.GC()
	time.Sleep(10 * repaceEvery)
	if got := debug.SetGCPercent(100); got != 123 {
		t.Errorf("GOGC %d after stop and a cycle, want 123 (nothing re-paces after stop)", got)
	}
	runtime.KeepAlive(live)
}

func TestLoadingStartsAtTheDefaultPaceForASmallHeap(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(50))
	runtime.GC()
	stop := Loading(1 << 40)
	defer stop()
	if got := debug.SetGCPercent(-1); got != 100 {
		t.Errorf("GOGC %d with a live heap far under the headroom, want 100", got)
	}
}
