package archive

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/opencontainers/go-digest"
	imgspec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/image"
)

// diffTar is the layer store's DiffTar; tests may stand in for it.
var diffTar = func(s *image.Store, chain digest.Digest) (io.ReadCloser, error) {
	return s.Layers().DiffTar(chain)
}

// layer writes layer i of img once per archive. The tar header needs the
// size first, so the layer's diff tar is generated twice (counting, then
// writing) instead of being spooled to a temp file. The layer store gives
// back the exact tar a layer was applied from; only a layer applied before
// it kept tar-split metadata may not reproduce its diff ID: it is written
// as the compressed blob its manifest names, when the store has it.
func (sv *saver) layer(img *image.Image, i int, chain, diffID digest.Digest, mtime time.Time) (imgspec.Descriptor, error) {
	if d, ok := sv.layers[chain]; ok {
		return d, nil
	}
	d, err := sv.writeLayer(img, i, chain, diffID, mtime)
	if err == nil {
		sv.layers[chain] = d
	}
	return d, err
}

func (sv *saver) writeLayer(img *image.Image, i int, chain, diffID digest.Digest, mtime time.Time) (imgspec.Descriptor, error) {
	desc := imgspec.Descriptor{MediaType: imgspec.MediaTypeImageLayer, Digest: diffID}
	n, d, err := sv.measure(chain)
	if err != nil {
		return desc, err
	}
	desc.Size = n
	if d != diffID {
		alt, err := sv.storedLayer(img, i)
		if err != nil {
			return desc, errdefs.Unavailable("image %s: layer %s cannot be saved: its files give %s as a tar (a layer applied without tar-split metadata), and no compressed blob of it is stored (%v)",
				img.ID, diffID, d, err)
		}
		return alt, sv.copyBlob(alt, mtime)
	}
	if sv.written[diffID] {
		return desc, nil
	}
	sv.written[diffID] = true
	rc, err := diffTar(sv.s, chain)
	if err != nil {
		return desc, err
	}
	defer rc.Close()
	if err := sv.tw.WriteHeader(regHeader(blobPath(diffID), n, mtime)); err != nil {
		return desc, err
	}
	h := digest.SHA256.Digester()
	if _, err := io.CopyN(io.MultiWriter(sv.tw, h.Hash()), ctxReader{sv.ctx, rc}, n); err != nil {
		return desc, fmt.Errorf("layer %s: %w", diffID, err)
	}
	if h.Digest() != diffID {
		return desc, errdefs.Unavailable("layer %s changed while it was being saved", diffID)
	}
	return desc, nil
}

// measure returns the size and digest of a layer's diff tar.
func (sv *saver) measure(chain digest.Digest) (int64, digest.Digest, error) {
	rc, err := diffTar(sv.s, chain)
	if err != nil {
		return 0, "", err
	}
	defer rc.Close()
	h := digest.SHA256.Digester()
	n, err := io.Copy(h.Hash(), ctxReader{sv.ctx, rc})
	if err != nil {
		return 0, "", fmt.Errorf("layer %s: %w", chain, err)
	}
	return n, h.Digest(), nil
}

// storedLayer is the descriptor of layer i in the image's stored manifest,
// its blob present in the content store.
func (sv *saver) storedLayer(img *image.Image, i int) (imgspec.Descriptor, error) {
	cs := sv.s.Content()
	if img.Manifest == "" || cs == nil {
		return imgspec.Descriptor{}, errdefs.NotFound("no manifest stored")
	}
	b, err := cs.ReadAll(img.Manifest)
	if err != nil {
		return imgspec.Descriptor{}, err
	}
	var m ociManifest
	if err := json.Unmarshal(b, &m); err != nil {
		return imgspec.Descriptor{}, err
	}
	if i >= len(m.Layers) {
		return imgspec.Descriptor{}, errdefs.NotFound("manifest %s has no layer %d", img.Manifest, i)
	}
	d := m.Layers[i]
	if n, err := cs.Stat(d.Digest); err != nil || n != d.Size {
		return imgspec.Descriptor{}, errdefs.NotFound("blob %s not stored", d.Digest)
	}
	if d.MediaType == dockerLayer {
		d.MediaType = imgspec.MediaTypeImageLayerGzip
	}
	return imgspec.Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size}, nil
}

func (sv *saver) copyBlob(d imgspec.Descriptor, mtime time.Time) error {
	if sv.written[d.Digest] {
		return nil
	}
	sv.written[d.Digest] = true
	f, err := sv.s.Content().Open(d.Digest)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := sv.tw.WriteHeader(regHeader(blobPath(d.Digest), d.Size, mtime)); err != nil {
		return err
	}
	_, err = io.CopyN(sv.tw, ctxReader{sv.ctx, f}, d.Size)
	return err
}
