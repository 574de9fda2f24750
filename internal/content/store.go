// Package content stores blobs (compressed layers, configs, manifests,
// indexes) by digest: written to a temp file, verified while written,
// renamed into place.
package content

import (
	"errors"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/errdefs"
)

// CONTRACT (used by image, distribution and the save/load archive code).

// Store keeps blobs under root/content/blobs/sha256/<hex>; temps under
// root/content/ingest/ are removed at NewStore.
type Store struct{ root string }

func NewStore(root string) (*Store, error) {
	s := &Store{root: filepath.Join(root, "content")}
	// Temps of a crashed writer are never visible as blobs; drop them.
	if err := os.RemoveAll(s.ingestDir()); err != nil {
		return nil, err
	}
	for _, d := range []string{s.blobsDir(), s.ingestDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *Store) blobsDir() string  { return filepath.Join(s.root, "blobs", "sha256") }
func (s *Store) ingestDir() string { return filepath.Join(s.root, "ingest") }

// path checks d (only sha256 is stored) and returns its blob path.
func (s *Store) path(d digest.Digest) (string, error) {
	if err := d.Validate(); err != nil || d.Algorithm() != digest.SHA256 {
		return "", errdefs.Invalid("invalid digest %q", d)
	}
	return filepath.Join(s.blobsDir(), d.Encoded()), nil
}

// Writer ingests one blob. Commit verifies the digest (when expected is not
// "") and the size (when size >= 0), then renames it into place (a blob that
// already exists is fine); a mismatch is errdefs.Invalid naming both digests.
// Close without Commit discards it.
type Writer interface {
	io.Writer
	Commit() (digest.Digest, int64, error)
	Close() error
}

func (s *Store) Writer(expected digest.Digest, size int64) (Writer, error) {
	if expected != "" {
		if _, err := s.path(expected); err != nil {
			return nil, err
		}
	}
	f, err := os.CreateTemp(s.ingestDir(), "blob-")
	if err != nil {
		return nil, err
	}
	return &writer{s: s, f: f, h: digest.SHA256.Hash(), expected: expected, size: size}, nil
}

type writer struct {
	s        *Store
	f        *os.File
	h        hash.Hash
	n        int64
	expected digest.Digest
	size     int64
	done     bool
}

func (w *writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, errors.New("content: write after commit or close")
	}
	// Fail early on an oversize stream rather than filling the disk.
	if w.size >= 0 && w.n+int64(len(p)) > w.size {
		return 0, errdefs.Invalid("blob %s: more than the expected %d bytes", w.expected, w.size)
	}
	n, err := w.f.Write(p)
	w.h.Write(p[:n])
	w.n += int64(n)
	return n, err
}

func (w *writer) Commit() (digest.Digest, int64, error) {
	if w.done {
		return "", 0, errors.New("content: commit after commit or close")
	}
	defer w.Close()
	got := digest.NewDigest(digest.SHA256, w.h)
	if w.size >= 0 && w.n != w.size {
		return "", 0, errdefs.Invalid("blob %s: size %d, expected %d", got, w.n, w.size)
	}
	if w.expected != "" && got != w.expected {
		return "", 0, errdefs.Invalid("digest mismatch: got %s, expected %s", got, w.expected)
	}
	if err := w.f.Sync(); err != nil {
		return "", 0, err
	}
	if err := w.f.Close(); err != nil {
		return "", 0, err
	}
	dst, _ := w.s.path(got)
	// Rename replaces atomically: a concurrent writer of the same digest
	// wrote the same bytes, so either copy is the blob.
	if err := os.Rename(w.f.Name(), dst); err != nil {
		return "", 0, err
	}
	w.done = true // the temp name is gone; Close must not remove a reused one
	if err := syncDir(w.s.blobsDir()); err != nil {
		return "", 0, err
	}
	return got, w.n, nil
}

func (w *writer) Close() error {
	if w.done {
		return nil
	}
	w.done = true
	w.f.Close()
	if err := os.Remove(w.f.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Fsync(int(f.Fd()))
}

// Put stores a small blob held in memory.
func (s *Store) Put(b []byte) (digest.Digest, error) {
	d := digest.FromBytes(b)
	if n, err := s.Stat(d); err == nil && n == int64(len(b)) {
		return d, nil
	}
	w, err := s.Writer(d, int64(len(b)))
	if err != nil {
		return "", err
	}
	defer w.Close()
	if _, err := w.Write(b); err != nil {
		return "", err
	}
	_, _, err = w.Commit()
	return d, err
}

// Open: NotFound "blob sha256:... not found".
func (s *Store) Open(d digest.Digest) (*os.File, error) {
	p, err := s.path(d)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errdefs.NotFound("blob %s not found", d)
	}
	return f, err
}

// ReadAll reads a small blob (manifests, configs).
func (s *Store) ReadAll(d digest.Digest) ([]byte, error) {
	f, err := s.Open(d)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

func (s *Store) Stat(d digest.Digest) (int64, error) {
	p, err := s.path(d)
	if err != nil {
		return 0, err
	}
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, errdefs.NotFound("blob %s not found", d)
	}
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

func (s *Store) Delete(d digest.Digest) error {
	p, err := s.path(d)
	if err != nil {
		return err
	}
	err = os.Remove(p)
	if errors.Is(err, fs.ErrNotExist) {
		return errdefs.NotFound("blob %s not found", d)
	}
	return err
}

// Walk visits every committed blob.
func (s *Store) Walk(fn func(d digest.Digest, size int64) error) error {
	ents, err := os.ReadDir(s.blobsDir())
	if err != nil {
		return err
	}
	for _, e := range ents {
		d := digest.NewDigestFromEncoded(digest.SHA256, e.Name())
		if !e.Type().IsRegular() || d.Validate() != nil {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // deleted meanwhile
		}
		if err := fn(d, fi.Size()); err != nil {
			return err
		}
	}
	return nil
}
