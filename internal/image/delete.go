package image

import (
	"errors"
	"strings"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errdefs"
)

func shortID(id string) string {
	if d, err := digest.Parse(id); err == nil {
		id = d.Encoded()
	}
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// delete follows Docker's rules (daemon/images/image_delete.go): a name
// untags, and deletes the image with its last tag; an ID deletes, untagging
// a single tag, but needs force for several tags or for an image in use.
// It returns the chain IDs of the deleted image's layers, to release once
// s.mu is dropped. s.mu is held.
func (s *Store) delete(ref string, force bool, inUse func(digest.Digest) string) ([]DeleteResult, []digest.Digest, error) {
	id, err := s.resolve(ref)
	if err != nil {
		return nil, nil, err
	}
	if inUse == nil {
		inUse = func(digest.Digest) string { return "" }
	}
	tags := s.tagsOf(id)
	var res []DeleteResult
	byName := false
	var named string
	if n, err := reference.ParseNormalizedNamed(ref); err == nil && !isIDRef(ref, id) {
		if _, digested := n.(reference.Digested); !digested {
			if _, ok := s.repos[reference.TagNameOnly(n).String()]; ok {
				byName, named = true, reference.TagNameOnly(n).String()
			}
		}
	}
	if byName {
		if !force && len(tags) == 1 {
			if c := inUse(id); c != "" {
				return nil, nil, errdefs.Conflict("conflict: unable to remove repository reference %q (must force) - container %s is using its referenced image %s",
					ref, shortID(c), shortID(id.String()))
			}
		}
		if err := s.setRepos(func(m map[string]digest.Digest) { delete(m, named) }); err != nil {
			return nil, nil, err
		}
		res = append(res, DeleteResult{Untagged: familiar(named)})
		if len(tags) > 1 {
			return res, nil, nil
		}
	} else if !force {
		if len(tags) > 1 {
			return nil, nil, errdefs.Conflict("conflict: unable to delete %s (must be forced) - image is referenced in multiple repositories", shortID(id.String()))
		}
		if c := inUse(id); c != "" {
			return nil, nil, errdefs.Conflict("conflict: unable to delete %s (must be forced) - image is being used by stopped container %s", shortID(id.String()), shortID(c))
		}
	}
	// Delete the image: every remaining tag, then its config.
	remaining := s.tagsOf(id)
	if len(remaining) > 0 {
		if err := s.setRepos(func(m map[string]digest.Digest) {
			for _, t := range remaining {
				delete(m, t)
			}
		}); err != nil {
			return nil, nil, err
		}
		for _, t := range remaining {
			res = append(res, DeleteResult{Untagged: familiar(t)})
		}
	}
	cfg := s.configs[id]
	if err := removeFile(s.configPath(id)); err != nil {
		return nil, nil, err
	}
	delete(s.configs, id)
	res = append(res, DeleteResult{Deleted: id.String()})
	return res, chainIDs(cfg.RootFS.DiffIDs), nil
}

// isIDRef reports whether ref named the image by (a prefix of) its ID
// rather than by a tag, like Docker's isImageIDPrefix.
func isIDRef(ref string, id digest.Digest) bool {
	return ref == id.String() || strings.HasPrefix(id.Encoded(), strings.TrimPrefix(ref, "sha256:"))
}

func (s *Store) tagsOf(id digest.Digest) []string {
	var tags []string
	for name, tid := range s.repos {
		if tid == id {
			tags = append(tags, name)
		}
	}
	return tags
}

// releaseLayers removes the candidate layers (top first) that no image and
// no container layer still uses, and returns what it removed.
func (s *Store) releaseLayers(candidates []digest.Digest) ([]digest.Digest, error) {
	s.gc.Lock()
	defer s.gc.Unlock()
	used := map[digest.Digest]bool{}
	s.mu.RLock()
	for _, cfg := range s.configs {
		for _, c := range chainIDs(cfg.RootFS.DiffIDs) {
			used[c] = true
		}
	}
	s.mu.RUnlock()
	parents, err := s.layers.RWParents()
	if err != nil {
		return nil, err
	}
	for _, p := range parents {
		for c := p; c != "" && !used[c]; {
			used[c] = true
			l, err := s.layers.Get(c)
			if err != nil {
				break
			}
			c = l.Parent
		}
	}
	var removed []digest.Digest
	for i := len(candidates) - 1; i >= 0; i-- {
		c := candidates[i]
		if used[c] {
			continue
		}
		if err := s.layers.Remove(c); err != nil {
			if errors.Is(err, errdefs.ErrNotFound) {
				continue
			}
			return removed, err
		}
		removed = append(removed, c)
	}
	return removed, nil
}
