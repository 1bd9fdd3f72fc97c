package project_test

import (
	"context"
	"testing"

	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/project"
)

type reuseKeyA struct{ n int }
type reuseKeyB struct{}

// TestNoReuseKeepsTheLastEntryOfEachKeyType: a Load's default reuse cache
// (the language server's, which later snapshots read) keeps every entry
// across snapshots; with NoReuse (donkeyls check) storing a key evicts the
// other key of its type, while a key of another type stays. Recall and
// Remember follow the same rule, and never answer one key with another's
// value.
func TestNoReuseKeepsTheLastEntryOfEachKeyType(t *testing.T) {
	src, root, _ := shop(t)
	for _, tc := range []struct {
		name    string
		noReuse bool
	}{{"default", false}, {"NoReuse", true}} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := project.LoadWith(context.Background(), root, project.LoadOptions{Source: src, NoReuse: tc.noReuse})
			if err != nil {
				t.Fatal(err)
			}
			in := []*facts.File{p.File(p.Files()[0])}
			builds := map[any]int{}
			reuse := func(p *project.Project, key any) {
				got := p.Reuse(key, in, func() any { builds[key]++; return key })
				if got != key {
					t.Fatalf("Reuse(%v) = %v", key, got)
				}
			}
			reuse(p, reuseKeyA{1})
			reuse(p, reuseKeyB{})
			reuse(p, reuseKeyA{2}) // evicts {1} under NoReuse
			// A later snapshot shares the cache (the keystroke path).
			later := p.WithFile(p.Files()[len(p.Files())-1], []byte("// edited\n"))
			reuse(later, reuseKeyB{})
			reuse(later, reuseKeyA{2})
			reuse(later, reuseKeyA{1})
			want := map[any]int{reuseKeyA{1}: 1, reuseKeyA{2}: 1, reuseKeyB{}: 1}
			if tc.noReuse {
				want[reuseKeyA{1}] = 2
			}
			for k, n := range want {
				if builds[k] != n {
					t.Errorf("%v built %d times, want %d", k, builds[k], n)
				}
			}

			p.Remember(reuseKeyA{3}, "three")
			p.Remember(reuseKeyA{4}, "four")
			if v, ok := p.Recall(reuseKeyA{4}); !ok || v != "four" {
				t.Errorf("Recall({4}) = %v, %v", v, ok)
			}
			v, ok := p.Recall(reuseKeyA{3})
			if tc.noReuse && ok {
				t.Errorf("Recall({3}) = %v after {4} was stored under NoReuse", v)
			}
			if !tc.noReuse && (!ok || v != "three") {
				t.Errorf("Recall({3}) = %v, %v", v, ok)
			}
		})
	}
}
