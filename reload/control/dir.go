package control

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// ensureDir makes <root>/.donkeyls ours and private. The directory can come
// with a repository: a symlink there would make us chmod its target and
// put the socket wherever it points, and a directory someone else owns
// could be swapped under us. Both are refused, never followed. uid is the
// owner it must have: ours.
func ensureDir(dir string, uid int) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("control socket directory %s: %w", dir, err)
	}
	// O_NOFOLLOW: the checks below and the chmod apply to what we opened,
	// so the path cannot be replaced by a symlink between them.
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		if st, lerr := os.Lstat(dir); lerr == nil && st.Mode()&os.ModeSymlink != 0 {
			return fmt.Errorf("control socket directory %s is a symlink; refusing to follow it (a repository may ship one to point the socket elsewhere): remove it and run again", dir)
		}
		if errors.Is(err, unix.ENOTDIR) {
			return fmt.Errorf("control socket directory %s exists and is not a directory: remove it and run again", dir)
		}
		return fmt.Errorf("control socket directory %s: %w", dir, err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("control socket directory %s: %w", dir, err)
	}
	if int(st.Uid) != uid {
		return fmt.Errorf("control socket directory %s is owned by uid %d, not by you (uid %d); refusing to use it: remove it and run again", dir, st.Uid, uid)
	}
	// Mkdir honours the umask and leaves an existing directory alone.
	if err := unix.Fchmod(fd, 0o700); err != nil {
		return fmt.Errorf("control socket directory %s: %w", dir, err)
	}
	return nil
}

// PrivateDir makes <root>/.donkeyls ours and private, as the socket's
// directory, and returns it: the place for other files only donkeyls dev
// and the server it runs may read (the hot plugin preload and its socket).
func PrivateDir(root string) (string, error) {
	dir := root + string(os.PathSeparator) + Dir
	if err := ensureDir(dir, os.Getuid()); err != nil {
		return "", err
	}
	return dir, nil
}
