package supervisor

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/donkeyls/donkeyls/reload/watch"
)

// BenchmarkRestartOverhead measures what donkeyls dev adds to a restart:
// from the save of a plugin's service to the new server process being
// spawned (debounce, classification, stopping the old server, waiting for
// its port). The rest, until the new server answers, is the server's own
// start time, reported separately. Run with -benchtime=20x for the median
// over 20 restarts.
func BenchmarkRestartOverhead(b *testing.B) {
	a := startApp(b, appConfig{})
	a.waitHello("service v1", func(h hello) bool { return strings.Contains(h.Greeting, "(service v1)") })
	var overhead, serverStart, total []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		from, to := fmt.Sprintf("(service v%d)", i+1), fmt.Sprintf("(service v%d)", i+2)
		saved := time.Now()
		a.edit("src/server/plugins/greeter/index.ts", from, to)
		var answered time.Time
		a.waitHello(to, func(h hello) bool {
			answered = time.Now()
			return strings.Contains(h.Greeting, to)
		})
		spawned := a.sup.Status().StartedAt
		overhead = append(overhead, spawned.Sub(saved))
		serverStart = append(serverStart, answered.Sub(spawned))
		total = append(total, answered.Sub(saved))
	}
	b.StopTimer()
	b.ReportMetric(ms(median(overhead)), "overhead-ms")
	b.ReportMetric(ms(median(overhead)-watch.DefaultDebounce), "overhead-minus-debounce-ms")
	b.ReportMetric(ms(median(serverStart)), "server-start-ms")
	b.ReportMetric(ms(median(total)), "save-to-answer-ms")
	b.Logf("over %d restarts (debounce %s): median overhead %s, server start %s, save to answer %s",
		b.N, watch.DefaultDebounce, median(overhead).Round(time.Millisecond),
		median(serverStart).Round(time.Millisecond), median(total).Round(time.Millisecond))
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
