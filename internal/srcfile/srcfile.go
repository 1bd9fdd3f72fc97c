// Package srcfile reads project files for analysis without ever blocking on
// something that only looks like one.
package srcfile

import "errors"

// ErrNotRegular is returned for paths that are not regular files.
var ErrNotRegular = errors.New("not a regular file")
