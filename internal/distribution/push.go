package distribution

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/moby/moby/api/types/registry"
	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/image"
)

// pushTarget is the repository a push goes to, with its clients.
type pushTarget struct {
	named  reference.Named
	repo   name.Repository
	pusher *remote.Pusher
	puller *remote.Puller // for blob existence checks
	authed bool
	rep    *reporter
}

func (c *Client) push(ctx context.Context, ref string, auth registry.AuthConfig, p Progress) error {
	named, err := parseRef(ref, true)
	if err != nil {
		return err
	}
	if _, ok := named.(reference.Digested); ok {
		return errdefs.Invalid("cannot push a digest reference: %s", ref)
	}
	tags, err := c.localTags(named)
	if err != nil {
		return err
	}
	repo, err := c.repository(reference.Domain(named), reference.Path(named), false)
	if err != nil {
		return err
	}
	opts := c.remoteOptions(repo, auth)
	pusher, err := remote.NewPusher(opts...)
	if err != nil {
		return err
	}
	puller, err := remote.NewPuller(opts...)
	if err != nil {
		return err
	}
	t := &pushTarget{named: named, repo: repo, pusher: pusher, puller: puller, authed: hasSecret(auth), rep: &reporter{p: p}}
	t.rep.status("", "The push refers to repository ["+reference.TrimNamed(named).String()+"]")
	for _, tag := range tags {
		if err := c.pushTag(ctx, t, tag); err != nil {
			return registryError(err, tag, t.authed)
		}
	}
	return nil
}

// localTags: the tag asked for, or every local tag of the repository.
func (c *Client) localTags(named reference.Named) ([]reference.NamedTagged, error) {
	if t, ok := named.(reference.NamedTagged); ok {
		if _, err := c.cfg.Images.Get(t.String()); err != nil {
			return nil, errdefs.NotFound("An image does not exist locally with the tag: %s", reference.FamiliarString(t))
		}
		return []reference.NamedTagged{t}, nil
	}
	imgs, err := c.cfg.Images.List()
	if err != nil {
		return nil, err
	}
	var tags []reference.NamedTagged
	for _, img := range imgs {
		for _, rt := range img.RepoTags {
			n, err := reference.ParseNormalizedNamed(rt)
			if err != nil {
				continue
			}
			if t, ok := n.(reference.NamedTagged); ok && n.Name() == named.Name() {
				tags = append(tags, t)
			}
		}
	}
	if len(tags) == 0 {
		return nil, errdefs.NotFound("An image does not exist locally with the tag: %s", reference.FamiliarName(named))
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].Tag() < tags[j].Tag() })
	return tags, nil
}

func (c *Client) pushTag(ctx context.Context, t *pushTarget, tag reference.NamedTagged) error {
	img, err := c.cfg.Images.Get(tag.String())
	if err != nil {
		return err
	}
	release := c.cfg.Images.Lease()
	defer release()
	var raw []byte
	var mt types.MediaType
	if idx := c.localIndex(img); idx != nil {
		raw, mt, err = c.pushIndex(ctx, t, idx)
	} else {
		raw, mt, err = c.pushImage(ctx, t, img)
	}
	if err != nil {
		return err
	}
	if err := t.pusher.Put(ctx, t.repo.Tag(tag.Tag()), rawManifest{raw, mt}); err != nil {
		return err
	}
	d := digest.FromBytes(raw)
	t.rep.status("", fmt.Sprintf("%s: digest: %s size: %d", tag.Tag(), d, len(raw)))
	return c.cfg.Images.AddRepoDigest(img.ID, reference.TrimNamed(tag).String()+"@"+d.String(), raw)
}

// pushImage uploads an image's layers and config; it returns the manifest
// to put.
func (c *Client) pushImage(ctx context.Context, t *pushTarget, img *image.Image) ([]byte, types.MediaType, error) {
	plan, err := c.planPush(ctx, t, img)
	if err != nil {
		return nil, "", err
	}
	if err := c.uploadLayers(ctx, t, plan); err != nil {
		return nil, "", err
	}
	cfg := staticBlob(plan.config, plan.configType())
	if err := t.pusher.Upload(ctx, t.repo, cfg); err != nil {
		return nil, "", err
	}
	return plan.manifest()
}

// pushPlan is what an image push sends: its config and, per layer, a
// compressed blob (from a pull, or made from the layer store).
type pushPlan struct {
	img    *image.Image
	config []byte
	oci    bool // keep an OCI manifest OCI; Docker schema 2 otherwise
	layers []*pushLayer
	reused []byte // the stored manifest, when every blob is unchanged
}

func (p *pushPlan) configType() types.MediaType {
	if p.oci {
		return types.OCIConfigJSON
	}
	return types.DockerConfigJSON
}

// manifest is the stored one when nothing changed, else a new one.
func (p *pushPlan) manifest() ([]byte, types.MediaType, error) {
	if p.reused != nil {
		mt := types.DockerManifestSchema2
		if p.oci {
			mt = types.OCIManifestSchema1
		}
		return p.reused, mt, nil
	}
	m := v1.Manifest{SchemaVersion: 2, MediaType: types.DockerManifestSchema2}
	if p.oci {
		m.MediaType = types.OCIManifestSchema1
	}
	h, size, err := v1.SHA256(bytesReader(p.config))
	if err != nil {
		return nil, "", err
	}
	m.Config = v1.Descriptor{MediaType: p.configType(), Size: size, Digest: h}
	for _, l := range p.layers {
		m.Layers = append(m.Layers, l.desc)
	}
	b, err := json.Marshal(m)
	return b, m.MediaType, err
}

// storedManifest reads the manifest an image was pulled with, if its
// config is the image's.
func (c *Client) storedManifest(img *image.Image) (*v1.Manifest, []byte) {
	if img.Manifest == "" {
		return nil, nil
	}
	raw, err := c.cfg.Images.Content().ReadAll(img.Manifest)
	if err != nil {
		return nil, nil
	}
	m, err := v1.ParseManifest(bytesReader(raw))
	if err != nil || m.Config.Digest.String() != img.ID.String() {
		return nil, nil
	}
	return m, raw
}

// configBytes returns the exact config bytes hashed into the image ID.
func (c *Client) configBytes(img *image.Image) ([]byte, error) {
	if b, err := c.cfg.Images.Content().ReadAll(img.ID); err == nil {
		return b, nil
	}
	b, err := json.Marshal(img.Config)
	if err != nil {
		return nil, err
	}
	return b, nil
}
