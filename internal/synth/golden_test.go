package synth

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// goldenOptions are the projects whose generated files testdata/golden-*
// holds, as written by the real `donkeylabs generate`.
var goldenOptions = map[string]Options{
	// Migrations that add columns, create a second table or only an
	// index; handlers, middleware, events, a factory plugin; the client.
	"a": {Plugins: 6, Routes: 45, MigrationsPerPlugin: 3, Adapter: true, Seed: 7},
	// More plugins than nouns (numbered names, digits in table names),
	// several routers per plugin, no adapter and so no client.
	"b": {Plugins: 50, Routes: 120, MigrationsPerPlugin: 1, Adapter: false, Seed: 3},
	// No migrations: no schema.ts, in-memory services.
	"c": {Plugins: 4, Routes: 30, MigrationsPerPlugin: 0, Adapter: true, Seed: 11},
}

func isGenerated(path string) bool {
	return strings.HasPrefix(path, ".@donkeylabs/server/") ||
		path == "src/lib/api.ts" ||
		(strings.HasPrefix(path, "src/server/plugins/") && strings.HasSuffix(path, "/schema.ts"))
}

func TestGolden(t *testing.T) {
	for name, opts := range goldenOptions {
		t.Run(name, func(t *testing.T) {
			files, err := Generate(opts)
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join("testdata", "golden-"+name)
			want := map[string][]byte{}
			err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				rel, _ := filepath.Rel(dir, path)
				data, err := os.ReadFile(path)
				want[filepath.ToSlash(rel)] = data
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string][]byte{}
			for _, f := range files {
				if isGenerated(f.Path) {
					got[f.Path] = f.Content
				}
			}
			for path, w := range want {
				g, ok := got[path]
				switch {
				case !ok:
					t.Errorf("%s: the real generator wrote it, synth did not", path)
				case !bytes.Equal(g, w):
					t.Errorf("%s differs from the real generator's output at byte %d:\n%s", path, firstDiff(g, w), diffContext(g, w))
				}
			}
			for path := range got {
				if _, ok := want[path]; !ok {
					t.Errorf("%s: synth writes it, the real generator did not", path)
				}
			}
		})
	}
}

func firstDiff(a, b []byte) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}

func diffContext(got, want []byte) string {
	i := firstDiff(got, want)
	cut := func(b []byte) string {
		lo, hi := max(0, i-120), min(len(b), i+120)
		return string(b[lo:hi])
	}
	return "synth:\n" + cut(got) + "\n--- real generator:\n" + cut(want)
}
