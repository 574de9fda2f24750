package archive

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/image"
	"github.com/wharf/wharf/internal/layer"
)

func load(ctx context.Context, s *image.Store, r io.Reader, report func(string)) error {
	// Blobs and layers written before Register belong to no image yet.
	release := s.Lease()
	defer release()

	b, err := spool(ctx, s.Content(), r)
	if err != nil {
		return err
	}
	imgs, err := b.images()
	if err != nil {
		return err
	}
	// Check every name before changing anything.
	for _, img := range imgs {
		for _, t := range img.tags {
			if _, err := reference.ParseNormalizedNamed(t); err != nil {
				return errdefs.Invalid("archive: image %s: invalid tag %q: %v", img.id, t, err)
			}
		}
	}
	for _, img := range imgs {
		if err := applyLayers(ctx, s.Layers(), b, img); err != nil {
			return err
		}
	}
	for _, img := range imgs {
		if err := register(ctx, s, img, report); err != nil {
			return err
		}
	}
	b.dropUnused(imgs)
	return nil
}

// applyLayers unpacks an image's layers in order, skipping the ones whose
// chain ID is present, and checks each against the config's diff IDs.
func applyLayers(ctx context.Context, ls *layer.Store, b *bundle, img *loadImage) error {
	var parent digest.Digest
	for i, diffID := range img.diffIDs {
		chain := layer.ChainID(parent, diffID)
		if _, err := ls.Get(chain); err == nil {
			parent = chain
			continue
		} else if !errors.Is(err, errdefs.ErrNotFound) {
			return err
		}
		l, err := applyOne(ctx, ls, b, parent, img.layers[i])
		if err != nil {
			return fmt.Errorf("archive entry %q: %w", img.entries[i], err)
		}
		if l.DiffID != diffID {
			return errdefs.Invalid("archive entry %q: layer content has diff ID %s, image config %s expects %s",
				img.entries[i], l.DiffID, img.id, diffID)
		}
		parent = chain
	}
	return nil
}

// applyOne unpacks one layer blob.
func applyOne(ctx context.Context, ls *layer.Store, b *bundle, parent digest.Digest, f blob) (layer.Layer, error) {
	rc, err := b.cs.Open(f.digest)
	if err != nil {
		return layer.Layer{}, err
	}
	defer rc.Close()
	in, closeFn, err := decompress(bufio.NewReaderSize(rc, 256<<10))
	if err != nil {
		return layer.Layer{}, errdefs.Invalid("decompressing layer: %v", err)
	}
	defer closeFn()
	return ls.Apply(parent, ctxReader{ctx, in})
}

func register(ctx context.Context, s *image.Store, img *loadImage, report func(string)) error {
	opts := image.RegisterOptions{Manifest: img.manifest, Index: img.index}
	if len(img.tags) == 0 {
		if _, err := s.Register(ctx, img.config, opts); err != nil {
			return err
		}
		report("Loaded image ID: " + img.id.String())
		return nil
	}
	for _, t := range img.tags {
		named, _ := reference.ParseNormalizedNamed(t)
		name := reference.FamiliarString(reference.TagNameOnly(named))
		if old, err := s.Get(name); err == nil && old.ID != img.id {
			report(fmt.Sprintf("The image %s already exists, renaming the old one with ID %s to empty string", name, old.ID))
		}
		opts.Ref = name
		if _, err := s.Register(ctx, img.config, opts); err != nil {
			return err
		}
		report("Loaded image: " + name)
	}
	return nil
}

// dropUnused deletes the layer blobs this load added that no registered
// manifest refers to (docker-archive layers): the layer store has them now,
// and its DiffTar gives back their exact bytes (tar-split metadata).
func (b *bundle) dropUnused(imgs []*loadImage) {
	keep := map[digest.Digest]bool{}
	for _, img := range imgs {
		if img.manifest != nil {
			for _, l := range img.layers {
				keep[l.digest] = true
			}
		}
	}
	for _, img := range imgs {
		for _, l := range img.layers {
			if l.fresh && !keep[l.digest] {
				b.cs.Delete(l.digest) // best effort: GC removes it otherwise
				keep[l.digest] = true
			}
		}
	}
}
