// Package content stores blobs (compressed layers, configs, manifests,
// indexes) by digest: written to a temp file, verified while written,
// renamed into place.
package content

import (
	"io"
	"os"

	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errdefs"
)

// CONTRACT (used by image, distribution and the save/load archive code).

// Store keeps blobs under root/content/blobs/sha256/<hex>; temps under
// root/content/ingest/ are removed at NewStore.
type Store struct{ root string }

func NewStore(root string) (*Store, error) { return nil, errdefs.NotImplemented("content: NewStore") }

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
	return nil, errdefs.NotImplemented("content: Writer")
}

// Put stores a small blob held in memory.
func (s *Store) Put(b []byte) (digest.Digest, error) {
	return "", errdefs.NotImplemented("content: Put")
}

// Open: NotFound "blob sha256:... not found".
func (s *Store) Open(d digest.Digest) (*os.File, error) {
	return nil, errdefs.NotImplemented("content: Open")
}

// ReadAll reads a small blob (manifests, configs).
func (s *Store) ReadAll(d digest.Digest) ([]byte, error) {
	return nil, errdefs.NotImplemented("content: ReadAll")
}

func (s *Store) Stat(d digest.Digest) (int64, error) {
	return 0, errdefs.NotImplemented("content: Stat")
}

func (s *Store) Delete(d digest.Digest) error { return errdefs.NotImplemented("content: Delete") }

// Walk visits every committed blob.
func (s *Store) Walk(fn func(d digest.Digest, size int64) error) error {
	return errdefs.NotImplemented("content: Walk")
}
