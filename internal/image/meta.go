package image

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errdefs"
)

// meta is what an image record keeps besides its config and tags, in
// root/images/meta/<id hex>.json (written atomically before the config, so
// a config on disk always has its meta; a meta without config is a crash
// leftover dropped at load).
type meta struct {
	Manifest    digest.Digest `json:"manifest,omitempty"`
	Index       digest.Digest `json:"index,omitempty"`
	Parent      digest.Digest `json:"parent,omitempty"`
	RepoDigests []string      `json:"repo_digests,omitempty"` // normalized "docker.io/library/x@sha256:..."
}

func (s *Store) metaPath(id digest.Digest) string {
	return filepath.Join(s.root, "meta", id.Encoded()+".json")
}

// loadMeta reads the metas of known configs and removes the others; called
// by load after configs are read.
func (s *Store) loadMeta() error {
	dir := filepath.Join(s.root, "meta")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	s.metas = map[digest.Digest]meta{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		id := digest.NewDigestFromEncoded(digest.SHA256, strings.TrimSuffix(e.Name(), ".json"))
		if _, ok := s.configs[id]; !ok || !strings.HasSuffix(e.Name(), ".json") {
			os.Remove(p)
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var m meta
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("image metadata %s is corrupt: %w", p, err)
		}
		s.metas[id] = m
	}
	return nil
}

// setMeta persists m for id, then updates memory; s.mu is held.
func (s *Store) setMeta(id digest.Digest, m meta) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := writeFile(s.metaPath(id), b); err != nil {
		return err
	}
	s.metas[id] = m
	return nil
}

// parseRepoDigest normalizes "name@sha256:..." (Invalid otherwise).
func parseRepoDigest(ref string) (string, digest.Digest, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", "", errdefs.Invalid("invalid reference format: %q: %v", ref, err)
	}
	c, ok := named.(reference.Canonical)
	if !ok {
		return "", "", errdefs.Invalid("%q is not a repository digest (name@sha256:...)", ref)
	}
	if _, tagged := named.(reference.Tagged); tagged {
		// "x:tag@sha256:..." is kept as "x@sha256:...", like Docker's RepoDigests.
		c, _ = reference.WithDigest(reference.TrimNamed(named), c.Digest())
	}
	return c.String(), c.Digest(), nil
}

// byRepoDigest finds the image holding a normalized repo digest; s.mu held.
func (s *Store) byRepoDigest(name string) (digest.Digest, bool) {
	for id, m := range s.metas {
		if slices.Contains(m.RepoDigests, name) {
			return id, true
		}
	}
	return "", false
}
