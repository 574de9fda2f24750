package image

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errdefs"
)

// blobsOf lists the content blobs an image's record references: its config,
// manifests, index, and what those manifests and index name. s.mu is held.
func (s *Store) blobsOf(id digest.Digest) []digest.Digest {
	m := s.metas[id]
	out := []digest.Digest{id}
	queue := []digest.Digest{}
	if m.Manifest != "" {
		queue = append(queue, m.Manifest)
	}
	if m.Index != "" {
		queue = append(queue, m.Index)
	}
	for _, rd := range m.RepoDigests {
		if _, d, err := parseRepoDigest(rd); err == nil {
			queue = append(queue, d)
		}
	}
	seen := map[digest.Digest]bool{}
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		if seen[d] || d.Validate() != nil {
			continue
		}
		seen[d] = true
		out = append(out, d)
		leaves, children := s.manifestRefs(d)
		for _, l := range leaves {
			if l.Validate() == nil {
				out = append(out, l)
			}
		}
		queue = append(queue, children...)
	}
	return out
}

// manifestRefs lists what a manifest (config, layers) or index (child
// manifests) blob names; nothing for a blob that is absent or not JSON.
func (s *Store) manifestRefs(d digest.Digest) (leaves, children []digest.Digest) {
	if n, err := s.content.Stat(d); err != nil || n > 4<<20 {
		return nil, nil // manifests are small; never read a layer
	}
	b, err := s.content.ReadAll(d)
	if err != nil {
		return nil, nil
	}
	type desc struct {
		Digest digest.Digest `json:"digest"`
	}
	var m struct {
		Config    *desc  `json:"config"`
		Layers    []desc `json:"layers"`
		Manifests []desc `json:"manifests"`
	}
	if json.Unmarshal(b, &m) != nil {
		return nil, nil
	}
	if m.Config != nil {
		leaves = append(leaves, m.Config.Digest)
	}
	for _, l := range m.Layers {
		leaves = append(leaves, l.Digest)
	}
	for _, c := range m.Manifests {
		children = append(children, c.Digest)
	}
	return leaves, children
}

// usedBlobs is the set of blobs any image references.
func (s *Store) usedBlobs() map[digest.Digest]bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	used := map[digest.Digest]bool{}
	for id := range s.configs {
		for _, b := range s.blobsOf(id) {
			used[b] = true
		}
	}
	return used
}

// release removes the layers and blobs of d that nothing references any
// more; it returns the removed layers and the bytes reclaimed.
func (s *Store) release(d *deleted) ([]digest.Digest, int64, error) {
	unlock := s.gc.exclusive()
	defer unlock()
	removed, size, err := s.releaseLayers(d.layers)
	if err != nil {
		return removed, size, err
	}
	n, err := s.releaseBlobs(d.blobs)
	return removed, size + n, err
}

func (s *Store) releaseBlobs(candidates []digest.Digest) (int64, error) {
	used := s.usedBlobs()
	var size int64
	for _, b := range candidates {
		if used[b] {
			continue
		}
		n, err := s.content.Stat(b)
		if err == nil {
			err = s.content.Delete(b)
		}
		if err != nil && !errors.Is(err, errdefs.ErrNotFound) {
			return size, err
		}
		size += n
		used[b] = true // listed twice: count once
	}
	return size, nil
}

// releaseLayers removes the candidate layers (top first) that no image and
// no container layer still uses, and returns what it removed and its size.
// The caller holds s.gc exclusively.
func (s *Store) releaseLayers(candidates []digest.Digest) ([]digest.Digest, int64, error) {
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
		return nil, 0, err
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
	var size int64
	for i := len(candidates) - 1; i >= 0; i-- {
		c := candidates[i]
		if used[c] {
			continue
		}
		l, err := s.layers.Get(c)
		if err == nil {
			err = s.layers.Remove(c)
		}
		if err != nil {
			if errors.Is(err, errdefs.ErrNotFound) {
				continue
			}
			return removed, size, err
		}
		removed = append(removed, c)
		size += l.Size
	}
	return removed, size, nil
}

// GC removes blobs and layers that no image references (orphans of a crash).
func (s *Store) GC(ctx context.Context) (int64, error) {
	unlock := s.gc.exclusive()
	defer unlock()
	all, err := s.layers.List()
	if err != nil {
		return 0, err
	}
	// releaseLayers takes candidates base first (it removes from the end).
	parent := map[digest.Digest]digest.Digest{}
	for _, l := range all {
		parent[l.ChainID] = l.Parent
	}
	depth := func(c digest.Digest) int {
		n := 0
		for ; c != "" && n <= len(all); c = parent[c] {
			n++
		}
		return n
	}
	var layers []digest.Digest
	for _, l := range all {
		layers = append(layers, l.ChainID)
	}
	slices.SortStableFunc(layers, func(a, b digest.Digest) int { return depth(a) - depth(b) })
	_, size, err := s.releaseLayers(layers)
	if err != nil {
		return size, err
	}
	var blobs []digest.Digest
	if err := s.content.Walk(func(d digest.Digest, _ int64) error {
		blobs = append(blobs, d)
		return ctx.Err()
	}); err != nil {
		return size, err
	}
	n, err := s.releaseBlobs(blobs)
	return size + n, err
}

// Prune deletes dangling images (all=false) or every image no container uses
// (all=true); inUse as for Delete. Returns what was deleted and bytes reclaimed.
// Like Docker, a dangling image (no tag) that is the parent of another image
// is kept.
func (s *Store) Prune(ctx context.Context, all bool, inUse func(id digest.Digest) string) ([]DeleteResult, int64, error) {
	if inUse == nil {
		inUse = func(digest.Digest) string { return "" }
	}
	var res []DeleteResult
	var dels []*deleted
	s.mu.Lock()
	parents := map[digest.Digest]bool{}
	for _, m := range s.metas {
		parents[m.Parent] = true
	}
	var ids []digest.Digest
	for id := range s.configs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if ctx.Err() != nil {
			break
		}
		if inUse(id) != "" || (!all && (len(s.tagsOf(id)) > 0 || parents[id])) {
			continue
		}
		r, d, err := s.delete(id.String(), true, inUse)
		if err != nil {
			s.mu.Unlock()
			return res, 0, err
		}
		res = append(res, r...)
		if d != nil {
			dels = append(dels, d)
		}
	}
	s.mu.Unlock()
	var reclaimed int64
	for _, d := range dels {
		removed, n, err := s.release(d)
		reclaimed += n
		for _, c := range removed {
			res = append(res, DeleteResult{Deleted: c.String()})
		}
		if err != nil {
			return res, reclaimed, err
		}
	}
	return res, reclaimed, ctx.Err()
}
