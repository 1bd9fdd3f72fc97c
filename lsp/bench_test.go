package lsp_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/internal/gctune"
	"github.com/donkeyls/donkeyls/internal/ossource"
	"github.com/donkeyls/donkeyls/internal/synth"
	"github.com/donkeyls/donkeyls/lsp"
	"github.com/donkeyls/donkeyls/lsp/lsptest"
	"github.com/donkeyls/donkeyls/lsp/text"
)

// BenchmarkDidChangeToDiagnostics measures, on synthetic projects, the time
// from a didChange in one plugin file to the publishDiagnostics for that
// version, without the debounce: each iteration adds a handler key (the
// registry becomes stale) or removes it again (the finding clears). It
// reports the median and 90th percentile, and the heap after indexing.
func BenchmarkDidChangeToDiagnostics(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(size.name, func(b *testing.B) { benchEdit(b, size) })
	}
}

// benchSize is one project the keystroke benchmarks edit.
type benchSize struct {
	name string
	opts synth.Options
	// stale adds the handler key to every plugin but the edited one before
	// the server starts: a project whose types were not regenerated after a
	// pull, with a stale-registry finding in each of its plugin files.
	stale bool
}

var benchSizes = []benchSize{
	{name: "10plugins", opts: synth.Options{Plugins: 10, Routes: 100, MigrationsPerPlugin: 2, Adapter: true, Seed: 1}},
	{name: "1000plugins10000routes", opts: synth.Options{Plugins: 1000, Routes: 10000, MigrationsPerPlugin: 2, Adapter: true, Seed: 1}},
	{name: "1000plugins10000routes999stale", opts: synth.Options{Plugins: 1000, Routes: 10000, MigrationsPerPlugin: 2, Adapter: true, Seed: 1}, stale: true},
}

// writeBenchProject writes size's project and returns its root and the edit
// the benchmark makes.
func writeBenchProject(b *testing.B, size benchSize) (string, benchEditing) {
	root := b.TempDir()
	if err := synth.Write(root, size.opts); err != nil {
		b.Fatal(err)
	}
	plugins, _ := filepath.Glob(filepath.Join(root, "src/server/plugins/*/index.ts"))
	slices.Sort(plugins)
	if len(plugins) == 0 {
		b.Fatalf("no plugins under %s", root)
	}
	edited := plugins[len(plugins)/2]
	e := newBenchEdit(b, edited)
	if size.stale {
		for i, p := range plugins {
			if p == edited {
				continue
			}
			// Each its own handler name: one name in two plugins is another
			// finding (handler-shadowed).
			other := newBenchEdit(b, p)
			other.key = strings.Replace(other.key, "benchXml", fmt.Sprintf("benchXml%d", i), 1)
			if err := os.WriteFile(p, []byte(other.text(0)), 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	return root, e
}

func benchEdit(b *testing.B, size benchSize) {
	// Each size starts from the pacing the process started with, not the
	// one the previous size's load set.
	gcPercent := debug.SetGCPercent(-1)
	debug.SetGCPercent(gcPercent)
	defer debug.SetGCPercent(gcPercent)
	root, e := writeBenchProject(b, size)
	ctx, cancel := context.WithCancel(context.Background())
	cr, sw := io.Pipe()
	sr, cw := io.Pipe()
	done := make(chan struct{})
	go func() {
		lsp.Serve(ctx, sr, sw, lsp.Options{Debounce: -1, Log: benchLog(b), AfterLoad: benchAfterLoad()})
		sw.Close()
		close(done)
	}()
	defer func() {
		cancel()
		cw.Close()
		<-done
	}()
	c := lsptest.New(b, cr, cw)
	indexStart := time.Now()
	// As our editors do: the status is computed after every analysis too.
	caps := lsptest.Capabilities(true)
	caps["experimental"] = map[string]any{"donkeylsStatus": true}
	c.Initialize(root, caps, map[string]any{"typegen": map[string]any{"onSave": "off"}})
	c.Wait("indexing to finish", func() bool {
		for _, p := range c.ProgressEventsLocked() {
			if p.Value.Kind == "end" {
				return true
			}
		}
		return false
	})
	indexTime := time.Since(indexStart)
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)

	plugin, line, key := e.plugin, e.line, e.key
	c.Open(plugin)
	c.WaitDiagnostics(plugin, "the first publish after open", func(d lsptest.Diagnostics) bool { return d.Version != nil && *d.Version == 1 })
	uri := text.FileURI(plugin)
	latencies := make([]time.Duration, 0, b.N)
	cpus := make([]time.Duration, 0, b.N)
	cyclesBefore := gcCycles()
	stopProfile := benchProfile(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		added := i%2 == 0
		edit := lsptest.Edit{StartLine: line, EndLine: line, Text: key}
		if !added {
			edit = lsptest.Edit{StartLine: line, EndLine: line + 1}
		}
		start, startCPU := time.Now(), processCPU(b)
		v := c.Change(plugin, edit)
		c.Wait("diagnostics of the edit", func() bool {
			d, ok := c.LatestLocked(uri)
			return ok && d.Version != nil && *d.Version == v && lsptest.Has(d, "stale-registry") == added
		})
		latencies = append(latencies, time.Since(start))
		cpus = append(cpus, processCPU(b)-startCPU)
	}
	b.StopTimer()
	stopProfile()
	b.ReportMetric(float64(gcCycles()-cyclesBefore)/float64(b.N), "gc/edit")
	// ResetTimer drops metrics reported before it.
	b.ReportMetric(float64(indexTime.Milliseconds()), "index-ms")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
	if os.Getenv("DONKEYLS_BENCH_LOG") != "" {
		b.Logf("latencies in edit order: %v", latencies)
	}
	reportQuantiles(b, latencies, "")
	// Under a loaded host the wall times measure the scheduler; the CPU the
	// process spent per edit (both cores, GC included) does not.
	reportQuantiles(b, cpus, "cpu-")
}

// benchEditing is the edit both keystroke benchmarks make: a handler key
// added on the line after a plugin's name, or removed again.
type benchEditing struct {
	plugin string
	line   int    // 0-based line the key is inserted before
	key    string // the inserted line
	src    string // the plugin file as written
}

func newBenchEdit(b *testing.B, plugin string) benchEditing {
	data, err := os.ReadFile(plugin)
	if err != nil {
		b.Fatal(err)
	}
	src := string(data)
	for i, l := range strings.Split(src, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), `name: "`) {
			return benchEditing{
				plugin: plugin,
				line:   i + 1,
				key:    "    handlers: { benchXml: createHandler(async () => new Response(\"\")) },\n",
				src:    src,
			}
		}
	}
	b.Fatalf("no name: line in %s", plugin)
	return benchEditing{}
}

// text is the plugin file after edit i: the key added for even i, the
// file as written for odd i (the key removed again).
func (e benchEditing) text(i int) string {
	if i%2 != 0 {
		return e.src
	}
	lines := strings.SplitAfter(e.src, "\n")
	return strings.Join(lines[:e.line], "") + e.key + strings.Join(lines[e.line:], "")
}

// BenchmarkEngineEdit is BenchmarkDidChangeToDiagnostics without the
// server: the same project, the same edits, each one a WithFile and the
// findings of every analyzer through the server's Engine, with the
// collector paced as the server paces it. What the keystroke benchmark
// takes beyond this one is what the server adds around the analysis
// (protocol, publishing, scheduling, the client's decoding).
func BenchmarkEngineEdit(b *testing.B) {
	for _, size := range benchSizes[1:] {
		b.Run(size.name, func(b *testing.B) { benchEngineEdit(b, size) })
	}
}

func benchEngineEdit(b *testing.B, size benchSize) {
	gcPercent := debug.SetGCPercent(-1)
	debug.SetGCPercent(gcPercent)
	defer debug.SetGCPercent(gcPercent)
	root, e := writeBenchProject(b, size)
	ctx := context.Background()
	snap, err := lsp.AnalysisEngine{}.Load(ctx, root, ossource.Source{})
	if err != nil {
		b.Fatal(err)
	}
	_ = snap.Findings(ctx)
	if after := benchAfterLoad(); after != nil {
		after()
	}
	texts := [2][]byte{[]byte(e.text(0)), []byte(e.text(1))}
	latencies := make([]time.Duration, 0, b.N)
	cpus := make([]time.Duration, 0, b.N)
	stopProfile := benchProfile(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start, startCPU := time.Now(), processCPU(b)
		snap = snap.WithFile(e.plugin, texts[i%2])
		fs := snap.Findings(ctx)
		latencies = append(latencies, time.Since(start))
		cpus = append(cpus, processCPU(b)-startCPU)
		stale := slices.ContainsFunc(fs, func(f analysis.Finding) bool {
			return f.Code == "stale-registry" && f.Location.Path == e.plugin
		})
		if stale != (i%2 == 0) {
			b.Fatalf("edit %d: stale-registry reported %v", i, stale)
		}
	}
	b.StopTimer()
	stopProfile()
	reportQuantiles(b, latencies, "")
	reportQuantiles(b, cpus, "cpu-")
}

func reportQuantiles(b *testing.B, ds []time.Duration, prefix string) {
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, prefix+"median-ms")
	b.ReportMetric(float64(ds[len(ds)*9/10].Microseconds())/1000, prefix+"p90-ms")
}

// benchAfterLoad paces the collector as `donkeyls serve` does, unless
// DONKEYLS_BENCH_GC=default asks for the runtime's own pacing (to compare).
func benchAfterLoad() func() {
	if os.Getenv("DONKEYLS_BENCH_GC") == "default" {
		return nil
	}
	return func() { gctune.DefaultPolicy().Steady() }
}

// processCPU is the user and system time of the whole process so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func gcCycles() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// benchProfile starts a CPU profile of the edits alone, without the
// indexing before them, into DONKEYLS_BENCH_CPUPROFILE (the test binary's
// -cpuprofile covers the setup too, which dwarfs a hundred edits).
func benchProfile(b *testing.B) func() {
	path := os.Getenv("DONKEYLS_BENCH_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			b.Error(err)
		}
	}
}

// benchLog returns the server log for DONKEYLS_BENCH_SERVER_LOG, so a slow
// edit can be matched with what the server did.
func benchLog(b *testing.B) io.Writer {
	path := os.Getenv("DONKEYLS_BENCH_SERVER_LOG")
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return f
}
