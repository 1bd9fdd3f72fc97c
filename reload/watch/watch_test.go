package watch

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

const testDebounce = 50 * time.Millisecond

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func start(t *testing.T, root string, opts Options) *Watcher {
	t.Helper()
	if opts.Debounce == 0 {
		opts.Debounce = testDebounce
	}
	w, err := New(context.Background(), root, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// next waits for the next batch.
func next(t *testing.T, w *Watcher, what string) []string {
	t.Helper()
	select {
	case b, ok := <-w.Batches():
		if !ok {
			t.Fatalf("batches closed while waiting for %s", what)
		}
		return b
	case err := <-w.Errors():
		t.Fatalf("watch error while waiting for %s: %v", what, err)
	case <-time.After(5 * time.Second):
		t.Fatalf("no batch within 5s while waiting for %s", what)
	}
	return nil
}

// collect gathers batches until want are all seen.
func collect(t *testing.T, w *Watcher, want ...string) []string {
	t.Helper()
	seen := map[string]bool{}
	var all []string
	for {
		missing := false
		for _, p := range want {
			if !seen[p] {
				missing = true
			}
		}
		if !missing {
			return all
		}
		for _, p := range next(t, w, "changes to "+strings.Join(want, ", ")) {
			seen[p] = true
			all = append(all, p)
		}
	}
}

// quiet asserts that no batch arrives for a while.
func quiet(t *testing.T, w *Watcher, d time.Duration) {
	t.Helper()
	select {
	case b := <-w.Batches():
		t.Fatalf("unexpected batch %v", b)
	case <-time.After(d):
	}
}

func TestBurstBecomesOneSortedBatch(t *testing.T) {
	root := t.TempDir()
	plugin := filepath.Join(root, "src/server/plugins/users/index.ts")
	route := filepath.Join(root, "src/server/routes/users.ts")
	write(t, plugin, "v0")
	write(t, route, "v0")
	w := start(t, root, Options{Debounce: 200 * time.Millisecond})

	// An editor's save-all: several writes to two files well inside the debounce.
	for i := range 5 {
		write(t, plugin, "v"+string(rune('1'+i)))
		write(t, route, "v"+string(rune('1'+i)))
	}
	b := next(t, w, "the burst")
	want := []string{plugin, route}
	slices.Sort(want)
	if !slices.Equal(b, want) {
		t.Fatalf("batch = %v, want %v (deduplicated and sorted)", b, want)
	}
	quiet(t, w, 400*time.Millisecond)
}

// TestStalledSaveIsNotCutInHalf: an in-place save whose writer stalls
// between truncating and writing (longer than the debounce) reaches the
// consumer as the saved file, never as the empty moment in between.
func TestStalledSaveIsNotCutInHalf(t *testing.T) {
	root := t.TempDir()
	plugin := filepath.Join(root, "plugin.ts")
	write(t, plugin, "export const v = 1")
	w := start(t, root, Options{})

	seen := make(chan string, 4) // what the consumer read, batch by batch
	go func() {
		for b := range w.Batches() {
			if slices.Contains(b, plugin) {
				got, _ := os.ReadFile(plugin)
				seen <- string(got)
			}
		}
	}()
	if err := os.Truncate(plugin, 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * testDebounce) // the writer stalls; the burst cap is 20 debounces
	write(t, plugin, "export const v = 2")
	select {
	case got := <-seen:
		if got != "export const v = 2" {
			t.Fatalf("the consumer was handed the file mid-save: it read %q", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no batch within 5s of the save")
	}
}

// TestFileEmptiedForGoodIsReported: holding a burst for an empty file ends
// at the burst cap, so emptying a file is still seen.
func TestFileEmptiedForGoodIsReported(t *testing.T) {
	root := t.TempDir()
	plugin := filepath.Join(root, "plugin.ts")
	write(t, plugin, "export const v = 1")
	w := start(t, root, Options{})
	began := time.Now()
	if err := os.Truncate(plugin, 0); err != nil {
		t.Fatal(err)
	}
	if b := next(t, w, "the emptied file"); !slices.Equal(b, []string{plugin}) {
		t.Fatalf("batch = %v, want [%s]", b, plugin)
	}
	if waited := time.Since(began); waited < testDebounce {
		t.Errorf("the batch came after %s, before even one debounce", waited)
	}
}

func TestNewDirectoriesAreWatched(t *testing.T) {
	root := t.TempDir()
	w := start(t, root, Options{})

	// mkdir -p and a file at once: the file may exist before the watch does.
	nested := filepath.Join(root, "src/server/plugins/orders/index.ts")
	write(t, nested, "export const ordersPlugin = 1")
	collect(t, w, nested)

	// A later edit inside the new directory is seen too.
	migration := filepath.Join(root, "src/server/plugins/orders/migrations/001_init.ts")
	write(t, migration, "export async function up() {}")
	collect(t, w, migration)
	write(t, nested, "export const ordersPlugin = 2")
	collect(t, w, nested)
}

func TestIgnoresNodeModulesGitAndCallerPaths(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "node_modules/kysely/index.js"), "")
	write(t, filepath.Join(root, ".git/HEAD"), "")
	w := start(t, root, Options{Ignore: func(path string, isDir bool) bool {
		return filepath.Base(path) == ".donkeyls" && isDir
	}})

	write(t, filepath.Join(root, "node_modules/kysely/index.js"), "changed")
	write(t, filepath.Join(root, "node_modules/new-pkg/index.js"), "new")
	write(t, filepath.Join(root, ".git/index"), "x")
	write(t, filepath.Join(root, ".donkeyls/dev.sock"), "")
	marker := filepath.Join(root, "src/index.ts")
	write(t, marker, "server")

	b := collect(t, w, marker)
	for _, p := range b {
		if p != marker && p != filepath.Join(root, "src") {
			t.Errorf("batch has ignored path %s", p)
		}
	}
	// A write below an ignored directory created after start stays unseen too.
	write(t, filepath.Join(root, ".donkeyls/other"), "")
	quiet(t, w, 300*time.Millisecond)
}

// TestChangesWhileConsumingGoToTheNextBatch: a slow consumer (a restart in
// progress) must not lose the edits made meanwhile.
func TestChangesWhileConsumingGoToTheNextBatch(t *testing.T) {
	root := t.TempDir()
	a := filepath.Join(root, "a.ts")
	b := filepath.Join(root, "b.ts")
	c := filepath.Join(root, "c.ts")
	w := start(t, root, Options{})

	write(t, a, "1")
	if got := next(t, w, "the first edit"); !slices.Equal(got, []string{a}) {
		t.Fatalf("first batch = %v, want [%s]", got, a)
	}
	// A loaded machine can deliver the first write's modify event after its
	// create was batched; let that settle (only a may come) before the
	// consumer turns busy, so the batch below holds just what was edited then.
	settle(t, w, a, 3*testDebounce)
	// The consumer is busy: two edits, far apart, land while nobody reads.
	write(t, b, "1")
	time.Sleep(3 * testDebounce)
	write(t, c, "1")
	time.Sleep(3 * testDebounce)
	got := collect(t, w, b, c)
	slices.Sort(got)
	if !slices.Equal(got, []string{b, c}) {
		t.Fatalf("after a busy consumer got %v, want [%s %s]", got, b, c)
	}
}

// settle reads batches until none came for quiet, failing on any path but
// only.
func settle(t *testing.T, w *Watcher, only string, quiet time.Duration) {
	t.Helper()
	for {
		select {
		case b := <-w.Batches():
			for _, p := range b {
				if p != only {
					t.Fatalf("while settling after %s: a batch with %s", only, p)
				}
			}
		case err := <-w.Errors():
			t.Fatalf("watch error while settling: %v", err)
		case <-time.After(quiet):
			return
		}
	}
}

func TestRemovalsAndRenamesAreReported(t *testing.T) {
	root := t.TempDir()
	old := filepath.Join(root, "src/server/plugins/users/index.ts")
	write(t, old, "x")
	w := start(t, root, Options{})

	if err := os.Remove(old); err != nil {
		t.Fatal(err)
	}
	collect(t, w, old)

	dir := filepath.Join(root, "src/server/plugins/users")
	moved := filepath.Join(root, "src/server/plugins/accounts")
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	collect(t, w, dir, moved)
	// The moved directory is watched under its new name.
	inside := filepath.Join(moved, "index.ts")
	write(t, inside, "y")
	for _, p := range collect(t, w, inside) {
		if strings.HasPrefix(p, dir+string(filepath.Separator)) {
			t.Errorf("edit under the moved directory reported under its old name: %s", p)
		}
	}
}

func TestWatchLimitIsExplained(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "src/a/index.ts"), "")
	write(t, filepath.Join(root, "src/b/index.ts"), "")
	calls := 0
	full := func(string) error {
		calls++
		return os.NewSyscallError("inotify_add_watch", syscall.ENOSPC)
	}
	w, err := newWatcher(context.Background(), root, Options{Debounce: testDebounce}, full)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	select {
	case err := <-w.Errors():
		msg := err.Error()
		for _, want := range []string{"max_user_watches", "sudo sysctl fs.inotify.max_user_watches="} {
			if !strings.Contains(msg, want) {
				t.Errorf("limit error %q does not mention %q", msg, want)
			}
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a full inotify watch table was not reported")
	}
	select {
	case err := <-w.Errors():
		t.Errorf("the limit was reported twice: %v", err)
	default:
	}
	if calls != 1 {
		t.Errorf("kept adding watches (%d calls) after the table was full", calls)
	}
}

func TestCloseClosesChannels(t *testing.T) {
	w, err := New(context.Background(), t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case _, ok := <-w.Batches():
		if ok {
			t.Fatal("batch after Close")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Batches not closed by Close")
	}
	w.Close() // twice is fine
}

func TestNewRejectsMissingRoot(t *testing.T) {
	if _, err := New(context.Background(), filepath.Join(t.TempDir(), "nope"), Options{}); err == nil {
		t.Fatal("New on a missing directory succeeded")
	}
}

// TestShallowWatchesTheRootAlone: a shallow watcher sees files of the root
// and directories appearing in it, and nothing below them, with one watch.
func TestShallowWatchesTheRootAlone(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "apps/shop/src/x.ts")
	write(t, deep, "v0")
	w := start(t, root, Options{Shallow: true})
	if n := len(w.fsw.WatchList()); n != 1 {
		t.Errorf("%d watches, want 1 (the root)", n)
	}
	config := filepath.Join(root, "donkeylabs.config.ts")
	write(t, config, "export default {}")
	collect(t, w, config)
	write(t, deep, "v1")
	quiet(t, w, 400*time.Millisecond)
	newDir := filepath.Join(root, "web")
	write(t, filepath.Join(newDir, "y.ts"), "v0")
	collect(t, w, newDir)
	if n := len(w.fsw.WatchList()); n != 1 {
		t.Errorf("%d watches after a directory appeared, want 1", n)
	}
}
