package nbexec

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFile replaces the file at path with b atomically: readers see the
// old content or the new, never a mix, and a failure midway leaves the old
// file as it was.
//
//   - A symbolic link stays a link: the file it points to gets the content.
//   - An existing file keeps its permission bits (a 0600 notebook stays
//     0600); a new one gets 0666 less the umask, as os.WriteFile gives.
//   - The content goes to a temporary file with a fresh name beside the
//     target (".NAME.RANDOM.tmp", created exclusively, so no file of the
//     user's is ever overwritten or deleted), which is synced and renamed
//     over the target.
func WriteFile(path string, b []byte) error {
	target, err := resolve(path)
	if err != nil {
		return fmt.Errorf("nbexec: %w", err)
	}
	perm, exists := fs.FileMode(0o666), false
	if fi, err := os.Stat(target); err == nil {
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("nbexec: %s is not a regular file", target)
		}
		perm, exists = fi.Mode().Perm(), true
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("nbexec: %w", err)
	}
	f, err := createTemp(target, perm)
	if err != nil {
		return err
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("nbexec: writing %s: %w", path, err)
	}
	if _, err := f.Write(b); err != nil {
		return fail(err)
	}
	if exists {
		// The umask may have taken bits away at creation; the file being
		// replaced had them.
		if err := f.Chmod(perm); err != nil {
			return fail(err)
		}
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, target); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("nbexec: writing %s: %w", path, err)
	}
	// The rename lives in the folder; sync it so that a crash right after
	// does not bring the old notebook back. Best effort: not every system
	// can sync a folder.
	if d, err := os.Open(filepath.Dir(target)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// CheckWritable reports, without changing anything the user has, whether
// WriteFile(path) can succeed: the folder exists and takes new files (tried
// by creating and removing a temporary file, which answers for read-only
// file systems and ACLs too), and path, if it exists, is a regular file.
func CheckWritable(path string) error {
	target, err := resolve(path)
	if err != nil {
		return fmt.Errorf("nbexec: %w", err)
	}
	dir := filepath.Dir(target)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("nbexec: cannot write %s: folder %s does not exist", path, dir)
	case err != nil:
		return fmt.Errorf("nbexec: cannot write %s: %w", path, err)
	case !fi.IsDir():
		return fmt.Errorf("nbexec: cannot write %s: %s is not a folder", path, dir)
	}
	if fi, err := os.Stat(target); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("nbexec: cannot write %s: it is not a regular file", path)
	}
	f, err := createTemp(target, 0o600)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the temporary file's name means nothing to the user
		}
		return fmt.Errorf("nbexec: cannot write %s: cannot create files in %s: %w", path, dir, err)
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// resolve follows symbolic links from path to the file they end at, which
// need not exist yet (a dangling link is followed to where it points, as
// opening it for writing would).
func resolve(path string) (string, error) {
	p := path
	for range 40 { // as Linux's limit on links in a path
		fi, err := os.Lstat(p)
		if err != nil {
			// Missing, or under something that is not a folder: not a
			// link; the callers' own checks say what is wrong.
			return p, nil
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return p, nil
		}
		link, err := os.Readlink(p)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(p), link)
		}
		p = link
	}
	return "", fmt.Errorf("%s: too many levels of symbolic links", path)
}

// createTemp creates, exclusively, a new hidden file beside target:
// ".BASE.RANDOM.tmp". Exclusive creation means an existing file of that
// name is never opened, let alone truncated.
func createTemp(target string, perm fs.FileMode) (*os.File, error) {
	dir, base := filepath.Split(target)
	for range 100 {
		var r [6]byte
		if _, err := rand.Read(r[:]); err != nil {
			return nil, fmt.Errorf("nbexec: %w", err)
		}
		name := filepath.Join(dir, "."+base+"."+hex.EncodeToString(r[:])+".tmp")
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("nbexec: %w", err)
		}
		return f, nil
	}
	return nil, fmt.Errorf("nbexec: no free temporary name beside %s", target)
}
