package main

import (
	"flag"

	"github.com/donkeyls/donkeyls/internal/factcache"
)

// cacheFlags are --cache-dir and --no-cache, shared by check, serve and dev.
type cacheFlags struct {
	dir *string
	off *bool
}

func addCacheFlags(fs *flag.FlagSet) cacheFlags {
	return cacheFlags{
		dir: fs.String("cache-dir", "", "keep parsed facts in `DIR` (default $"+factcache.EnvDir+", else donkeyls in the user cache directory)"),
		off: fs.Bool("no-cache", false, "parse every file; read and write no facts cache"),
	}
}

// open returns the selected cache, or nil with --no-cache. Without a usable
// cache everything is parsed, so an error is only worth a note.
func (c cacheFlags) open() (*factcache.Cache, error) {
	if *c.off {
		return nil, nil
	}
	return factcache.Open(factcache.Options{Dir: *c.dir})
}
