package project_test

import (
	"bytes"
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/analysis/syntax"
	"github.com/donkeyls/donkeyls/internal/fixture"
	"github.com/donkeyls/donkeyls/internal/memsource"
	"github.com/donkeyls/donkeyls/internal/synth"
	"github.com/donkeyls/donkeyls/internal/testenv"
)

// A load parses each file in its worker's read buffer and reuses that
// buffer for the next file, so the facts of a file must share no bytes
// with its source: extracted from a buffer that is then overwritten, they
// must equal the facts of an untouched copy. Every file of every analyzer
// fixture and of a synthetic project, every kind.
func TestFactsShareNoBytesWithTheirSource(t *testing.T) {
	var srcs []*memsource.Source
	paths, _ := filepath.Glob(filepath.Join(testenv.RepoRoot(), "analysis", "analyzers", "testdata", "*", "*.txtar"))
	for _, path := range paths {
		srcs = append(srcs, fixture.Memory(t, fixture.Load(t, path)))
	}
	srcs = append(srcs, fixture.Synth(t, synth.Options{Plugins: 10, Routes: 100, MigrationsPerPlugin: 2, Adapter: true, Seed: 1}))
	parser := syntax.NewParser()
	defer parser.Close()
	ctx := context.Background()
	kinds := map[facts.Kind]bool{}
	for _, src := range srcs {
		p, err := project.Load(ctx, src.Root(), src)
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range p.Files() {
			kind, ok := p.KindOf(path)
			content, err := src.ReadFile(path)
			if !ok || err != nil {
				continue
			}
			buf := bytes.Clone(content)
			got := facts.Extract(ctx, parser, path, buf, kind)
			for i := range buf {
				buf[i] = 'x'
			}
			want := facts.Extract(ctx, parser, path, content, kind)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: the facts changed when the buffer they were extracted from was overwritten", path)
			}
			kinds[kind] = true
		}
	}
	if len(kinds) < 8 {
		t.Errorf("only %d kinds of file checked", len(kinds))
	}
}
