package layer

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/vbatts/tar-split/tar/storage"
	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/errdefs"
)

// A layer's tar-split metadata holds every byte of the tar it was applied
// from except file contents (headers, padding, order), so DiffTar can
// reassemble that exact stream from the diff dir and a pushed or saved
// layer keeps its DiffID, whatever program wrote the tar. Docker does the
// same.
const splitFile = "tar-split.json.gz"

// splitRecorder writes the metadata while a layer is unpacked. It sits
// under the tar reader and sees every byte: what the reader consumes in
// Next (headers, padding) becomes segments, a file's contents only its
// checksum (CRC-32C, see assemble.go), in tar-split's format (one parse,
// no second tar reader).
// A tar that the files cannot give back (a path written twice, content
// dropped with a whiteout or a sparse file) makes it unusable: the layer
// then has no metadata and DiffTar falls back to its canonical walk.
type splitRecorder struct {
	r        io.Reader
	f        *os.File
	zw       *gzip.Writer
	p        storage.Packer
	seg      []byte
	cur      *tar.Header // the entry whose contents are being read
	crc      hash.Hash
	err      error
	unusable bool
}

const maxSegment = 1 << 20 // bytes of headers and padding held at a time

func newSplitRecorder(file string, r io.Reader) (*splitRecorder, error) {
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	return &splitRecorder{r: r, f: f, zw: zw, p: storage.NewJSONPacker(zw), crc: newFileSum()}, nil
}

func (s *splitRecorder) Read(b []byte) (int, error) {
	n, err := s.r.Read(b)
	if s.cur != nil {
		s.crc.Write(b[:n])
	} else {
		s.seg = append(s.seg, b[:n]...)
		if len(s.seg) >= maxSegment {
			s.flush()
		}
	}
	return n, err
}

func (s *splitRecorder) add(e storage.Entry) {
	if s.unusable || s.err != nil {
		return
	}
	if _, err := s.p.AddEntry(e); errors.Is(err, storage.ErrDuplicatePath) {
		s.unusable = true
	} else if err != nil {
		s.err = err
	}
}

func (s *splitRecorder) flush() {
	if len(s.seg) > 0 {
		s.add(storage.Entry{Type: storage.SegmentType, Payload: s.seg})
		s.seg = s.seg[:0]
	}
}

// next reads the rest of the current entry's contents and the next header.
func (s *splitRecorder) next(tr *tar.Reader) (*tar.Header, error) {
	if s.cur != nil {
		if _, err := io.Copy(io.Discard, tr); err != nil {
			return nil, err
		}
		e := storage.Entry{Type: storage.FileType, Size: s.cur.Size}
		if s.cur.Size > 0 {
			e.Payload = s.crc.Sum(nil)
		}
		e.SetName(s.cur.Name)
		s.add(e)
		s.cur = nil
	}
	hdr, err := tr.Next()
	if err != nil {
		return nil, err
	}
	s.flush()
	s.cur = hdr
	s.crc.Reset()
	return hdr, nil
}

// finish reads what follows the end of the archive and flushes the
// metadata, or removes it when it is unusable.
func (s *splitRecorder) finish() error {
	s.cur = nil
	if _, err := io.Copy(io.Discard, s); err != nil {
		s.abort()
		return errdefs.Invalid("reading layer: %v", err)
	}
	s.flush()
	err := s.err
	if cerr := s.zw.Close(); err == nil {
		err = cerr
	}
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	if err != nil || s.unusable {
		if rerr := os.Remove(s.f.Name()); rerr != nil {
			return rerr
		}
	}
	return err
}

// abort drops a partial recording.
func (s *splitRecorder) abort() {
	s.zw.Close()
	s.f.Close()
	os.Remove(s.f.Name())
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
		err := assemble(diffFiles{root}, storage.NewJSONUnpacker(zr), pw)
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
