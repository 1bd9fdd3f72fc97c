package synth

import "testing"

func benchmarkGenerate(b *testing.B, opts Options) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		files, err := Generate(opts)
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			size := 0
			for _, f := range files {
				size += len(f.Content)
			}
			b.ReportMetric(float64(len(files)), "files")
			b.ReportMetric(float64(size)/(1<<20), "MiB")
		}
	}
}

func BenchmarkGenerate10Plugins(b *testing.B) {
	benchmarkGenerate(b, Options{Plugins: 10, Routes: 100, MigrationsPerPlugin: 3, Adapter: true, Seed: 1})
}

func BenchmarkGenerate1000Plugins10000Routes(b *testing.B) {
	benchmarkGenerate(b, Options{Plugins: 1000, Routes: 10000, MigrationsPerPlugin: 3, Adapter: true, Seed: 1})
}

func BenchmarkWrite10Plugins(b *testing.B) {
	opts := Options{Plugins: 10, Routes: 100, MigrationsPerPlugin: 3, Adapter: true, Seed: 1}
	for i := 0; i < b.N; i++ {
		if err := Write(b.TempDir(), opts); err != nil {
			b.Fatal(err)
		}
	}
}
