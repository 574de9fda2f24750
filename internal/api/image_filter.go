package api

import (
	"time"

	"github.com/wharf/wharf/internal/image"
)

var imageFilterKeys = map[string]bool{"dangling": true, "label": true, "reference": true, "before": true, "since": true}

// imageFilter compiles GET /images/json filters: dangling, label, reference
// (globs), before and since (an image reference: created earlier or later).
func (s *Server) imageFilter(filters map[string][]string) (func(img *image.Image, tags []string) bool, error) {
	for k, vs := range filters {
		if !imageFilterKeys[k] {
			return nil, invalidf("invalid filter '%s'", k)
		}
		if k == "dangling" {
			for _, v := range vs {
				if v != "true" && v != "false" && v != "1" && v != "0" {
					return nil, invalidf("invalid filter 'dangling=%s'", v)
				}
			}
		}
	}
	// before/since: the strictest bound of several values wins.
	var before, since time.Time
	for _, ref := range filters["before"] {
		img, err := s.cfg.Images.Get(ref)
		if err != nil {
			return nil, err
		}
		if before.IsZero() || img.Created.Before(before) {
			before = img.Created
		}
	}
	for _, ref := range filters["since"] {
		img, err := s.cfg.Images.Get(ref)
		if err != nil {
			return nil, err
		}
		if img.Created.After(since) {
			since = img.Created
		}
	}
	return func(img *image.Image, tags []string) bool {
		if !before.IsZero() && !img.Created.Before(before) {
			return false
		}
		if !since.IsZero() && !img.Created.After(since) {
			return false
		}
		return matchImage(img, tags, filters)
	}, nil
}

// repoDigests is an image's RepoDigests in familiar form, never nil.
func repoDigests(img *image.Image) []string {
	out := familiar(img.RepoDigests)
	if out == nil {
		out = []string{}
	}
	return out
}
