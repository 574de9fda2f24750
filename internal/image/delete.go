package image

import (
	"slices"
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

// deleted is what a deleted image leaves to release once s.mu is dropped.
type deleted struct {
	layers []digest.Digest // chain IDs, base first
	blobs  []digest.Digest
}

// delete follows Docker's rules (daemon/images/image_delete.go): a name
// (tag or repo digest) untags, and deletes the image with its last
// reference; removing a repository's last tag also drops that repository's
// digests. An ID deletes, untagging a single repository's references, but
// needs force for several tags or for an image in use. s.mu is held.
func (s *Store) delete(ref string, force bool, inUse func(digest.Digest) string) ([]DeleteResult, *deleted, error) {
	id, err := s.resolve(ref)
	if err != nil {
		return nil, nil, err
	}
	if inUse == nil {
		inUse = func(digest.Digest) string { return "" }
	}
	var res []DeleteResult
	if named := s.namedRef(ref, id); named != "" {
		if !force && s.singleRepo(id) {
			if c := inUse(id); c != "" {
				return nil, nil, errdefs.Conflict("conflict: unable to remove repository reference %q (must force) - container %s is using its referenced image %s",
					ref, shortID(c), shortID(id.String()))
			}
		}
		drop := []string{named}
		if !strings.Contains(named, "@") && !slices.ContainsFunc(s.tagsOf(id), func(t string) bool { return t != named && repoOf(t) == repoOf(named) }) {
			// The repository's last tag: its digests go with it.
			for _, rd := range s.metas[id].RepoDigests {
				if repoOf(rd) == repoOf(named) {
					drop = append(drop, rd)
				}
			}
		}
		if err := s.dropRefs(id, drop); err != nil {
			return nil, nil, err
		}
		for _, r := range drop {
			res = append(res, DeleteResult{Untagged: familiar(r)})
		}
		if len(s.refsOf(id)) > 0 {
			return res, nil, nil
		}
	} else if !force {
		if !s.singleRepo(id) {
			return nil, nil, errdefs.Conflict("conflict: unable to delete %s (must be forced) - image is referenced in multiple repositories", shortID(id.String()))
		}
		if c := inUse(id); c != "" {
			return nil, nil, errdefs.Conflict("conflict: unable to delete %s (must be forced) - image is being used by stopped container %s", shortID(id.String()), shortID(c))
		}
	}
	// Delete the image: every remaining reference, then its record.
	remaining := s.refsOf(id)
	if err := s.dropRefs(id, remaining); err != nil {
		return nil, nil, err
	}
	for _, r := range remaining {
		res = append(res, DeleteResult{Untagged: familiar(r)})
	}
	d := &deleted{layers: chainIDs(s.configs[id].RootFS.DiffIDs), blobs: s.blobsOf(id)}
	// The config file makes the image exist: it goes first.
	if err := removeFile(s.configPath(id)); err != nil {
		return nil, nil, err
	}
	delete(s.configs, id)
	removeFile(s.metaPath(id))
	delete(s.metas, id)
	res = append(res, DeleteResult{Deleted: id.String()})
	return res, d, nil
}

// namedRef returns the normalized tag or repo digest that ref names, or ""
// when ref named the image by ID (Docker's isImageIDPrefix).
func (s *Store) namedRef(ref string, id digest.Digest) string {
	if isIDRef(ref, id) {
		return ""
	}
	n, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ""
	}
	if _, digested := n.(reference.Digested); digested {
		if rd, _, err := parseRepoDigest(ref); err == nil && slices.Contains(s.metas[id].RepoDigests, rd) {
			return rd
		}
		return ""
	}
	if name := reference.TagNameOnly(n).String(); s.repos[name] == id {
		return name
	}
	return ""
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
	slices.Sort(tags)
	return tags
}

// refsOf lists an image's tags and repo digests (normalized).
func (s *Store) refsOf(id digest.Digest) []string {
	return append(s.tagsOf(id), s.metas[id].RepoDigests...)
}

// singleRepo is Docker's isSingleReference: at most one tag, and every
// reference in one repository.
func (s *Store) singleRepo(id digest.Digest) bool {
	if len(s.tagsOf(id)) > 1 {
		return false
	}
	refs := s.refsOf(id)
	for _, r := range refs {
		if repoOf(r) != repoOf(refs[0]) {
			return false
		}
	}
	return true
}

func repoOf(ref string) string {
	if n, err := reference.ParseNormalizedNamed(ref); err == nil {
		return n.Name()
	}
	return ref
}

// dropRefs removes tags and repo digests of id; s.mu is held.
func (s *Store) dropRefs(id digest.Digest, refs []string) error {
	var tags []string
	m := s.metas[id]
	keep := m.RepoDigests[:0:0]
	for _, rd := range m.RepoDigests {
		if !slices.Contains(refs, rd) {
			keep = append(keep, rd)
		}
	}
	for _, r := range refs {
		if s.repos[r] == id {
			tags = append(tags, r)
		}
	}
	if len(tags) > 0 {
		if err := s.setRepos(func(r map[string]digest.Digest) {
			for _, t := range tags {
				delete(r, t)
			}
		}); err != nil {
			return err
		}
	}
	if len(keep) != len(m.RepoDigests) {
		m.RepoDigests = keep
		return s.setMeta(id, m)
	}
	return nil
}
