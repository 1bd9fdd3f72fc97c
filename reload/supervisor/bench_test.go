package supervisor

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/donkeyls/donkeyls/reload/control"
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
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkHotApply compares, for the same plugin service edit, save → the
// new behaviour answering when hot plugins rebuild the service in the
// running server, against save → a restarted server answering (the same
// supervisor without hot plugins). Run with -benchtime=20x for medians over
// 20 saves of each.
func BenchmarkHotApply(b *testing.B) {
	hot := startApp(b, appConfig{options: func(o *Options) { o.HotPlugins = true }})
	hot.waitStatus("hot plugins on", func(st control.Status) bool { return st.HotPlugins == "on" })
	cold := startApp(b, appConfig{})
	var inPlace, restarted []time.Duration
	save := func(a *app, i int) time.Duration {
		from, to := fmt.Sprintf("(service v%d)", i+1), fmt.Sprintf("(service v%d)", i+2)
		a.waitHello(from, func(h hello) bool { return strings.Contains(h.Greeting, from) })
		saved := time.Now()
		a.edit("src/server/plugins/greeter/index.ts", from, to)
		var answered time.Time
		a.waitHello(to, func(h hello) bool {
			answered = time.Now()
			return strings.Contains(h.Greeting, to)
		})
		return answered.Sub(saved)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		inPlace = append(inPlace, save(hot, i))
		restarted = append(restarted, save(cold, i))
	}
	b.StopTimer()
	if n := hot.starts(); n != 1 {
		b.Fatalf("the hot app was started %d times, want 1: the edits were not applied in place", n)
	}
	b.ReportMetric(ms(median(inPlace)), "hot-save-to-answer-ms")
	b.ReportMetric(ms(median(restarted)), "restart-save-to-answer-ms")
	b.ReportMetric(float64(median(restarted))/float64(median(inPlace)), "restart/hot")
	// Both include the watcher's debounce, which neither can avoid.
	b.ReportMetric(float64(median(restarted)-watch.DefaultDebounce)/float64(median(inPlace)-watch.DefaultDebounce), "restart/hot-minus-debounce")
	b.Logf("over %d saves each: hot min/median/max %s/%s/%s; restart %s/%s/%s",
		b.N, minOf(inPlace), median(inPlace).Round(time.Millisecond), maxOf(inPlace),
		minOf(restarted), median(restarted).Round(time.Millisecond), maxOf(restarted))
}

func minOf(d []time.Duration) time.Duration {
	return slices.Min(d).Round(time.Millisecond)
}

func maxOf(d []time.Duration) time.Duration {
	return slices.Max(d).Round(time.Millisecond)
}
