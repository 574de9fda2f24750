package layer

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// A container's init layer (<root>/containers/<id>/init) sits between the
// image and the container's upper dir, as Docker's "-init" layer does. It
// holds the mount targets the runtime would otherwise create in the upper
// dir (so that diff and commit would show them): the paths below, created
// only where the image lacks them.

type initEntry struct {
	path string
	kind byte   // 'd' dir, 'f' empty file, 'l' symlink
	link string // symlink target
}

// Docker's list (daemon/initlayer). Files are 0755 there too.
var initEntries = []initEntry{
	{"/dev/pts", 'd', ""},
	{"/dev/shm", 'd', ""},
	{"/proc", 'd', ""},
	{"/sys", 'd', ""},
	{"/.dockerenv", 'f', ""},
	{"/etc/resolv.conf", 'f', ""},
	{"/etc/hosts", 'f', ""},
	{"/etc/hostname", 'f', ""},
	{"/dev/console", 'f', ""},
	{"/etc/mtab", 'l', "/proc/mounts"},
}

func (s *Store) initDir(id string) string { return filepath.Join(s.rwDir(id), "init") }

// buildInit fills dir (empty) with the init entries missing from the image
// whose layer dirs are lowers (top first).
func buildInit(dir string, lowers []string) error {
	for _, e := range initEntries {
		if err := addInitEntry(dir, lowers, e); err != nil {
			return err
		}
	}
	return keepDirTimes(dir, lowers)
}

// keepDirTimes gives the init layer's dirs that the image has the image
// dir's times again, which adding entries to them changed.
func keepDirTimes(dir string, lowers []string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if _, st := imageLookup(lowers, rel); st != nil && isDirStat(st) {
			return unix.UtimesNanoAt(unix.AT_FDCWD, p, []unix.Timespec{st.Atim, st.Mtim}, unix.AT_SYMLINK_NOFOLLOW)
		}
		return nil
	})
}

// EnsureInitFile adds an empty file at path (say a bind-mount target such as
// /sbin/wharf-init) to the container's init layer unless the image has it.
// The layer must not be mounted. Containers made before init layers existed
// have none: nothing is done, the runtime creates the target as before.
func (s *Store) EnsureInitFile(id, path string) error {
	rw, err := s.getRW(id)
	if err != nil {
		return err
	}
	dir := s.initDir(id)
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	lowers, err := s.chain(rw.Parent)
	if err != nil {
		return err
	}
	if err := addInitEntry(dir, lowers, initEntry{path: filepath.Clean("/" + path), kind: 'f'}); err != nil {
		return err
	}
	return keepDirTimes(dir, lowers)
}

// addInitEntry creates e in dir, with its missing parents, unless the image
// already has the name. Unlike Docker, which unlinks what is in the way, the
// image's entries are kept: a bind mount covers a file anyway, and Docker's
// replacing a symlinked /etc by a directory hides the image's files
// (moby/moby#42706). A parent that is a symlink in the image is followed
// (within the rootfs, as the runtime resolves mount targets), so that
// /sbin -> usr/sbin gets /usr/sbin/wharf-init.
func addInitEntry(dir string, lowers []string, e initEntry) error {
	return addInitPath(dir, lowers, e, strings.TrimPrefix(e.path, "/"), 0)
}

func addInitPath(dir string, lowers []string, e initEntry, path string, hops int) error {
	parts := strings.Split(path, "/")
	for i := range parts {
		rel := filepath.Join(parts[:i+1]...)
		target := filepath.Join(dir, rel)
		if _, err := os.Lstat(target); err == nil {
			continue // made for an earlier entry
		}
		src, st := imageLookup(lowers, rel)
		last := i == len(parts)-1
		switch {
		case st != nil && last:
			return nil // the image has it: keep it
		case st != nil && st.Mode&unix.S_IFMT == unix.S_IFLNK:
			link, err := os.Readlink(src)
			if err != nil || hops >= 16 {
				return nil // leave it to the runtime
			}
			if !filepath.IsAbs(link) {
				link = filepath.Join("/", filepath.Dir(rel), link)
			}
			rest := filepath.Join(append([]string{filepath.Clean("/" + link)}, parts[i+1:]...)...)
			return addInitPath(dir, lowers, e, strings.TrimPrefix(rest, "/"), hops+1)
		case st != nil && !isDirStat(st):
			return nil // a parent is a file in the image
		case st != nil:
			// The init dir hides the image dir's own attributes in the
			// merged view: copy them, as overlay's copy-up would.
			if err := os.Mkdir(target, 0o755); err != nil {
				return err
			}
			if err := copyDirAttrs(src, target, st); err != nil {
				return err
			}
		case !last || e.kind == 'd':
			if err := os.Mkdir(target, 0o755); err != nil {
				return err
			}
			if err := os.Chmod(target, 0o755); err != nil { // umask
				return err
			}
		case e.kind == 'f':
			f, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o755)
			if err != nil {
				return err
			}
			f.Close()
			if err := os.Chmod(target, 0o755); err != nil {
				return err
			}
		default:
			if err := os.Symlink(e.link, target); err != nil {
				return err
			}
		}
	}
	return nil
}

// imageLookup finds rel in the image's layer dirs (top first) as overlay
// would: the topmost entry wins, a directory merges with the directories
// of the same name below it down to a non-directory, whiteout or opaque
// one. It returns the winning entry's host path and stat, nil if the
// merged image has no such name.
func imageLookup(lowers []string, rel string) (string, *unix.Stat_t) {
	parts := strings.Split(rel, "/")
	layers := lowers
	for i := range parts {
		name := filepath.Join(parts[:i+1]...)
		var top string
		var topSt *unix.Stat_t
		var dirs []string
		for _, l := range layers {
			p := filepath.Join(l, name)
			var st unix.Stat_t
			if unix.Lstat(p, &st) != nil {
				continue
			}
			if isWhiteout(&st) || (topSt != nil && !isDirStat(&st)) {
				break
			}
			if topSt == nil {
				top, topSt = p, &st
			}
			if !isDirStat(&st) {
				break
			}
			dirs = append(dirs, l)
			if isOpaque(p) {
				break
			}
		}
		if topSt == nil {
			return "", nil
		}
		if i == len(parts)-1 {
			return top, topSt
		}
		if !isDirStat(topSt) {
			return "", nil
		}
		layers = dirs
	}
	return "", nil
}

// copyDirAttrs gives dst src's owner, mode and xattrs (overlay's own aside).
func copyDirAttrs(src, dst string, st *unix.Stat_t) error {
	if err := os.Lchown(dst, int(st.Uid), int(st.Gid)); err != nil {
		return err
	}
	if err := unix.Chmod(dst, st.Mode&0o7777); err != nil {
		return err
	}
	return copyXattrs(src, dst) // times: keepDirTimes, once the dir is filled
}

func copyXattrs(src, dst string) error {
	sz, err := unix.Llistxattr(src, nil)
	if err != nil || sz == 0 {
		return nil // no xattrs, or a filesystem without them
	}
	buf := make([]byte, sz)
	if sz, err = unix.Llistxattr(src, buf); err != nil {
		return nil
	}
	for _, k := range strings.Split(strings.TrimRight(string(buf[:sz]), "\x00"), "\x00") {
		if k == "" || strings.HasPrefix(k, "trusted.overlay.") {
			continue
		}
		n, err := unix.Lgetxattr(src, k, nil)
		if err != nil {
			continue
		}
		v := make([]byte, n)
		if n, err = unix.Lgetxattr(src, k, v); err != nil {
			continue
		}
		if err := unix.Lsetxattr(dst, k, v[:n], 0); err != nil {
			return err
		}
	}
	return nil
}
