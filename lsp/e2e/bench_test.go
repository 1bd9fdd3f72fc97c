package e2e

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/donkeyls/donkeyls/internal/synth"
	"github.com/donkeyls/donkeyls/internal/testenv"
	"github.com/donkeyls/donkeyls/lsp/lsptest"
)

// BenchmarkBinaryIndexing starts the real binary on synthetic projects and
// reports the time to index them, the CPU the process spent until then
// (user + system: on a loaded host the wall time mostly measures the
// scheduler) and the process's memory once indexed (resident once it has
// used no CPU for a second after indexing, and at its peak). Cold starts with an empty facts cache each
// time; warm reads the one a first start filled. DONKEYLS_BENCH_BINARY runs
// another build instead of this tree's (to compare two in one run);
// DONKEYLS_BENCH_SERVER_LOG keeps the servers' logs in that file.
func BenchmarkBinaryIndexing(b *testing.B) {
	for _, size := range []struct {
		name string
		opts synth.Options
	}{
		{"1000plugins", synth.Options{Plugins: 1000, Routes: 10000, MigrationsPerPlugin: 2, Adapter: true, Seed: 1}},
		{"5000plugins", synth.Options{Plugins: 5000, Routes: 50000, MigrationsPerPlugin: 2, Adapter: true, Seed: 1}},
	} {
		var root string
		for _, warm := range []bool{false, true} {
			name := size.name + "/cold"
			if warm {
				name = size.name + "/warm"
			}
			b.Run(name, func(sub *testing.B) {
				// The parent's directory outlives the rounds of both subs.
				if root == "" {
					root = b.TempDir()
					if err := synth.Write(root, size.opts); err != nil {
						sub.Fatal(err)
					}
				}
				benchIndexing(sub, root, warm)
			})
		}
	}
}

func benchIndexing(b *testing.B, root string, warm bool) {
	bin := os.Getenv("DONKEYLS_BENCH_BINARY")
	if bin == "" {
		bin = testenv.Binary(b)
	}
	cacheDir := b.TempDir()
	if warm {
		index(b, bin, root, cacheDir)
	}
	var total, cpu time.Duration
	var rss, hwm float64
	for i := 0; i < b.N; i++ {
		if !warm {
			cacheDir = b.TempDir()
		}
		run := index(b, bin, root, cacheDir)
		total += run.took
		cpu += run.cpu
		rss += run.rss
		hwm += run.hwm
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "index-ms")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "index-cpu-ms")
	b.ReportMetric(rss/float64(b.N), "rss-MB")
	b.ReportMetric(hwm/float64(b.N), "peak-rss-MB")
}

// indexRun is what one start of the server measured.
type indexRun struct {
	took     time.Duration // initialize sent to indexing's end received
	cpu      time.Duration // the server's user + system CPU at that moment
	rss, hwm float64       // resident MB once settled, and the peak
}

// index starts the server on root, waits for indexing to end and for the
// process to settle, and shuts it down.
func index(b *testing.B, bin, root, cacheDir string) indexRun {

	logPath := os.Getenv("DONKEYLS_BENCH_SERVER_LOG") // kept, with every start appended
	if logPath == "" {
		logPath = filepath.Join(b.TempDir(), "log")
	}
	cmd := exec.Command(bin, "serve", "--cache-dir", cacheDir, "--log", logPath)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	c := lsptest.New(b, stdout, stdin)
	start := time.Now()
	c.Initialize(root, lsptest.Capabilities(true), nil)
	c.Wait("indexing to finish", func() bool {
		for _, p := range c.ProgressEventsLocked() {
			if p.Value.Kind == "end" {
				return true
			}
		}
		return false
	})
	took := time.Since(start)
	cpu := procCPU(b, cmd.Process.Pid)
	// Indexing ends when the facts are loaded; the analyzers, the first
	// publish and the collection that follows (gctune's Steady) run after
	// it, for more than a second at 5,000 plugins. Settled is a second
	// after the process stopped using CPU.
	settle(b, cmd.Process.Pid)
	r, h := procMemory(b, cmd.Process.Pid)
	c.Shutdown()
	_ = cmd.Wait()
	return indexRun{took: took, cpu: cpu, rss: r, hwm: h}
}

// settle returns once pid has used no CPU for a second, or after a minute.
func settle(b *testing.B, pid int) {
	const tick = 250 * time.Millisecond
	last, quiet := procCPU(b, pid), time.Duration(0)
	for waited := time.Duration(0); quiet < time.Second && waited < time.Minute; waited += tick {
		time.Sleep(tick)
		now := procCPU(b, pid)
		if now == last {
			quiet += tick
		} else {
			last, quiet = now, 0
		}
	}
}

// procCPU reads the user and system time a process has used so far.
func procCPU(b *testing.B, pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatalf("reading the server's CPU time: %v", err)
	}
	// The command name (field 2) may hold spaces; fields after its ')'
	// start at field 3, so utime (14) and stime (15) are the 12th and 13th.
	rest := string(data[strings.LastIndexByte(string(data), ')')+1:])
	fields := strings.Fields(rest)
	if len(fields) < 13 {
		b.Fatalf("unexpected /proc/%d/stat: %q", pid, data)
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	// Linux reports clock ticks of USER_HZ, 100 on every architecture Go runs on.
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// procMemory reads VmRSS and VmHWM of a process, in MB.
func procMemory(b *testing.B, pid int) (rss, hwm float64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatalf("reading the server's memory: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(fields[1], 64)
		switch fields[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			hwm = kb / 1024
		}
	}
	return rss, hwm
}
