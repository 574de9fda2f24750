package image

import (
	"context"
	"io"

	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/content"
	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/layer"
)

// CONTRACT additions for the images-and-registries issue (pull, push,
// save/load, commit). New fields on Image (filled by the store):
//   RepoDigests []string      // "localhost:5000/x@sha256:..." (familiar form, like RepoTags)
//   Manifest    digest.Digest // the image's own manifest blob in the content store; "" until pushed for imported/committed images
//   Parent      digest.Digest // the image a commit was made from ("" otherwise)

// Content is the blob store the image store keeps manifests, configs and
// compressed layers in.
func (s *Store) Content() *content.Store { return nil }

// Layers is the layer store the image store releases layers from.
func (s *Store) Layers() *layer.Store { return s.layers }

// Lease keeps garbage collection from removing layers and blobs that a pull
// or load has written but not yet registered. Call the returned func when done.
func (s *Store) Lease() func() { return func() {} }

// RegisterOptions describe where a registered image came from.
type RegisterOptions struct {
	Manifest   []byte // raw manifest (Docker schema 2 or OCI) of this image, stored as a blob; nil for none
	Index      []byte // raw index/manifest list it was picked from, kept for push; nil for none
	Ref        string // tag to set ("" for none), e.g. "localhost:5000/x:1"
	RepoDigest string // e.g. "localhost:5000/x@sha256:<manifest digest>" ("" for none)
}

// Register records an image whose layers (config rootfs.diff_ids, in order)
// are already in the layer store, storing config (the exact bytes hashed
// into the image ID) and opts' blobs. Registering an existing image only adds
// the tag and repo digest.
func (s *Store) Register(ctx context.Context, config []byte, opts RegisterOptions) (*Image, error) {
	return nil, errdefs.NotImplemented("image: Register")
}

// AddRepoDigest records that id was pushed as repoDigest with this manifest.
func (s *Store) AddRepoDigest(id digest.Digest, repoDigest string, manifest []byte) error {
	return errdefs.NotImplemented("image: AddRepoDigest")
}

// HistoryItem is one line of `docker history`.
type HistoryItem struct {
	ID        string // image ID for the top entry of each image, "<missing>" otherwise
	Created   int64  // unix seconds
	CreatedBy string
	Tags      []string
	Size      int64
	Comment   string
}

func (s *Store) History(ref string) ([]HistoryItem, error) {
	return nil, errdefs.NotImplemented("image: History")
}

// CommitOptions of `docker commit`.
type CommitOptions struct {
	Ref     string   // tag for the new image ("" for none)
	Changes []string // Dockerfile-style, as for Import
	Author  string
	Comment string
	// Config is the container's config (Cmd, Env, ...) the new image takes
	// its defaults from, as JSON of a Docker container config; may be nil.
	Config []byte
}

// Commit makes a new image: parent's layers plus layerTar (the container's
// upper dir as a tar with .wh. whiteouts) as one new layer.
func (s *Store) Commit(ctx context.Context, parent *Image, layerTar io.Reader, opts CommitOptions) (*Image, error) {
	return nil, errdefs.NotImplemented("image: Commit")
}

// Prune deletes dangling images (all=false) or every image no container uses
// (all=true); inUse as for Delete. Returns what was deleted and bytes reclaimed.
func (s *Store) Prune(ctx context.Context, all bool, inUse func(id digest.Digest) string) ([]DeleteResult, int64, error) {
	return nil, 0, errdefs.NotImplemented("image: Prune")
}

// GC removes blobs and layers that no image references (orphans of a crash).
func (s *Store) GC(ctx context.Context) (int64, error) { return 0, errdefs.NotImplemented("image: GC") }
