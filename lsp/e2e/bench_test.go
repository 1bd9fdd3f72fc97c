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

// BenchmarkBinaryIndexing starts the real binary on the synthetic
// 1,000-plugin/10,000-route project and reports the time to index it and
// the process's memory once indexed (resident now, and at its peak).
func BenchmarkBinaryIndexing(b *testing.B) {
	root := b.TempDir()
	if err := synth.Write(root, synth.Options{Plugins: 1000, Routes: 10000, MigrationsPerPlugin: 2, Adapter: true, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	bin := testenv.Binary(b)
	var index time.Duration
	var rss, hwm float64
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(bin, "serve", "--log", filepath.Join(b.TempDir(), "log"))
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
		index += time.Since(start)
		r, h := procMemory(b, cmd.Process.Pid)
		rss += r
		hwm += h
		c.Shutdown()
		_ = cmd.Wait()
	}
	b.ReportMetric(float64(index.Milliseconds())/float64(b.N), "index-ms")
	b.ReportMetric(rss/float64(b.N), "rss-MB")
	b.ReportMetric(hwm/float64(b.N), "peak-rss-MB")
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
