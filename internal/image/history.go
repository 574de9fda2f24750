package image

import (
	imgspec "github.com/opencontainers/image-spec/specs-go/v1"
)

// HistoryItem is one line of `docker history`.
type HistoryItem struct {
	ID        string // image ID for the top entry of each image, "<missing>" otherwise
	Created   int64  // unix seconds
	CreatedBy string
	Tags      []string
	Size      int64
	Comment   string
}

// History lists ref's history, newest first, like `docker history`: each
// config history entry, sized by the layer it made (0 for empty_layer);
// the entry at the top of the image, and of each parent image a commit was
// made from, carries that image's ID and tags.
func (s *Store) History(ref string) ([]HistoryItem, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, err := s.resolve(ref)
	if err != nil {
		return nil, err
	}
	img := s.image(id)
	cfg := s.configs[id]
	hist := cfg.History
	if len(hist) == 0 {
		// No history (some imported images): one entry per layer.
		for range cfg.RootFS.DiffIDs {
			hist = append(hist, imgspec.History{Created: cfg.Created})
		}
	}
	chain := chainIDs(cfg.RootFS.DiffIDs)
	items := make([]HistoryItem, 0, len(hist))
	layerN := 0
	for _, h := range hist {
		it := HistoryItem{ID: "<missing>", CreatedBy: h.CreatedBy, Comment: h.Comment, Tags: []string{}}
		if h.Created != nil {
			it.Created = h.Created.Unix()
		}
		if !h.EmptyLayer && layerN < len(chain) {
			if l, err := s.layers.Get(chain[layerN]); err == nil {
				it.Size = l.Size
			}
			layerN++
		}
		items = append(items, it)
	}
	// Name the entries that are the tops of this image and its parents.
	for cur := img; cur != nil; {
		n := len(s.configs[cur.ID].History)
		if cur.ID == id {
			n = len(items)
		}
		if n > 0 && n <= len(items) {
			items[n-1].ID = cur.ID.String()
			items[n-1].Tags = cur.RepoTags
		}
		p := s.metas[cur.ID].Parent
		if _, ok := s.configs[p]; p == "" || !ok {
			break
		}
		cur = s.image(p)
	}
	for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
		items[i], items[j] = items[j], items[i]
	}
	return items, nil
}
