package api

import (
	"context"
	"net/http"

	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/image"
)

// Optional abilities of the image backend (*image.Store has them).
type (
	imageHistorian interface {
		History(ref string) ([]image.HistoryItem, error)
	}
	imagePruner interface {
		Prune(ctx context.Context, all bool, inUse func(id digest.Digest) string) ([]image.DeleteResult, int64, error)
	}
)

// imageHistory serves GET /images/{name}/history.
func (s *Server) imageHistory(w http.ResponseWriter, r *http.Request, name string) error {
	h, ok := s.cfg.Images.(imageHistorian)
	if !ok {
		return errdefs.NotImplemented("image history is not supported")
	}
	items, err := h.History(name)
	if err != nil {
		return err
	}
	out := make([]imagetypes.HistoryResponseItem, 0, len(items))
	for _, it := range items {
		tags := familiar(it.Tags)
		out = append(out, imagetypes.HistoryResponseItem{
			ID: it.ID, Created: it.Created, CreatedBy: it.CreatedBy, Tags: tags, Size: it.Size, Comment: it.Comment,
		})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// imagesPrune serves POST /images/prune?filters=: dangling images, or every
// unused one with dangling=false.
func (s *Server) imagesPrune(w http.ResponseWriter, r *http.Request) error {
	p, ok := s.cfg.Images.(imagePruner)
	if !ok {
		return errdefs.NotImplemented("image prune is not supported")
	}
	filters, err := decodeFilters(r.URL.Query().Get("filters"))
	if err != nil {
		return err
	}
	all := false
	for k, vs := range filters {
		if k != "dangling" {
			return invalidf("invalid filter '%s'", k)
		}
		for _, v := range vs {
			switch v {
			case "false", "0":
				all = true
			case "true", "1":
			default:
				return invalidf("invalid filter 'dangling=%s'", v)
			}
		}
	}
	deleted, reclaimed, err := p.Prune(r.Context(), all, s.inUse())
	if err != nil {
		return err
	}
	rep := imagetypes.PruneReport{ImagesDeleted: []imagetypes.DeleteResponse{}, SpaceReclaimed: uint64(max(reclaimed, 0))}
	for _, d := range deleted {
		rep.ImagesDeleted = append(rep.ImagesDeleted, imagetypes.DeleteResponse{Untagged: familiarOne(d.Untagged), Deleted: d.Deleted})
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// inUse asks the container backend which container uses an image.
func (s *Server) inUse() func(digest.Digest) string {
	if u, ok := s.cfg.Containers.(imageUser); ok {
		return u.InUse
	}
	return func(digest.Digest) string { return "" }
}
