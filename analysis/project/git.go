package project

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
)

// startGit asks the Source's repository for the migrations' blob ids at
// HEAD in the background, so a version-control tool runs while the files are
// parsed rather than after.
func startGit(src Source, root string, migrations []string) *gitInfo {
	ctx, cancel := context.WithCancel(context.Background())
	g := &gitInfo{done: make(chan struct{}), cancel: cancel, head: newHeadCache(src)}
	go func() {
		defer close(g.done)
		defer cancel()
		if len(migrations) == 0 {
			return // nothing to compare: as outside a repository
		}
		blobs, inRepo := src.HeadBlobs(ctx, root, migrations)
		if inRepo && blobs == nil {
			blobs = map[string]string{}
		}
		if inRepo {
			g.blobs = blobs
		}
	}()
	return g
}

// GitBlobID computes git's blob id of content, to compare with HEAD without
// reading the old content.
func GitBlobID(content []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(content))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}
