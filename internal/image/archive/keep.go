package archive

import (
	"bufio"
	"context"
	"encoding/json"
	"io"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	imgspec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/wharf/wharf/internal/layer"
)

// keepIfNeeded decides the fate of a docker-archive image's layer blobs.
// The layer store rebuilds a layer's tar from its files in its own order,
// which gives back the diff ID only for tars written in that order; for any
// other layer the archive's blob is the only way to save the image again
// with the same ID. Then all its layer blobs are kept, under a manifest
// made for it, so that Save and GC find them; otherwise they are dropped.
func (b *bundle) keepIfNeeded(ctx context.Context, ls *layer.Store, img *loadImage) error {
	if img.manifest != nil {
		return nil
	}
	need := false
	var chain digest.Digest
	for i, d := range img.diffIDs {
		chain = layer.ChainID(chain, d)
		if !img.layers[i].fresh {
			continue
		}
		ok, err := reproducible(ctx, ls, chain, d)
		if err != nil {
			return err
		}
		if !ok {
			need = true
			break
		}
	}
	if !need {
		return nil
	}
	m := imgspec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: imgspec.MediaTypeImageManifest,
		Config: imgspec.Descriptor{MediaType: imgspec.MediaTypeImageConfig, Digest: img.id, Size: int64(len(img.config))}}
	for i, l := range img.layers {
		mt := img.types[i]
		if mt == "" {
			var err error
			if mt, err = b.sniff(l.digest); err != nil {
				return err
			}
		}
		m.Layers = append(m.Layers, imgspec.Descriptor{MediaType: mt, Digest: l.digest, Size: l.size})
	}
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	img.manifest = data
	return nil
}

// reproducible reports whether the layer store's diff tar of chain has the
// layer's diff ID.
func reproducible(ctx context.Context, ls *layer.Store, chain, diffID digest.Digest) (bool, error) {
	rc, err := ls.DiffTar(chain)
	if err != nil {
		return false, err
	}
	defer rc.Close()
	h := digest.SHA256.Digester()
	if _, err := io.Copy(h.Hash(), ctxReader{ctx, rc}); err != nil {
		return false, err
	}
	return h.Digest() == diffID, nil
}

func (b *bundle) sniff(d digest.Digest) (string, error) {
	f, err := b.cs.Open(d)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return mediaType(bufio.NewReader(f)), nil
}
