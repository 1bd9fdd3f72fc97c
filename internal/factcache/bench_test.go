package factcache

import (
	"context"
	"testing"

	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/ossource"
	"github.com/donkeyls/donkeyls/internal/synth"
)

// benchFiles are the facts of a 100-plugin / 1,000-route project, 511 files.
func benchFiles(b *testing.B) []*facts.File {
	dir := b.TempDir()
	if err := synth.Write(dir, synth.Options{Plugins: 100, Routes: 1000, MigrationsPerPlugin: 2, Adapter: true, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	p, err := project.Load(context.Background(), dir, ossource.Source{})
	if err != nil {
		b.Fatal(err)
	}
	var files []*facts.File
	for _, path := range p.Files() {
		if f := p.File(path); f != nil && !f.Missing {
			files = append(files, f)
		}
	}
	return files
}

// BenchmarkDecode decodes every entry of benchFiles with one load's
// interner, as a warm start does (per-op is the whole project).
func BenchmarkDecode(b *testing.B) {
	var entries [][]byte
	size := 0
	for _, f := range benchFiles(b) {
		e, err := encodeFile(nil, f)
		if err != nil {
			b.Fatal(err)
		}
		entries = append(entries, e)
		size += len(e)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		in := newInterner()
		for _, e := range entries {
			if _, err := decodeFile(e, in); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkEncode encodes benchFiles with one encoder, as each parsing
// worker's pooled encoder does in Put.
func BenchmarkEncode(b *testing.B) {
	files := benchFiles(b)
	b.ReportAllocs()
	b.ResetTimer()
	var buf []byte
	for i := 0; i < b.N; i++ {
		var enc encoder
		for _, f := range files {
			var err error
			if buf, err = enc.file(buf[:0], f); err != nil {
				b.Fatal(err)
			}
		}
	}
}
