// Package layer stores image layers as overlay snapshots keyed by chain ID,
// plus the read-write layers of containers.
package layer

import (
	"io"

	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/mount"
)

// CONTRACT (used by the image store and the container service).

// Layer is one unpacked image layer.
type Layer struct {
	ChainID digest.Digest `json:"chain_id"`
	DiffID  digest.Digest `json:"diff_id"` // sha256 of the uncompressed tar
	Parent  digest.Digest `json:"parent,omitempty"`
	Size    int64         `json:"size"` // bytes of files in this layer alone
}

// Store keeps layers under root/layers/<chainID hex>/ and container layers
// under root/containers/<id>/.
type Store struct{ root string }

func NewStore(root string) (*Store, error) { return nil, errdefs.NotImplemented("layer: NewStore") }

// Apply unpacks an (uncompressed or gzip) tar as a child of parent ("" for a
// base layer). Safe against ../, absolute symlinks, hardlinks out, and
// handles whiteouts. If the resulting chain ID exists, it is reused.
func (s *Store) Apply(parent digest.Digest, r io.Reader) (Layer, error) {
	return Layer{}, errdefs.NotImplemented("layer: Apply")
}

func (s *Store) Get(chainID digest.Digest) (Layer, error) {
	return Layer{}, errdefs.NotImplemented("layer: Get")
}

// Remove deletes a layer; the caller (image store) knows it is unreferenced.
func (s *Store) Remove(chainID digest.Digest) error { return errdefs.NotImplemented("layer: Remove") }

// CreateRW makes a container's read-write layer on top of the image's top layer.
func (s *Store) CreateRW(id string, parent digest.Digest) error {
	return errdefs.NotImplemented("layer: CreateRW")
}

// RemoveRW deletes a container's layer (it must not be mounted).
func (s *Store) RemoveRW(id string) error { return errdefs.NotImplemented("layer: RemoveRW") }

// Mounts describes the container's rootfs: one overlay mount (Target empty).
func (s *Store) Mounts(id string) ([]mount.Mount, error) {
	return nil, errdefs.NotImplemented("layer: Mounts")
}

// Dirs lists the container's directories from the top (its upper dir) down
// to the base layer, to read files such as /etc/passwd without mounting.
func (s *Store) Dirs(id string) ([]string, error) { return nil, errdefs.NotImplemented("layer: Dirs") }

// RWSize is the size of the files in a container's upper dir.
func (s *Store) RWSize(id string) (int64, error) { return 0, errdefs.NotImplemented("layer: RWSize") }
