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
// reports the time to index them and the process's memory once indexed
// (resident a second after indexing, and at its peak). Cold starts with an
// empty facts cache each time; warm reads the one a first start filled.
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
	bin := testenv.Binary(b)
	cacheDir := b.TempDir()
	if warm {
		index(b, bin, root, cacheDir)
	}
	var total time.Duration
	var rss, hwm float64
	for i := 0; i < b.N; i++ {
		if !warm {
			cacheDir = b.TempDir()
		}
		d, r, h := index(b, bin, root, cacheDir)
		total += d
		rss += r
		hwm += h
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "index-ms")
	b.ReportMetric(rss/float64(b.N), "rss-MB")
	b.ReportMetric(hwm/float64(b.N), "peak-rss-MB")
}

// index starts the server on root, waits for indexing to end and a second
// more for the memory to settle, and shuts it down.
func index(b *testing.B, bin, root, cacheDir string) (time.Duration, float64, float64) {

	cmd := exec.Command(bin, "serve", "--cache-dir", cacheDir, "--log", filepath.Join(b.TempDir(), "log"))
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
	time.Sleep(time.Second)
	r, h := procMemory(b, cmd.Process.Pid)
	c.Shutdown()
	_ = cmd.Wait()
	return took, r, h
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
