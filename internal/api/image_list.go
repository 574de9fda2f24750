package api

import (
	"net/http"
	"path"
	"sort"
	"strings"

	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/storage"

	"github.com/wharf/wharf/internal/image"
)

func graphDriver() *storage.DriverData {
	return &storage.DriverData{Name: "overlay2", Data: map[string]string{}}
}

// summaryCompat adds VirtualSize, which clients before API 1.44 read.
type summaryCompat struct {
	imagetypes.Summary
	VirtualSize *int64 `json:",omitempty"`
}

func (s *Server) imageList(w http.ResponseWriter, r *http.Request) error {
	filters, err := decodeFilters(r.URL.Query().Get("filters"))
	if err != nil {
		return err
	}
	match, err := s.imageFilter(filters)
	if err != nil {
		return err
	}
	imgs, err := s.cfg.Images.List()
	if err != nil {
		return err
	}
	sort.Slice(imgs, func(i, j int) bool { return imgs[i].Created.After(imgs[j].Created) })
	version := versionFrom(r.Context())
	out := []summaryCompat{}
	for _, img := range imgs {
		tags := familiar(img.RepoTags)
		if !match(img, tags) {
			continue
		}
		sum := imagetypes.Summary{
			ID:          img.ID.String(),
			RepoTags:    tags,
			RepoDigests: repoDigests(img),
			Created:     img.Created.Unix(),
			Size:        img.Size,
			Labels:      img.Config.Config.Labels,
			Containers:  -1,
		}
		// Before 1.43 an untagged image was listed as <none>:<none>.
		if compareVersions(version, "1.43") < 0 && len(tags) == 0 {
			sum.RepoTags = []string{"<none>:<none>"}
			if len(sum.RepoDigests) == 0 {
				sum.RepoDigests = []string{"<none>@<none>"}
			}
		}
		item := summaryCompat{Summary: sum}
		if compareVersions(version, "1.44") < 0 {
			item.VirtualSize = &sum.Size
		}
		out = append(out, item)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// matchImage applies the dangling, reference and label filters.
func matchImage(img *image.Image, tags []string, filters map[string][]string) bool {
	for _, v := range filters["dangling"] {
		if (v == "true" || v == "1") != (len(tags) == 0) {
			return false
		}
	}
	if pats := filters["reference"]; len(pats) > 0 && !matchAnyRef(tags, pats) {
		return false
	}
	for _, l := range filters["label"] {
		k, v, hasValue := strings.Cut(l, "=")
		got, ok := img.Config.Config.Labels[k]
		if !ok || (hasValue && got != v) {
			return false
		}
	}
	return true
}

func matchAnyRef(tags, patterns []string) bool {
	for _, t := range tags {
		repo := t
		if i := strings.LastIndexByte(t, ':'); i > strings.LastIndexByte(t, '/') {
			repo = t[:i]
		}
		for _, p := range patterns {
			if ok, _ := path.Match(p, t); ok {
				return true
			}
			if ok, _ := path.Match(p, repo); ok {
				return true
			}
		}
	}
	return false
}
