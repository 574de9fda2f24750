// Package image keeps images (keyed by config digest) and their tags.
//
// Layout under root/images/: configs/<hex> holds each image config exactly
// as hashed (content-addressed, written by temp+rename); repositories.json
// maps normalized references ("docker.io/library/busybox:latest") to image
// IDs and is rewritten atomically. Layers live in the layer store.
package image

import (
	"context"
	"io"
	"os"
	"sort"
	"sync"
	"time"

	ocispec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/content"
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

	RepoDigests []string      // "localhost:5000/x@sha256:..." (familiar form, like RepoTags)
	Manifest    digest.Digest // this image's manifest blob in the content store; "" until pushed for imported/committed images
	Parent      digest.Digest // the image a commit was made from ("" otherwise)
}

type Store struct {
	root   string // root/images
	layers *layer.Store

	content *content.Store

	// gc is leased by imports, pulls, loads and commits from the first
	// layer or blob written to the config written, and held exclusively
	// while releasing layers and blobs, so fresh ones are never taken.
	gc leases

	mu      sync.RWMutex
	configs map[digest.Digest]ocispec.DockerOCIImage
	metas   map[digest.Digest]meta
	repos   map[string]digest.Digest // normalized ref -> image ID
}

func NewStore(root string, layers *layer.Store) (*Store, error) {
	cs, err := content.NewStore(root)
	if err != nil {
		return nil, err
	}
	s := &Store{root: root + "/images", layers: layers, content: cs}
	s.gc.init()
	if err := s.load(); err != nil {
		return nil, err
	}
	if err := s.loadMeta(); err != nil {
		return nil, err
	}
	// Configs are blobs too (push and save read them from the content
	// store); stores written before the content store lacked them.
	for id := range s.configs {
		if _, err := cs.Stat(id); err != nil {
			b, err := os.ReadFile(s.configPath(id))
			if err != nil {
				return nil, err
			}
			if _, err := cs.Put(b); err != nil {
				return nil, err
			}
		}
	}
	// Layers and blobs written by a pull, load, import or commit that
	// crashed before its image was recorded belong to no image.
	if _, err := s.GC(context.Background()); err != nil {
		return nil, err
	}
	return s, nil
}

// Import makes a one-layer image from a rootfs tar (gzip allowed), applying
// Dockerfile-style changes (CMD, ENTRYPOINT, ENV, WORKDIR, USER, EXPOSE,
// LABEL, VOLUME, STOPSIGNAL) and tagging it ref when ref != "".
func (s *Store) Import(ctx context.Context, r io.Reader, ref string, changes []string, message string) (*Image, error) {
	return s.importTar(ctx, r, ref, changes, message)
}

// Get resolves a name ("busybox", "busybox:1", "host:5000/x:y"), a full or
// short ID, or "sha256:..." ID. NotFound: "No such image: <ref>". An ID
// prefix matching several images is Invalid/Conflict and says so.
func (s *Store) Get(ref string) (*Image, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, err := s.resolve(ref)
	if err != nil {
		return nil, err
	}
	return s.image(id), nil
}

func (s *Store) List() ([]*Image, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	imgs := make([]*Image, 0, len(s.configs))
	for id := range s.configs {
		imgs = append(imgs, s.image(id))
	}
	sort.Slice(imgs, func(i, j int) bool {
		if !imgs[i].Created.Equal(imgs[j].Created) {
			return imgs[i].Created.After(imgs[j].Created)
		}
		return imgs[i].ID < imgs[j].ID
	})
	return imgs, nil
}

// Tag adds ref to the image that source resolves to.
func (s *Store) Tag(source, ref string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, err := s.resolve(source)
	if err != nil {
		return err
	}
	name, err := parseTag(ref)
	if err != nil {
		return err
	}
	return s.setRepos(func(m map[string]digest.Digest) { m[name] = id })
}

// DeleteResult is one line of `docker rmi` output.
type DeleteResult struct {
	Untagged string
	Deleted  string
}

// Delete untags or deletes. inUse returns the ID of a container using the
// image, or "" (then a Conflict names it unless force).
func (s *Store) Delete(ref string, force bool, inUse func(id digest.Digest) string) ([]DeleteResult, error) {
	s.mu.Lock()
	res, d, err := s.delete(ref, force, inUse)
	s.mu.Unlock()
	if err != nil || d == nil {
		return res, err
	}
	removed, _, err := s.release(d)
	for _, c := range removed {
		res = append(res, DeleteResult{Deleted: c.String()})
	}
	return res, err
}

// image builds the value for id; s.mu is held.
func (s *Store) image(id digest.Digest) *Image {
	cfg := s.configs[id]
	m := s.metas[id]
	img := &Image{ID: id, Config: cfg, RepoTags: []string{}, RepoDigests: []string{},
		Manifest: m.Manifest, Parent: m.Parent}
	for _, rd := range m.RepoDigests {
		img.RepoDigests = append(img.RepoDigests, familiar(rd))
	}
	sort.Strings(img.RepoDigests)
	if cfg.Created != nil {
		img.Created = *cfg.Created
	}
	for name, tid := range s.repos {
		if tid == id {
			img.RepoTags = append(img.RepoTags, familiar(name))
		}
	}
	sort.Strings(img.RepoTags)
	for _, c := range chainIDs(cfg.RootFS.DiffIDs) {
		if l, err := s.layers.Get(c); err == nil {
			img.Size += l.Size
		}
		img.TopLayer = c
	}
	return img
}

// chainIDs lists the chain IDs of an image's layers, base first.
func chainIDs(diffIDs []digest.Digest) []digest.Digest {
	var ids []digest.Digest
	var parent digest.Digest
	for _, d := range diffIDs {
		parent = layer.ChainID(parent, d)
		ids = append(ids, parent)
	}
	return ids
}
