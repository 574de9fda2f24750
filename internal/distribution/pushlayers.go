package distribution

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/distribution/reference"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"
	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/image"
	"github.com/wharf/wharf/internal/layer"
)

// pushLayer is one layer of a push.
type pushLayer struct {
	chainID digest.Digest
	diffID  digest.Digest // from the config
	desc    v1.Descriptor // compressed blob; empty until known
	pulled  bool          // desc came from the manifest the image was pulled with
	newDiff digest.Digest // diff ID of a blob made here, when it differs
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

func (c *Client) planPush(ctx context.Context, t *pushTarget, img *image.Image) (*pushPlan, error) {
	cfg, err := c.configBytes(img)
	if err != nil {
		return nil, err
	}
	var ic imageConfig
	if err := json.Unmarshal(cfg, &ic); err != nil {
		return nil, errdefs.Invalid("image %s: invalid config: %v", img.ID, err)
	}
	plan := &pushPlan{img: img, config: cfg}
	m, raw := c.storedManifest(img)
	if m != nil && len(m.Layers) != len(ic.RootFS.DiffIDs) {
		m, raw = nil, nil
	}
	if m != nil {
		plan.oci = m.MediaType == types.OCIManifestSchema1
		plan.reused = raw
	}
	chain := digest.Digest("")
	for i, diffID := range ic.RootFS.DiffIDs {
		chain = layer.ChainID(chain, diffID)
		pl := &pushLayer{chainID: chain, diffID: diffID}
		if m != nil {
			pl.desc, pl.pulled = m.Layers[i], true
		}
		plan.layers = append(plan.layers, pl)
	}
	return plan, nil
}

// uploadLayers pushes up to jobs() layers at a time; afterwards the plan's
// manifest and config describe what was sent.
func (c *Client) uploadLayers(ctx context.Context, t *pushTarget, plan *pushPlan) error {
	mountFrom := c.mountSource(t, plan.img)
	sem := make(chan struct{}, c.jobs())
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for _, l := range plan.layers {
		if l.desc.Size > 0 {
			t.rep.status(shortID(digest.Digest(l.desc.Digest.String())), "Preparing")
		}
	}
	for _, l := range plan.layers {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			changed, err := c.uploadLayer(ctx, t, l, mountFrom)
			mu.Lock()
			defer mu.Unlock()
			if changed {
				plan.reused = nil
			}
			if err != nil && first == nil {
				first = err
			}
		})
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return plan.fixDiffIDs()
}

// fixDiffIDs rewrites the config when a layer had to be rebuilt from the
// layer store and its tar does not hash to the recorded diff ID (an
// imported tar in another entry order): same files, new image config.
func (p *pushPlan) fixDiffIDs() error {
	changed := false
	for _, l := range p.layers {
		changed = changed || l.newDiff != ""
	}
	if !changed {
		return nil
	}
	var cfg map[string]json.RawMessage
	if err := json.Unmarshal(p.config, &cfg); err != nil {
		return err
	}
	var rootfs map[string]any
	if err := json.Unmarshal(cfg["rootfs"], &rootfs); err != nil {
		return err
	}
	var ids []string
	for _, l := range p.layers {
		d := l.diffID
		if l.newDiff != "" {
			d = l.newDiff
		}
		ids = append(ids, d.String())
	}
	rootfs["diff_ids"] = ids
	b, err := json.Marshal(rootfs)
	if err != nil {
		return err
	}
	cfg["rootfs"] = b
	if p.config, err = json.Marshal(cfg); err != nil {
		return err
	}
	p.reused = nil
	return nil
}

// uploadLayer sends one layer; changed says its blob is not the one of the
// stored manifest.
func (c *Client) uploadLayer(ctx context.Context, t *pushTarget, l *pushLayer, mountFrom reference.Named) (changed bool, err error) {
	store := c.cfg.Images.Content()
	if l.desc.Size > 0 {
		id := shortID(digest.Digest(l.desc.Digest.String()))
		if ok, err := t.exists(ctx, l.desc.Digest); err != nil {
			return false, err
		} else if ok {
			t.rep.status(id, "Layer already exists")
			return false, nil
		}
		if size, err := store.Stat(digest.Digest(l.desc.Digest.String())); err != nil || size != l.desc.Size {
			l.desc, l.pulled, changed = v1.Descriptor{}, false, true
		}
	}
	if l.desc.Size == 0 {
		if err := c.compress(l); err != nil {
			return true, err
		}
		if ok, err := t.exists(ctx, l.desc.Digest); err != nil {
			return true, err
		} else if ok {
			t.rep.status(shortID(digest.Digest(l.desc.Digest.String())), "Layer already exists")
			return true, nil
		}
	}
	d := digest.Digest(l.desc.Digest.String())
	bl := &blobLayer{desc: l.desc, diffID: l.diffID, rep: t.rep, open: func() (io.ReadCloser, error) { return store.Open(d) }}
	var up v1.Layer = bl
	if mountFrom != nil && l.pulled {
		from, err := c.repository(reference.Domain(mountFrom), reference.Path(mountFrom), false)
		if err == nil {
			up = &remote.MountableLayer{Layer: bl, Reference: from.Digest(d.String())}
		}
	}
	if err := t.pusher.Upload(ctx, t.repo, up); err != nil {
		return changed, err
	}
	if !bl.opened.Load() && mountFrom != nil {
		t.rep.status(shortID(d), "Mounted from "+reference.Path(mountFrom))
	} else {
		t.rep.status(shortID(d), "Pushed")
	}
	return changed, nil
}

// compress makes a gzip blob of a layer from the layer store.
func (c *Client) compress(l *pushLayer) error {
	rc, err := c.cfg.Images.Layers().DiffTar(l.chainID)
	if err != nil {
		return err
	}
	defer rc.Close()
	w, err := c.cfg.Images.Content().Writer("", -1)
	if err != nil {
		return err
	}
	defer w.Close()
	zw, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return err
	}
	h := sha256.New()
	if _, err := io.Copy(zw, io.TeeReader(rc, h)); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	d, size, err := w.Commit()
	if err != nil {
		return err
	}
	l.desc = v1.Descriptor{MediaType: types.DockerLayer, Size: size, Digest: v1.Hash{Algorithm: "sha256", Hex: d.Encoded()}}
	if diff := digest.NewDigestFromBytes(digest.SHA256, h.Sum(nil)); diff != l.diffID {
		l.newDiff = diff
	}
	return nil
}

// mountSource is another repository of the same registry the image was
// pulled from or pushed to, whose blobs the registry can mount.
func (c *Client) mountSource(t *pushTarget, img *image.Image) reference.Named {
	for _, rd := range img.RepoDigests {
		n, err := reference.ParseNormalizedNamed(rd)
		if err != nil {
			continue
		}
		if reference.Domain(n) == reference.Domain(t.named) && n.Name() != t.named.Name() {
			return reference.TrimNamed(n)
		}
	}
	return nil
}

func (t *pushTarget) exists(ctx context.Context, h v1.Hash) (bool, error) {
	l, err := t.puller.Layer(ctx, t.repo.Digest(h.String()))
	if err != nil {
		return false, err
	}
	ok, err := l.(*remote.MountableLayer).Exists()
	if err != nil {
		return false, err
	}
	return ok, nil
}

// blobLayer is a stored blob as the v1.Layer ggcr uploads; it notes
// whether its bytes were read (uploaded, not mounted) and reports progress.
type blobLayer struct {
	desc   v1.Descriptor
	diffID digest.Digest
	open   func() (io.ReadCloser, error)
	opened atomic.Bool
	rep    *reporter
}

func (b *blobLayer) Digest() (v1.Hash, error)            { return b.desc.Digest, nil }
func (b *blobLayer) Size() (int64, error)                { return b.desc.Size, nil }
func (b *blobLayer) MediaType() (types.MediaType, error) { return b.desc.MediaType, nil }
func (b *blobLayer) DiffID() (v1.Hash, error)            { return v1.NewHash(b.diffID.String()) }
func (b *blobLayer) Uncompressed() (io.ReadCloser, error) {
	return nil, errors.New("distribution: uncompressed layer not available")
}

func (b *blobLayer) Compressed() (io.ReadCloser, error) {
	b.opened.Store(true)
	rc, err := b.open()
	if err != nil || b.rep == nil {
		return rc, err
	}
	id := shortID(digest.Digest(b.desc.Digest.String()))
	return readCloser{&counter{r: rc, rep: b.rep, id: id, status: "Pushing", total: b.desc.Size}, rc}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

func staticBlob(b []byte, mt types.MediaType) v1.Layer {
	h, size, _ := v1.SHA256(bytes.NewReader(b))
	return &blobLayer{
		desc:   v1.Descriptor{MediaType: mt, Size: size, Digest: h},
		diffID: digest.Digest(h.String()),
		open:   func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil },
	}
}

// rawManifest is a manifest ggcr puts as is.
type rawManifest struct {
	raw []byte
	mt  types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.raw, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mt, nil }
