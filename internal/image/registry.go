package image

import (
	"context"
	"encoding/json"
	"slices"

	ocispec "github.com/moby/docker-image-spec/specs-go/v1"
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
// Every image's config is also a blob in Content() under the image ID.

// Content is the blob store the image store keeps manifests, configs and
// compressed layers in.
func (s *Store) Content() *content.Store { return s.content }

// Layers is the layer store the image store releases layers from.
func (s *Store) Layers() *layer.Store { return s.layers }

// Lease keeps garbage collection from removing layers and blobs that a pull
// or load has written but not yet registered. Call the returned func when done.
// Leases nest; Delete, Prune and GC wait until no lease is held.
func (s *Store) Lease() func() { return s.gc.acquire() }

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
	var cfg ocispec.DockerOCIImage
	if err := json.Unmarshal(config, &cfg); err != nil {
		return nil, errdefs.Invalid("invalid image config: %v", err)
	}
	var tag, repoDigest string
	var err error
	if opts.Ref != "" {
		if tag, err = parseTag(opts.Ref); err != nil {
			return nil, err
		}
	}
	if opts.RepoDigest != "" {
		if repoDigest, _, err = parseRepoDigest(opts.RepoDigest); err != nil {
			return nil, err
		}
	}
	release := s.Lease()
	defer release()
	for _, c := range chainIDs(cfg.RootFS.DiffIDs) {
		if _, err := s.layers.Get(c); err != nil {
			return nil, errdefs.Invalid("image config names a layer that is not in the store: %v", err)
		}
	}
	var m meta
	if opts.Manifest != nil {
		if m.Manifest, err = s.content.Put(opts.Manifest); err != nil {
			return nil, err
		}
	}
	if opts.Index != nil {
		if m.Index, err = s.content.Put(opts.Index); err != nil {
			return nil, err
		}
	}
	if repoDigest != "" {
		m.RepoDigests = []string{repoDigest}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, err := s.record(config, cfg, m, tag)
	if err != nil {
		return nil, err
	}
	return s.image(id), nil
}

// record stores an image (config bytes as given) or, when it exists, merges
// m's manifest, index and repo digests into its record; then tags it. The
// config blob goes to the content store, then the meta, then the config
// file that makes the image exist. s.mu is held, and a lease.
func (s *Store) record(config []byte, cfg ocispec.DockerOCIImage, m meta, tag string) (digest.Digest, error) {
	id, err := s.content.Put(config)
	if err != nil {
		return "", err
	}
	if _, ok := s.configs[id]; !ok {
		if err := s.setMeta(id, m); err != nil {
			return "", err
		}
		if err := writeFile(s.configPath(id), config); err != nil {
			return "", err
		}
		s.configs[id] = cfg
	} else if old := s.metas[id]; mergeMeta(&old, m) {
		if err := s.setMeta(id, old); err != nil {
			return "", err
		}
	}
	if tag != "" && s.repos[tag] != id {
		if err := s.setRepos(func(r map[string]digest.Digest) { r[tag] = id }); err != nil {
			return "", err
		}
	}
	return id, nil
}

// mergeMeta adds m's facts to old; it reports whether old changed.
func mergeMeta(old *meta, m meta) bool {
	changed := false
	if old.Manifest == "" && m.Manifest != "" {
		old.Manifest, changed = m.Manifest, true
	}
	if old.Index == "" && m.Index != "" {
		old.Index, changed = m.Index, true
	}
	for _, rd := range m.RepoDigests {
		if !slices.Contains(old.RepoDigests, rd) {
			old.RepoDigests, changed = append(old.RepoDigests, rd), true
		}
	}
	return changed
}

// AddRepoDigest records that id was pushed as repoDigest with this manifest.
func (s *Store) AddRepoDigest(id digest.Digest, repoDigest string, manifest []byte) error {
	name, d, err := parseRepoDigest(repoDigest)
	if err != nil {
		return err
	}
	release := s.Lease()
	defer release()
	md, err := s.content.Put(manifest)
	if err != nil {
		return err
	}
	if md != d {
		return errdefs.Invalid("repository digest %s does not match its manifest %s", repoDigest, md)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.metas[id]
	if _, exists := s.configs[id]; !exists {
		return errdefs.NotFound("No such image: %s", id)
	}
	if !ok {
		old = meta{}
	}
	if mergeMeta(&old, meta{Manifest: md, RepoDigests: []string{name}}) {
		return s.setMeta(id, old)
	}
	return nil
}
