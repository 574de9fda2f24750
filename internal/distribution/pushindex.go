package distribution

import (
	"context"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/image"
)

// An image pulled from a multi-platform index keeps that index (its repo
// digest names it). Pushing the tag pushes the whole index, unchanged,
// when every platform of it is here with its original blobs (each pulled
// with --platform); with only some platforms local it pushes the image's
// own manifest, as Docker's classic store does.

// indexPush is an index whose every child is local.
type indexPush struct {
	raw      []byte
	mt       types.MediaType
	children []indexChild
}

type indexChild struct {
	desc v1.Descriptor
	img  *image.Image
}

// localIndex returns the index img was pulled from if all its children
// can be pushed as they were pulled, else nil.
func (c *Client) localIndex(img *image.Image) *indexPush {
	if img.Manifest == "" {
		return nil
	}
	store := c.cfg.Images.Content()
	for _, rd := range img.RepoDigests {
		_, ds, ok := cutDigest(rd)
		if !ok || ds == img.Manifest {
			continue
		}
		raw, err := store.ReadAll(ds)
		if err != nil {
			continue
		}
		idx, err := v1.ParseIndexManifest(bytesReader(raw))
		if err != nil || len(idx.Manifests) == 0 {
			continue
		}
		mt := idx.MediaType
		if mt == "" {
			mt = types.OCIImageIndex
		}
		if !mt.IsIndex() || !names(idx, img.Manifest) {
			continue
		}
		p := &indexPush{raw: raw, mt: mt}
		for _, d := range idx.Manifests {
			child := c.localChild(d)
			if child == nil {
				return nil
			}
			p.children = append(p.children, indexChild{desc: d, img: child})
		}
		return p
	}
	return nil
}

func names(idx *v1.IndexManifest, d digest.Digest) bool {
	for _, m := range idx.Manifests {
		if m.Digest.String() == d.String() {
			return true
		}
	}
	return false
}

// localChild is the image of an index entry when its manifest, config
// and compressed layers are all stored.
func (c *Client) localChild(d v1.Descriptor) *image.Image {
	if !d.MediaType.IsImage() {
		return nil
	}
	store := c.cfg.Images.Content()
	raw, err := store.ReadAll(digest.Digest(d.Digest.String()))
	if err != nil || int64(len(raw)) != d.Size {
		return nil
	}
	m, err := v1.ParseManifest(bytesReader(raw))
	if err != nil {
		return nil
	}
	img, err := c.cfg.Images.Get(m.Config.Digest.String())
	if err != nil || img.Manifest.String() != d.Digest.String() {
		return nil
	}
	for _, l := range m.Layers {
		if size, err := store.Stat(digest.Digest(l.Digest.String())); err != nil || size != l.Size {
			return nil
		}
	}
	return img
}

// pushIndex uploads every child (blobs, then the manifest by digest) and
// returns the index to put under the tag.
func (c *Client) pushIndex(ctx context.Context, t *pushTarget, idx *indexPush) ([]byte, types.MediaType, error) {
	for _, ch := range idx.children {
		raw, mt, err := c.pushImage(ctx, t, ch.img)
		if err != nil {
			return nil, "", err
		}
		if digest.FromBytes(raw).String() != ch.desc.Digest.String() {
			return nil, "", errdefs.Invalid("platform manifest %s of the index changed while pushing", ch.desc.Digest)
		}
		if err := t.pusher.Put(ctx, t.repo.Digest(ch.desc.Digest.String()), rawManifest{raw, mt}); err != nil {
			return nil, "", err
		}
	}
	return idx.raw, idx.mt, nil
}

// cutDigest splits "name@sha256:..." .
func cutDigest(repoDigest string) (name string, d digest.Digest, ok bool) {
	for i := len(repoDigest) - 1; i >= 0; i-- {
		if repoDigest[i] == '@' {
			d = digest.Digest(repoDigest[i+1:])
			return repoDigest[:i], d, d.Validate() == nil
		}
	}
	return "", "", false
}
