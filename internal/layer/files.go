package layer

import (
	"archive/tar"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/errdefs"
)

// Creating an inode is the expensive part of an unpack (hundreds of
// microseconds of kernel time each on some ext4 setups), so regular files
// are created by a few workers while the reader goes on with the tar. The
// reader keeps everything else in order: directories, links, whiteouts and
// devices are made by it, and it waits for the workers (a barrier) before
// any entry that depends on a file they may not have written yet.

const (
	maxQueuedFile  = 1 << 20  // bigger files are written by the reader itself
	maxQueuedBytes = 16 << 20 // file contents held in memory at a time
)

// dirHandle is an open directory of the layer, shared by the reader's cache
// and the queued files that are created in it.
type dirHandle struct {
	f    *os.File
	refs atomic.Int32
}

func (h *dirHandle) fd() int { return int(h.f.Fd()) }

func (h *dirHandle) release() {
	if h.refs.Add(-1) == 0 {
		h.f.Close()
	}
}

// fileJob is one regular file for a worker.
type fileJob struct {
	dir  *dirHandle
	base string
	hdr  *tar.Header
	data []byte
}

// pool runs the workers. Only the reader calls submit, barrier and close.
type pool struct {
	jobs     chan fileJob
	workers  sync.WaitGroup
	inflight sync.WaitGroup
	pending  map[string]bool // names queued since the last barrier

	mu     sync.Mutex
	cond   *sync.Cond
	queued int // bytes of queued file contents
	err    error
	failed atomic.Bool
}

func newPool() *pool {
	n := max(runtime.NumCPU(), 4)
	p := &pool{jobs: make(chan fileJob, 64), pending: map[string]bool{}}
	p.cond = sync.NewCond(&p.mu)
	for range n {
		p.workers.Add(1)
		go p.work()
	}
	return p
}

func (p *pool) work() {
	defer p.workers.Done()
	for j := range p.jobs {
		if !p.failed.Load() {
			if err := writeFile(j.dir.fd(), j.base, j.hdr, j.data); err != nil {
				p.fail(errdefs.Invalid("layer entry %q: %v", j.hdr.Name, err))
			}
		}
		j.dir.release()
		p.mu.Lock()
		p.queued -= len(j.data)
		p.cond.Signal()
		p.mu.Unlock()
		p.inflight.Done()
	}
}

func (p *pool) fail(err error) {
	p.mu.Lock()
	if p.err == nil {
		p.err = err
	}
	p.mu.Unlock()
	p.failed.Store(true)
}

// submit queues name (dir/base) with its contents, once they fit in memory.
func (p *pool) submit(name string, dir *dirHandle, base string, hdr *tar.Header, data []byte) {
	p.mu.Lock()
	for p.queued > 0 && p.queued+len(data) > maxQueuedBytes {
		p.cond.Wait()
	}
	p.queued += len(data)
	p.mu.Unlock()
	dir.refs.Add(1)
	p.pending[name] = true
	p.inflight.Add(1)
	p.jobs <- fileJob{dir: dir, base: base, hdr: hdr, data: data}
}

// waits reports whether name, or a directory above it, may still be in a
// worker's hands.
func (p *pool) waits(name string) bool {
	if len(p.pending) == 0 {
		return false
	}
	for ; name != "." && name != "/"; name = path.Dir(name) {
		if p.pending[name] {
			return true
		}
	}
	return false
}

// barrier waits until every queued file is written; it returns the first
// error of a worker.
func (p *pool) barrier() error {
	p.inflight.Wait()
	clear(p.pending)
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// close stops the workers after the queued files.
func (p *pool) close() error {
	err := p.barrier()
	close(p.jobs)
	p.workers.Wait()
	return err
}

// writeFile creates base in the directory pfd with hdr's contents and
// metadata. O_EXCL and O_NOFOLLOW: it never opens what is already there.
func writeFile(pfd int, base string, hdr *tar.Header, data []byte) error {
	fd, err := unix.Openat(pfd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), base)
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		return err
	}
	startWriteback(fd, len(data))
	return fileMeta(fd, hdr)
}

// fileMeta sets a regular file's owner, mode, xattrs and times by its fd.
func fileMeta(fd int, hdr *tar.Header) error {
	if err := unix.Fchown(fd, hdr.Uid, hdr.Gid); err != nil {
		return fmt.Errorf("chown: %w", err)
	}
	// After chown, which clears setuid bits; xattrs after both, as chown
	// also drops security.capability.
	if err := unix.Fchmod(fd, uint32(hdr.Mode&0o7777)); err != nil {
		return fmt.Errorf("chmod: %w", err)
	}
	for k, v := range hdr.PAXRecords {
		if attr, ok := xattrKey(k); ok {
			err := unix.Fsetxattr(fd, attr, []byte(v), 0)
			if err != nil && err != unix.ENOTSUP && err != unix.EPERM {
				return fmt.Errorf("xattr %s: %w", attr, err)
			}
		}
	}
	atime, mtime := hdr.AccessTime, hdr.ModTime
	if atime.IsZero() {
		atime = mtime
	}
	ts := []unix.Timespec{unix.NsecToTimespec(atime.UnixNano()), unix.NsecToTimespec(mtime.UnixNano())}
	// futimens: utimensat on the fd itself (a NULL path).
	if _, _, e := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0); e != 0 {
		return fmt.Errorf("utimes: %w", e)
	}
	return nil
}

// writeInline creates a big file from the tar stream in the reader.
func writeInline(pfd int, base string, hdr *tar.Header, r io.Reader, buf []byte) error {
	fd, err := unix.Openat(pfd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), base)
	defer f.Close()
	if _, err := io.CopyBuffer(f, r, buf); err != nil {
		return err
	}
	startWriteback(fd, int(hdr.Size))
	return fileMeta(fd, hdr)
}

// parent returns an open handle on dir, creating it (and the dirs above)
// inside the root if missing. Handles are cached: the path -> directory
// mapping only changes when an entry removes something, which drops them.
func (x *extractor) parent(dir string) (*dirHandle, error) {
	if h, ok := x.handles[dir]; ok {
		return h, nil
	}
	if err := x.root.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := x.root.Open(dir)
	if err != nil {
		return nil, err
	}
	if len(x.handles) >= 128 {
		x.dropHandles()
	}
	h := &dirHandle{f: f}
	h.refs.Store(1)
	x.handles[dir] = h
	return h, nil
}

func (x *extractor) dropHandles() {
	for _, h := range x.handles {
		h.release()
	}
	clear(x.handles)
}
