package factcache

import (
	"crypto/rand"
	"crypto/sha256"
	"debug/elf"
	"io"
	"os"
	"runtime"
	"sync"

	"github.com/donkeyls/donkeyls/analysis/facts"
)

// versionKey fingerprints everything that shapes extraction: the facts
// schema version, the toolchain and the build of this very binary. The Go
// build id changes with any change to the code linked in (the extractors,
// the grammar, the C parser), also for `go run` and `go test` binaries and
// for builds from a modified checkout, where the VCS revision in the build
// info would not.
func versionKey(extra string) [32]byte {
	h := sha256.New()
	io.WriteString(h, "donkeyls facts\x00")
	io.WriteString(h, facts.SchemaVersion+"\x00")
	io.WriteString(h, runtime.Version()+"\x00"+runtime.GOOS+"/"+runtime.GOARCH+"\x00")
	h.Write(buildID())
	io.WriteString(h, "\x00"+extra)
	var k [32]byte
	h.Sum(k[:0])
	return k
}

var (
	buildIDOnce sync.Once
	buildIDVal  []byte
)

// buildID is the linker's build id note on ELF systems, and a hash of the
// whole executable elsewhere (a few milliseconds, once per process). When
// neither can be read every run gets a fresh key: no hits, never wrong ones.
func buildID() []byte {
	buildIDOnce.Do(func() {
		exe, err := os.Executable()
		if err == nil {
			if f, err := elf.Open(exe); err == nil {
				if s := f.Section(".note.go.buildid"); s != nil {
					if b, err := s.Data(); err == nil && len(b) > 16 {
						buildIDVal = b
					}
				}
				f.Close()
			}
			if buildIDVal == nil {
				if f, err := os.Open(exe); err == nil {
					h := sha256.New()
					if _, err := io.Copy(h, f); err == nil {
						buildIDVal = h.Sum(nil)
					}
					f.Close()
				}
			}
		}
		if buildIDVal == nil {
			buildIDVal = make([]byte, 16)
			_, _ = rand.Read(buildIDVal)
		}
	})
	return buildIDVal
}
