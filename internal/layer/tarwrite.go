package layer

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// tarWriter writes a layer's files as a canonical tar: callers visit paths
// in sorted order; times are whole seconds (mtime only), owners numeric, no
// user or group names, so the same tree always gives the same bytes (and
// DiffID).
type tarWriter struct {
	tw    *tar.Writer
	links map[[2]uint64]string // (dev, inode) -> first name, for hardlinks
	buf   []byte
	flat  bool // a flattened export: no opaque markers
}

func newTarWriter(w io.Writer) *tarWriter {
	return &tarWriter{tw: tar.NewWriter(w), links: map[[2]uint64]string{}, buf: make([]byte, 256*1024)}
}

// epoch is the mtime of synthesized whiteout entries, so they do not depend
// on when the overlay made its char device.
var epoch = time.Unix(0, 0)

// isWhiteout reports an overlay whiteout: a 0/0 char device.
func isWhiteout(st *unix.Stat_t) bool {
	return st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0
}

func isOpaque(p string) bool {
	v := make([]byte, 1)
	n, err := unix.Lgetxattr(p, "trusted.overlay.opaque", v)
	return err == nil && n == 1 && v[0] == 'y'
}

// marker writes an empty .wh. entry.
func (t *tarWriter) marker(name string) error {
	return t.tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, ModTime: epoch})
}

// entry writes file p (on disk) as name; whiteouts become .wh. files. It
// reports whether p is a directory to descend into.
func (t *tarWriter) entry(p, name string) (bool, error) {
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return false, nil // removed while we walk (a running container)
		}
		return false, err
	}
	if isWhiteout(&st) {
		dir, base := filepath.Split(name)
		return false, t.marker(dir + whiteoutPrefix + base)
	}
	hdr := &tar.Header{
		Name:    name,
		Mode:    int64(st.Mode & 0o7777),
		Uid:     int(st.Uid),
		Gid:     int(st.Gid),
		ModTime: time.Unix(st.Mtim.Sec, 0),
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		hdr.Typeflag, hdr.Name = tar.TypeDir, name+"/"
	case unix.S_IFREG:
		key := [2]uint64{st.Dev, st.Ino}
		if first, ok := t.links[key]; ok && st.Nlink > 1 {
			hdr.Typeflag, hdr.Linkname = tar.TypeLink, first
			return false, t.tw.WriteHeader(hdr)
		}
		if st.Nlink > 1 {
			t.links[key] = name
		}
		hdr.Typeflag, hdr.Size = tar.TypeReg, st.Size
	case unix.S_IFLNK:
		target, err := os.Readlink(p)
		if err != nil {
			return false, err
		}
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, target
	case unix.S_IFCHR, unix.S_IFBLK:
		hdr.Typeflag = tar.TypeChar
		if st.Mode&unix.S_IFMT == unix.S_IFBLK {
			hdr.Typeflag = tar.TypeBlock
		}
		hdr.Devmajor, hdr.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	case unix.S_IFIFO:
		hdr.Typeflag = tar.TypeFifo
	default:
		return false, nil // sockets: not in layers, like Docker
	}
	if err := xattrs(p, hdr); err != nil {
		return false, err
	}
	if err := t.tw.WriteHeader(hdr); err != nil {
		return false, err
	}
	if hdr.Typeflag == tar.TypeReg && hdr.Size > 0 {
		f, err := os.OpenFile(p, os.O_RDONLY|unix.O_NOFOLLOW, 0)
		if err != nil {
			return false, err
		}
		n, err := io.CopyBuffer(t.tw, io.LimitReader(f, hdr.Size), t.buf)
		f.Close()
		if err == nil && n != hdr.Size {
			err = fmt.Errorf("%s shrank while being read", name)
		}
		if err != nil {
			return false, err
		}
	}
	if hdr.Typeflag == tar.TypeDir && !t.flat && isOpaque(p) {
		if err := t.marker(name + "/" + opaqueMarker); err != nil {
			return false, err
		}
	}
	return hdr.Typeflag == tar.TypeDir, nil
}

// xattrs copies p's extended attributes into PAX records, except overlay's
// own (whiteouts and opaque dirs are entries) and SELinux labels.
func xattrs(p string, hdr *tar.Header) error {
	sz, err := unix.Llistxattr(p, nil)
	if err != nil || sz == 0 {
		if err == unix.ENOTSUP {
			err = nil
		}
		return err
	}
	buf := make([]byte, sz)
	sz, err = unix.Llistxattr(p, buf)
	if err != nil {
		return err
	}
	for _, k := range strings.Split(strings.TrimRight(string(buf[:sz]), "\x00"), "\x00") {
		if k == "" || strings.HasPrefix(k, "trusted.overlay.") || k == "security.selinux" {
			continue
		}
		v := make([]byte, 4096)
		n, err := unix.Lgetxattr(p, k, v)
		if err == unix.ERANGE {
			if n, err = unix.Lgetxattr(p, k, nil); err == nil {
				v = make([]byte, n)
				n, err = unix.Lgetxattr(p, k, v)
			}
		}
		if err != nil {
			if err == unix.ENODATA {
				continue
			}
			return err
		}
		if hdr.PAXRecords == nil {
			hdr.PAXRecords = map[string]string{}
		}
		hdr.PAXRecords["SCHILY.xattr."+k] = string(v[:n])
	}
	return nil
}

// walkDir writes everything under dir (not dir itself) in sorted order.
func (t *tarWriter) walkDir(dir, prefix string) error {
	ents, err := os.ReadDir(filepath.Join(dir, prefix))
	if err != nil {
		return err
	}
	for _, e := range ents { // sorted by name
		name := filepath.Join(prefix, e.Name())
		isDir, err := t.entry(filepath.Join(dir, name), name)
		if err != nil {
			return err
		}
		if isDir {
			if err := t.walkDir(dir, name); err != nil {
				return err
			}
		}
	}
	return nil
}

// stream runs write into a pipe; closing the reader stops it.
func stream(write func(t *tarWriter) error) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		t := newTarWriter(pw)
		err := write(t)
		if err == nil {
			err = t.tw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr
}
