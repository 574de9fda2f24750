// Package image keeps images (keyed by config digest) and their tags.
package image

import (
	"context"
	"io"
	"time"

	ocispec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/layer"
)

// CONTRACT (used by the container service and the API).

// Image is a read-only value.
type Image struct {
	ID       digest.Digest          // config digest, "sha256:..."
	Config   ocispec.DockerOCIImage // the image config JSON
	RepoTags []string               // "docker.io/library/busybox:latest" shown as "busybox:latest"
	TopLayer digest.Digest          // chain ID of the top layer ("" for none)
	Size     int64                  // sum of its layers
	Created  time.Time
}

type Store struct{}

func NewStore(root string, layers *layer.Store) (*Store, error) {
	return nil, errdefs.NotImplemented("image: NewStore")
}

// Import makes a one-layer image from a rootfs tar (gzip allowed), applying
// Dockerfile-style changes (CMD, ENTRYPOINT, ENV, WORKDIR, USER, EXPOSE,
// LABEL, VOLUME, STOPSIGNAL) and tagging it ref when ref != "".
func (s *Store) Import(ctx context.Context, r io.Reader, ref string, changes []string, message string) (*Image, error) {
	return nil, errdefs.NotImplemented("image: Import")
}

// Get resolves a name ("busybox", "busybox:1", "host:5000/x:y"), a full or
// short ID, or "sha256:..." ID. NotFound: "No such image: <ref>". An ID
// prefix matching several images is Invalid/Conflict and says so.
func (s *Store) Get(ref string) (*Image, error) { return nil, errdefs.NotImplemented("image: Get") }

func (s *Store) List() ([]*Image, error) { return nil, errdefs.NotImplemented("image: List") }

// Tag adds ref to the image that source resolves to.
func (s *Store) Tag(source, ref string) error { return errdefs.NotImplemented("image: Tag") }

// DeleteResult is one line of `docker rmi` output.
type DeleteResult struct {
	Untagged string
	Deleted  string
}

// Delete untags or deletes. inUse returns the ID of a container using the
// image, or "" (then a Conflict names it unless force).
func (s *Store) Delete(ref string, force bool, inUse func(id digest.Digest) string) ([]DeleteResult, error) {
	return nil, errdefs.NotImplemented("image: Delete")
}
