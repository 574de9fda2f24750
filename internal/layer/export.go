package layer

import (
	"io"

	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errdefs"
)

// CONTRACT additions for the images-and-registries issue.

// DiffTar streams one layer's own files as an uncompressed tar, overlay
// whiteouts turned back into .wh. entries and opaque dirs into .wh..wh..opq.
// Applying it to the parent's chain gives the same DiffID for layers that
// were applied from a tar written in the same canonical order.
func (s *Store) DiffTar(chainID digest.Digest) (io.ReadCloser, error) {
	return nil, errdefs.NotImplemented("layer: DiffTar")
}

// RWDiffTar streams a container's upper dir the same way (for commit).
func (s *Store) RWDiffTar(id string) (io.ReadCloser, error) {
	return nil, errdefs.NotImplemented("layer: RWDiffTar")
}

// Change is one line of `docker diff`: Kind 0 modified, 1 added, 2 deleted
// (Docker's container.ChangeType values).
type Change struct {
	Path string
	Kind uint8
}

// RWChanges lists what a container changed against its image.
func (s *Store) RWChanges(id string) ([]Change, error) {
	return nil, errdefs.NotImplemented("layer: RWChanges")
}

// ExportRW streams the container's whole filesystem (image + changes,
// flattened, no whiteouts) as a tar, for `docker export`.
func (s *Store) ExportRW(id string) (io.ReadCloser, error) {
	return nil, errdefs.NotImplemented("layer: ExportRW")
}
