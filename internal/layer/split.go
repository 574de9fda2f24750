package layer

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"sync/atomic"

	"github.com/vbatts/tar-split/tar/asm"
	"github.com/vbatts/tar-split/tar/storage"
	"golang.org/x/sys/unix"
)

// A layer's tar-split metadata holds every byte of the tar it was applied
// from except file contents (headers, padding, order), so DiffTar can
// reassemble that exact stream from the diff dir and a pushed or saved
// layer keeps its DiffID, whatever program wrote the tar. Docker does the
// same.
const splitFile = "tar-split.json.gz"

// splitRecorder writes the metadata while a layer is unpacked. A tar that
// the files cannot give back (a path written twice, content dropped with a
// whiteout or a sparse file) makes it unusable: the layer then has no
// metadata and DiffTar falls back to its canonical walk.
type splitRecorder struct {
	f        *os.File
	zw       *gzip.Writer
	p        storage.Packer
	unusable atomic.Bool // set by the unpacker or the recording goroutine
}

func newSplitRecorder(file string) (*splitRecorder, error) {
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	return &splitRecorder{f: f, zw: zw, p: storage.NewJSONPacker(zw)}, nil
}

// AddEntry is called by tar-split's disassembly goroutine only.
func (r *splitRecorder) AddEntry(e storage.Entry) (int, error) {
	if r.unusable.Load() {
		return 0, nil
	}
	n, err := r.p.AddEntry(e)
	if errors.Is(err, storage.ErrDuplicatePath) {
		r.unusable.Store(true)
		return 0, nil
	}
	return n, err
}

// record tees src through tar-split's disassembler. The returned wait must
// be called once the reader is no longer used: it stops the goroutine (if
// the stream was not read to its end) and reports its error.
func (r *splitRecorder) record(src io.Reader) (io.Reader, func() error) {
	rc, done, _ := asm.NewInputTarStreamWithDone(src, r, nil)
	return rc, func() error {
		rc.Close()
		return <-done
	}
}

// finish flushes the metadata, or removes it when it is unusable.
func (r *splitRecorder) finish() error {
	err := r.zw.Close()
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	if err != nil || r.unusable.Load() {
		if rerr := os.Remove(r.f.Name()); rerr != nil {
			return rerr
		}
	}
	return err
}

// abort drops a partial recording.
func (r *splitRecorder) abort() {
	r.zw.Close()
	r.f.Close()
	os.Remove(r.f.Name())
}

// reassemble streams the layer's original tar from its metadata and files.
func reassemble(splitPath, diffDir string) (io.ReadCloser, error) {
	f, err := os.Open(splitPath)
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", splitPath, err)
	}
	root, err := os.OpenRoot(diffDir)
	if err != nil {
		f.Close()
		return nil, err
	}
	pr, pw := io.Pipe()
	go func() {
		err := asm.WriteOutputTarStream(diffFiles{root}, storage.NewJSONUnpacker(zr), pw)
		root.Close()
		f.Close()
		pw.CloseWithError(err)
	}()
	return pr, nil
}

// diffFiles hands tar-split the contents of a layer's files by their tar
// names, resolved inside the diff dir without following the last component.
// Overlay whiteouts (the tar had .wh. files there) read as empty.
type diffFiles struct{ root *os.Root }

func (d diffFiles) Get(name string) (io.ReadCloser, error) {
	p, err := clean(name)
	if err != nil {
		return nil, err
	}
	dir, base := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		dir = "."
	}
	if strings.HasPrefix(base, whiteoutPrefix) {
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	pd, err := d.root.Open(dir)
	if err != nil {
		return nil, err
	}
	defer pd.Close()
	var st unix.Stat_t
	if err := unix.Fstatat(int(pd.Fd()), base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return nil, fmt.Errorf("layer file %q: %w", name, err)
	}
	if isWhiteout(&st) {
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, fmt.Errorf("layer file %q is not a regular file", name)
	}
	fd, err := unix.Openat(int(pd.Fd()), base, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("layer file %q: %w", name, err)
	}
	return os.NewFile(uintptr(fd), p), nil
}
