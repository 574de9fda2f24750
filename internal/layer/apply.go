package layer

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/errdefs"
)

const (
	whiteoutPrefix = ".wh."
	opaqueMarker   = ".wh..wh..opq"
)

// unpack extracts a tar stream into dir and returns its DiffID (sha256 of
// the uncompressed stream) and the bytes of its regular files.
//
// Every path is resolved through os.Root, so "../" names, symlinks pointing
// out (absolute ones included) and hardlinks to outside fail instead of
// writing outside dir; the error names the entry. The last component of
// each entry is created with *at calls on its parent's fd and never followed.
// Device nodes and fifos are created with mknod, as Docker does when it runs
// as root; where mknod is not permitted (user namespaces) they are skipped.
//
// The tar's own bytes around file contents are recorded into splitPath
// (tar-split metadata) for DiffTar.
func unpack(dir, splitPath string, r io.Reader) (digest.Digest, int64, error) {
	br := bufio.NewReaderSize(r, 64*1024)
	var src io.Reader = br
	magic, _ := br.Peek(6)
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return "", 0, errdefs.Invalid("invalid gzip layer: %v", err)
		}
		defer zr.Close()
		src = zr
	case bytes.HasPrefix(magic, []byte("BZh")), bytes.HasPrefix(magic, []byte{0xfd, '7', 'z', 'X', 'Z', 0}),
		bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return "", 0, errdefs.Invalid("unsupported layer compression (only gzip and plain tar)")
	}
	h := sha256.New()
	rec, err := newSplitRecorder(splitPath, io.TeeReader(src, h))
	if err != nil {
		return "", 0, err
	}
	recorded := false
	defer func() {
		if !recorded {
			rec.abort()
		}
	}()

	root, err := os.OpenRoot(dir)
	if err != nil {
		return "", 0, err
	}
	defer root.Close()
	x := &extractor{root: root, buf: make([]byte, 256*1024), split: rec, handles: map[string]*dirHandle{}, pool: newPool()}
	defer x.close()
	tr := tar.NewReader(rec)
	for {
		hdr, err := rec.next(tr)
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", 0, errdefs.Invalid("invalid layer tar: %v", err)
		}
		if err := x.entry(hdr, tr); err != nil {
			return "", 0, errdefs.Invalid("layer entry %q: %v", hdr.Name, err)
		}
		if x.pool.failed.Load() {
			return "", 0, x.pool.barrier()
		}
	}
	if err := x.pool.barrier(); err != nil {
		return "", 0, err
	}
	// The DiffID covers the end-of-archive padding too.
	recorded = true
	if err := rec.finish(); err != nil {
		return "", 0, err
	}
	if err := x.finish(); err != nil {
		return "", 0, err
	}
	return digest.NewDigestFromBytes(digest.SHA256, h.Sum(nil)), x.size, nil
}

type dirMeta struct {
	name         string
	atime, mtime time.Time
}

type extractor struct {
	root    *os.Root
	buf     []byte
	size    int64
	dirs    []dirMeta // directory times, set last (children change them)
	opaques []string  // dirs marked opaque, set after the whole layer is read
	split   *splitRecorder
	handles map[string]*dirHandle // open dirs by path in the layer
	pool    *pool                 // creates regular files
}

func (x *extractor) close() {
	x.pool.close()
	x.dropHandles()
}

// lossy notes an entry whose bytes the layer's files cannot give back.
func (x *extractor) lossy() { x.split.unusable = true }

// clean turns a tar name into a path relative to the layer, or fails if it
// leaves the layer.
func clean(name string) (string, error) {
	p := path.Clean("/" + name)[1:]
	if p == "" {
		p = "."
	}
	if strings.Contains(name, "\x00") {
		return "", errors.New("NUL in name")
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", fmt.Errorf("path %q leaves the layer", name)
		}
	}
	return p, nil
}

func (x *extractor) entry(hdr *tar.Header, r io.Reader) error {
	name, err := clean(hdr.Name)
	if err != nil {
		return err
	}
	dir, base := path.Split(name)
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		dir = "."
	}
	if hdr.Size > 0 && (!isRegular(hdr) || strings.HasPrefix(base, whiteoutPrefix)) || isSparse(hdr) {
		x.lossy() // content not kept as a file of that name
	}
	// The entry or a dir above it may be a file a worker has not written
	// yet (a whiteout's target is checked in create); a hardlink needs its
	// target whole.
	if x.pool.waits(name) || hdr.Typeflag == tar.TypeLink {
		if err := x.pool.barrier(); err != nil {
			return err
		}
	}
	if base == opaqueMarker {
		x.opaques = append(x.opaques, dir)
		return x.root.MkdirAll(dir, 0o755)
	}
	if strings.HasPrefix(base, whiteoutPrefix) {
		target := strings.TrimPrefix(base, whiteoutPrefix)
		if target == "" || target == "." || target == ".." {
			return errors.New("invalid whiteout")
		}
		return x.create(dir, target, &tar.Header{Typeflag: tar.TypeChar, Mode: 0o600}, nil, true)
	}
	if name == "." {
		if hdr.Typeflag != tar.TypeDir {
			return errors.New("the layer root must be a directory")
		}
		x.dirs = append(x.dirs, dirMeta{".", hdr.AccessTime, hdr.ModTime})
		return x.meta(x.root, ".", hdr)
	}
	return x.create(dir, base, hdr, r, false)
}

// create makes dir/base from hdr, replacing what a previous entry left there.
func (x *extractor) create(dir, base string, hdr *tar.Header, r io.Reader, whiteout bool) error {
	name := path.Join(dir, base)
	if whiteout && x.pool.waits(name) {
		if err := x.pool.barrier(); err != nil {
			return err
		}
	}
	h, err := x.parent(dir)
	if err != nil {
		return err
	}
	pfd := h.fd()
	var st unix.Stat_t
	if unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW) == nil {
		isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
		if !isDir || hdr.Typeflag != tar.TypeDir {
			x.lossy() // an earlier entry's content is gone
			// Files may be queued below what goes away, and cached dir
			// handles may lead through it.
			if err := x.pool.barrier(); err != nil {
				return err
			}
			if isDir {
				err = x.root.RemoveAll(name)
			} else {
				err = unix.Unlinkat(pfd, base, 0)
			}
			x.dropHandles() // h with them: open dir again
			if err != nil {
				return err
			}
			if h, err = x.parent(dir); err != nil {
				return err
			}
			pfd = h.fd()
		}
	}
	mode := uint32(hdr.Mode & 0o7777)
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := unix.Mkdirat(pfd, base, 0o700); err != nil && err != unix.EEXIST {
			return err
		}
		x.dirs = append(x.dirs, dirMeta{name, hdr.AccessTime, hdr.ModTime})
	case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
		x.size += hdr.Size
		if hdr.Size > maxQueuedFile {
			return writeInline(pfd, base, hdr, r, x.buf)
		}
		data := make([]byte, hdr.Size)
		if _, err := io.ReadFull(r, data); err != nil {
			return err
		}
		x.pool.submit(name, h, base, hdr, data)
		return nil
	case tar.TypeSymlink:
		if err := unix.Symlinkat(hdr.Linkname, pfd, base); err != nil {
			return err
		}
	case tar.TypeLink:
		target, err := clean(hdr.Linkname)
		if err != nil {
			return err
		}
		// os.Root resolves the target inside the layer; linkat does not
		// follow a final symlink.
		if err := x.root.Link(target, path.Join(dir, base)); err != nil {
			return err
		}
		return nil // shares the target's inode and metadata
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		kind := map[byte]uint32{tar.TypeChar: unix.S_IFCHR, tar.TypeBlock: unix.S_IFBLK, tar.TypeFifo: unix.S_IFIFO}[hdr.Typeflag]
		dev := unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor))
		if err := unix.Mknodat(pfd, base, kind|0o600, int(dev)); err != nil {
			if (err == unix.EPERM || err == unix.EOPNOTSUPP) && !whiteout {
				return nil // unprivileged: skip device nodes like Docker in a userns
			}
			return err
		}
	case tar.TypeXGlobalHeader:
		return nil
	default:
		return fmt.Errorf("unsupported tar entry type %q", hdr.Typeflag)
	}
	if whiteout {
		return nil
	}
	if err := unix.Fchownat(pfd, base, hdr.Uid, hdr.Gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("chown: %w", err)
	}
	if hdr.Typeflag != tar.TypeSymlink {
		// After chown, which clears setuid bits.
		if err := unix.Fchmodat(pfd, base, mode, 0); err != nil {
			return fmt.Errorf("chmod: %w", err)
		}
	}
	if err := setXattrs(pfd, base, hdr); err != nil {
		return err
	}
	if hdr.Typeflag != tar.TypeDir {
		return utimes(pfd, base, hdr.AccessTime, hdr.ModTime)
	}
	return nil
}

func isRegular(hdr *tar.Header) bool {
	return hdr.Typeflag == tar.TypeReg || hdr.Typeflag == tar.TypeRegA
}

func isSparse(hdr *tar.Header) bool {
	if hdr.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// meta applies ownership, mode, xattrs to the layer root itself.
func (x *extractor) meta(root *os.Root, name string, hdr *tar.Header) error {
	d, err := root.Open(name)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Chown(hdr.Uid, hdr.Gid); err != nil {
		return err
	}
	return unix.Fchmod(int(d.Fd()), uint32(hdr.Mode&0o7777))
}

func setXattrs(pfd int, base string, hdr *tar.Header) error {
	for k, v := range hdr.PAXRecords {
		attr, ok := xattrKey(k)
		if !ok {
			continue
		}
		err := unix.Lsetxattr(procPath(pfd, base), attr, []byte(v), 0)
		if err != nil && err != unix.ENOTSUP && err != unix.EPERM {
			return fmt.Errorf("xattr %s: %w", attr, err)
		}
	}
	return nil
}

// xattrKey names the extended attribute a PAX record carries, if any.
func xattrKey(record string) (string, bool) {
	return strings.CutPrefix(record, "SCHILY.xattr.")
}

// procPath names dir-fd/base without resolving anything but base, for the
// calls that have no *at form (l*xattr). base is never followed.
func procPath(fd int, base string) string {
	return "/proc/self/fd/" + strconv.Itoa(fd) + "/" + base
}

func utimes(pfd int, base string, atime, mtime time.Time) error {
	if atime.IsZero() {
		atime = mtime
	}
	ts := []unix.Timespec{unix.NsecToTimespec(atime.UnixNano()), unix.NsecToTimespec(mtime.UnixNano())}
	if err := unix.UtimesNanoAt(pfd, base, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("utimes: %w", err)
	}
	return nil
}

// finish sets opaque markers and directory times once every entry is in.
func (x *extractor) finish() error {
	for _, d := range x.opaques {
		if err := x.atDir(d, func(pfd int, base string) error {
			return unix.Lsetxattr(procPath(pfd, base), "trusted.overlay.opaque", []byte("y"), 0)
		}); err != nil {
			return errdefs.Invalid("layer entry %q: opaque marker: %v", path.Join(d, opaqueMarker), err)
		}
	}
	for i := len(x.dirs) - 1; i >= 0; i-- {
		d := x.dirs[i]
		// A later entry may have replaced the dir; its times then do not matter.
		_ = x.atDir(d.name, func(pfd int, base string) error { return utimes(pfd, base, d.atime, d.mtime) })
	}
	return nil
}

// atDir calls fn with the fd of name's parent and name's last component.
func (x *extractor) atDir(name string, fn func(pfd int, base string) error) error {
	parent, base := path.Dir(name), path.Base(name)
	if name == "." {
		parent, base = ".", "."
	}
	pd, err := x.root.Open(parent)
	if err != nil {
		return err
	}
	defer pd.Close()
	return fn(int(pd.Fd()), base)
}
