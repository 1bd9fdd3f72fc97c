// Package srcfile reads project files for analysis without ever blocking on
// something that only looks like one.
package srcfile

import "errors"

// ErrNotRegular is returned for paths that are not regular files.
var ErrNotRegular = errors.New("not a regular file")

// MaxSize is the largest file Read returns (larger ones: analysis.ErrTooLarge). The largest file a project
// holds is its generated client, a few megabytes for ten thousand routes;
// anything far bigger is not source, and reading it whole could exhaust
// memory (or, on 32-bit builds, overflow the buffer size).
const MaxSize = 64 << 20
