package oci

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// maxSymlinks bounds symlink resolution inside the image, like the kernel's 40.
const maxSymlinks = 40

var errNotExist = fs.ErrNotExist

// readLayered reads the file at the absolute in-image path name from an
// overlay stack given as its directories, top first, without a mount: a
// whiteout (0:0 character device) or an opaque directory in an upper layer
// hides what lies below it, and symlinks resolve inside the image, never
// on the host.
func readLayered(dirs []string, name string) ([]byte, error) {
	hops := 0
	for {
		p, err := lookupLayered(dirs, name)
		if err != nil {
			return nil, err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return nil, err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			if !fi.Mode().IsRegular() {
				return nil, errNotExist
			}
			return os.ReadFile(p)
		}
		if hops++; hops > maxSymlinks {
			return nil, errors.New("too many levels of symbolic links")
		}
		target, err := os.Readlink(p)
		if err != nil {
			return nil, err
		}
		if !path.IsAbs(target) {
			target = path.Join(path.Dir(name), target)
		}
		name = path.Clean("/" + target)
	}
}

// lookupLayered finds the host path of name in the top-most layer that has
// it, following symlinked parent directories inside the image.
func lookupLayered(dirs []string, name string) (string, error) {
	parts := strings.Split(strings.Trim(path.Clean("/"+name), "/"), "/")
	hops := 0
	cur := "/" // resolved in-image path of the components walked so far
	for i := 0; i < len(parts); i++ {
		next := path.Join(cur, parts[i])
		hostPath, fi, err := statLayered(dirs, next)
		if err != nil {
			return "", err
		}
		last := i == len(parts)-1
		if last {
			return hostPath, nil
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			if hops++; hops > maxSymlinks {
				return "", errors.New("too many levels of symbolic links")
			}
			target, err := os.Readlink(hostPath)
			if err != nil {
				return "", err
			}
			if !path.IsAbs(target) {
				target = path.Join(cur, target)
			}
			rest := append(strings.Split(strings.Trim(path.Clean("/"+target), "/"), "/"), parts[i+1:]...)
			parts, i, cur = rest, -1, "/"
			continue
		}
		if !fi.IsDir() {
			return "", errNotExist
		}
		cur = next
	}
	return "", errNotExist
}

// statLayered returns the top-most entry for an in-image path whose parent
// is already resolved, honouring whiteouts and opaque directories above it.
func statLayered(dirs []string, name string) (string, fs.FileInfo, error) {
	for _, d := range dirs {
		p := filepath.Join(d, filepath.FromSlash(name))
		fi, err := os.Lstat(p)
		switch {
		case err == nil && isWhiteout(fi):
			return "", nil, errNotExist
		case err == nil:
			return p, fi, nil
		case !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, unix.ENOTDIR):
			return "", nil, err
		case opaqueAncestor(d, name):
			return "", nil, errNotExist
		}
	}
	return "", nil, errNotExist
}

// opaqueAncestor reports whether layer d marks a parent of name opaque,
// which hides the lower layers' copies of name.
func opaqueAncestor(d, name string) bool {
	for dir := path.Dir(name); dir != "/"; dir = path.Dir(dir) {
		if isOpaque(filepath.Join(d, filepath.FromSlash(dir))) {
			return true
		}
	}
	return false
}

func isWhiteout(fi fs.FileInfo) bool {
	if fi.Mode()&fs.ModeCharDevice == 0 {
		return false
	}
	st, ok := fi.Sys().(*unix.Stat_t)
	if !ok {
		return false
	}
	return st.Rdev == 0
}

func isOpaque(dir string) bool {
	buf := make([]byte, 1)
	for _, attr := range []string{"trusted.overlay.opaque", "user.overlay.opaque"} {
		if n, err := unix.Lgetxattr(dir, attr, buf); err == nil && n == 1 && buf[0] == 'y' {
			return true
		}
	}
	return false
}
