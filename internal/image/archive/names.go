package archive

import (
	"github.com/distribution/reference"

	"github.com/wharf/wharf/internal/image"
)

// resolveRefs finds the images to save, in the order given, like Docker: a
// bare repository name ("busybox") saves every tag of it, a tag saves that
// tag, an ID saves the image without tags.
func resolveRefs(s *image.Store, refs []string) ([]*saveImage, error) {
	var out []*saveImage
	add := func(img *image.Image, tag reference.NamedTagged) {
		for _, o := range out {
			if o.img.ID == img.ID {
				if tag != nil && !hasTag(o.tags, tag) {
					o.tags = append(o.tags, tag)
				}
				return
			}
		}
		si := &saveImage{img: img}
		if tag != nil {
			si.tags = []reference.NamedTagged{tag}
		}
		out = append(out, si)
	}
	for _, ref := range refs {
		named, err := reference.ParseNormalizedNamed(ref)
		if err == nil && reference.IsNameOnly(named) {
			found, err := repoTags(s, named)
			if err != nil {
				return nil, err
			}
			for _, f := range found {
				add(f.img, f.tags[0])
			}
			if len(found) > 0 {
				continue
			}
		}
		img, err := s.Get(ref)
		if err != nil {
			return nil, err
		}
		var tag reference.NamedTagged
		if named != nil {
			if t, ok := reference.TagNameOnly(named).(reference.NamedTagged); ok && hasFamiliar(img.RepoTags, t) {
				tag = t
			}
		}
		add(img, tag)
	}
	return out, nil
}

// repoTags lists every tag of repository named, one saveImage per tag.
func repoTags(s *image.Store, named reference.Named) ([]*saveImage, error) {
	imgs, err := s.List()
	if err != nil {
		return nil, err
	}
	var out []*saveImage
	for _, img := range imgs {
		for _, rt := range img.RepoTags {
			t, err := reference.ParseNormalizedNamed(rt)
			if err != nil || t.Name() != named.Name() {
				continue
			}
			if nt, ok := t.(reference.NamedTagged); ok {
				out = append(out, &saveImage{img: img, tags: []reference.NamedTagged{nt}})
			}
		}
	}
	return out, nil
}

func hasTag(tags []reference.NamedTagged, t reference.NamedTagged) bool {
	for _, o := range tags {
		if o.String() == t.String() {
			return true
		}
	}
	return false
}

func hasFamiliar(repoTags []string, t reference.NamedTagged) bool {
	for _, rt := range repoTags {
		if rt == reference.FamiliarString(t) {
			return true
		}
	}
	return false
}
