package distribution

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/moby/moby/api/types/registry"
	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/image"
)

// pullRequest is one image to pull from one endpoint.
type pullRequest struct {
	named    reference.Named // normalized, with tag or digest
	platform v1.Platform
	explicit bool // the platform was asked for (--platform)
	authed   bool
	rep      *reporter
}

func (c *Client) pull(ctx context.Context, ref string, opts PullOptions, p Progress) (*image.Image, error) {
	named, err := parseRef(ref, opts.AllTags)
	if err != nil {
		return nil, err
	}
	plat, explicit, err := parsePlatform(opts.Platform)
	if err != nil {
		return nil, err
	}
	req := pullRequest{named: named, platform: plat, explicit: explicit, authed: hasSecret(opts.Auth), rep: &reporter{p: p}}
	if !opts.AllTags {
		return c.pullOne(ctx, req, opts)
	}
	if _, tagged := named.(reference.Tagged); tagged {
		return nil, errdefs.Invalid("tag can't be used with --all-tags/-a")
	}
	if _, digested := named.(reference.Digested); digested {
		return nil, errdefs.Invalid("digest can't be used with --all-tags/-a")
	}
	tags, err := c.listTags(ctx, named, opts.Auth)
	if err != nil {
		return nil, err
	}
	var img *image.Image
	for _, tag := range tags {
		req.named, _ = reference.WithTag(named, tag)
		if img, err = c.pullOne(ctx, req, opts); err != nil {
			return nil, err
		}
	}
	if img == nil {
		return nil, errdefs.NotFound("no tags found for %s", reference.FamiliarName(named))
	}
	return img, nil
}

func (c *Client) listTags(ctx context.Context, named reference.Named, auth registry.AuthConfig) ([]string, error) {
	eps, err := c.endpoints(named)
	if err != nil {
		return nil, err
	}
	var last error
	for _, ep := range eps {
		tags, err := remote.List(ep.repo, append(c.remoteOptions(ep.repo, auth), remote.WithContext(ctx))...)
		if err == nil {
			return tags, nil
		}
		last = registryError(err, named, hasSecret(auth))
	}
	return nil, last
}

// pullOne tries the mirrors (for docker.io) and then the registry itself.
func (c *Client) pullOne(ctx context.Context, req pullRequest, opts PullOptions) (*image.Image, error) {
	eps, err := c.endpoints(req.named)
	if err != nil {
		return nil, err
	}
	release := c.cfg.Images.Lease()
	defer release()
	var mirrors []string
	for i, ep := range eps {
		img, err := c.pullFrom(ctx, ep, req, opts.Auth)
		if err == nil || ctx.Err() != nil || i == len(eps)-1 {
			return img, withMirrors(err, mirrors)
		}
		mirrors = append(mirrors, fmt.Sprintf("mirror %s: %v", ep.repo.RegistryStr(), err))
	}
	return nil, errdefs.Invalid("no registry to pull %s from", reference.FamiliarString(req.named))
}

// withMirrors adds why the mirrors failed to the error of the registry
// itself, keeping its kind: with a mirror, an error names both.
func withMirrors(err error, mirrors []string) error {
	if err == nil || len(mirrors) == 0 {
		return err
	}
	msg := fmt.Sprintf("%v (after %s)", err, strings.Join(mirrors, "; "))
	for _, k := range []struct {
		kind error
		make func(string, ...any) error
	}{
		{errdefs.ErrNotFound, errdefs.NotFound},
		{errdefs.ErrForbidden, errdefs.Forbidden},
		{errdefs.ErrInvalid, errdefs.Invalid},
		{errdefs.ErrUnavailable, errdefs.Unavailable},
	} {
		if errors.Is(err, k.kind) {
			return k.make("%s", msg)
		}
	}
	return fmt.Errorf("%w (after %s)", err, strings.Join(mirrors, "; "))
}

func (c *Client) pullFrom(ctx context.Context, ep endpoint, req pullRequest, auth registry.AuthConfig) (*image.Image, error) {
	puller, err := remote.NewPuller(c.remoteOptions(ep.repo, auth)...)
	if err != nil {
		return nil, err
	}
	var ref name.Reference
	var label string
	if d, ok := req.named.(reference.Digested); ok {
		ref, label = ep.repo.Digest(d.Digest().String()), d.Digest().String()
	} else {
		tag := req.named.(reference.Tagged).Tag()
		ref, label = ep.repo.Tag(tag), tag
	}
	// The manifest (and so the registry's reachability and the auth) is
	// resolved before the first event: an unknown tag, a refused
	// credential or a dead host then reach the API before any output and
	// become a plain HTTP error, as with dockerd.
	m, err := c.resolveManifest(ctx, puller, ep.repo, ref, req)
	if err != nil {
		return nil, err
	}
	req.rep.status(label, "Pulling from "+reference.Path(req.named))
	cfg, err := readBlob(ctx, puller, ep.repo, m.manifest.Config)
	if err != nil {
		return nil, registryError(err, req.named, req.authed)
	}
	diffIDs, err := checkConfig(cfg, m.manifest, req)
	if err != nil {
		return nil, err
	}
	cfgDigest := digest.FromBytes(cfg)
	old, _ := c.cfg.Images.Get(reference.FamiliarString(req.named))
	if _, err := c.cfg.Images.Get(cfgDigest.String()); err != nil {
		if err := c.fetchLayers(ctx, puller, ep.repo, m.manifest.Layers, diffIDs, req); err != nil {
			return nil, err
		}
	}
	opts := image.RegisterOptions{
		Manifest:   m.raw,
		Index:      m.index,
		RepoDigest: req.named.Name() + "@" + m.top.String(),
	}
	if _, digested := req.named.(reference.Digested); !digested {
		opts.Ref = req.named.String()
	}
	img, err := c.cfg.Images.Register(ctx, cfg, opts)
	if err != nil {
		return nil, err
	}
	req.rep.status("", "Digest: "+m.top.String())
	if old != nil && old.ID == img.ID {
		req.rep.status("", "Status: Image is up to date for "+reference.FamiliarString(req.named))
	} else {
		req.rep.status("", "Status: Downloaded newer image for "+reference.FamiliarString(req.named))
	}
	return img, nil
}

// manifestInfo is the image manifest picked for this platform.
type manifestInfo struct {
	manifest *v1.Manifest
	raw      []byte
	digest   digest.Digest
	index    []byte // the raw index it was picked from, if any
	// top is what the reference names (the index when there is one):
	// Docker's repo digest and "Digest:" line.
	top digest.Digest
}

func (c *Client) resolveManifest(ctx context.Context, puller *remote.Puller, repo name.Repository, ref name.Reference, req pullRequest) (*manifestInfo, error) {
	desc, err := puller.Get(ctx, ref)
	if err != nil {
		return nil, registryError(err, req.named, req.authed)
	}
	info := &manifestInfo{raw: desc.Manifest, digest: digest.Digest(desc.Digest.String()), top: digest.Digest(desc.Digest.String())}
	if d, ok := req.named.(reference.Digested); ok && d.Digest() != digest.FromBytes(desc.Manifest) {
		return nil, errdefs.Invalid("manifest verification failed for digest %s", d.Digest())
	}
	switch {
	case desc.MediaType.IsIndex():
		child, err := pickPlatform(desc.Manifest, req.platform)
		if err != nil {
			return nil, err
		}
		cd, err := puller.Get(ctx, repo.Digest(child.Digest.String()))
		if err != nil {
			return nil, registryError(err, req.named, req.authed)
		}
		if int64(len(cd.Manifest)) != child.Size || digest.FromBytes(cd.Manifest).String() != child.Digest.String() {
			return nil, errdefs.Invalid("manifest %s does not match its descriptor in the index (size or digest)", child.Digest)
		}
		info.index, info.raw, info.digest = desc.Manifest, cd.Manifest, digest.Digest(child.Digest.String())
	case desc.MediaType.IsSchema1():
		return nil, errdefs.Invalid("%s: Docker image manifest schema 1 is not supported: re-push the image with a current client", reference.FamiliarString(req.named))
	case !desc.MediaType.IsImage():
		return nil, errdefs.Invalid("%s: unsupported manifest media type %q", reference.FamiliarString(req.named), desc.MediaType)
	}
	m, err := v1.ParseManifest(bytes.NewReader(info.raw))
	if err != nil {
		return nil, errdefs.Invalid("invalid manifest %s: %v", info.digest, err)
	}
	info.manifest = m
	return info, nil
}

// parsePlatform reads "os/arch[/variant]"; "" is linux/amd64.
func parsePlatform(s string) (v1.Platform, bool, error) {
	if s == "" {
		return v1.Platform{OS: "linux", Architecture: "amd64"}, false, nil
	}
	p, err := v1.ParsePlatform(s)
	if err != nil || p.OS == "" || p.Architecture == "" {
		return v1.Platform{}, false, errdefs.Invalid("%q is an invalid platform: expected os/arch[/variant]", s)
	}
	return *p, true, nil
}

func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

func pickPlatform(rawIndex []byte, want v1.Platform) (*v1.Descriptor, error) {
	idx, err := v1.ParseIndexManifest(bytes.NewReader(rawIndex))
	if err != nil {
		return nil, errdefs.Invalid("invalid manifest list: %v", err)
	}
	for i, m := range idx.Manifests {
		p := m.Platform
		if p == nil || p.OS != want.OS || p.Architecture != want.Architecture {
			continue
		}
		if want.Variant != "" && p.Variant != want.Variant && !(want.Variant == "v8" && p.Variant == "") {
			continue
		}
		return &idx.Manifests[i], nil
	}
	return nil, errdefs.NotFound("no matching manifest for %s in the manifest list entries", platformString(want))
}

// imageConfig is the part of an image config a pull checks.
type imageConfig struct {
	OS           string `json:"os"`
	Architecture string `json:"architecture"`
	Variant      string `json:"variant"`
	RootFS       struct {
		DiffIDs []digest.Digest `json:"diff_ids"`
	} `json:"rootfs"`
}

func checkConfig(cfg []byte, m *v1.Manifest, req pullRequest) ([]digest.Digest, error) {
	var ic imageConfig
	if err := json.Unmarshal(cfg, &ic); err != nil {
		return nil, errdefs.Invalid("invalid image config %s: %v", m.Config.Digest, err)
	}
	if len(ic.RootFS.DiffIDs) != len(m.Layers) {
		return nil, errdefs.Invalid("invalid image %s: %d layers in the manifest but %d diff IDs in the config", reference.FamiliarString(req.named), len(m.Layers), len(ic.RootFS.DiffIDs))
	}
	if req.explicit && (ic.OS != req.platform.OS || ic.Architecture != req.platform.Architecture) {
		actual := platformString(v1.Platform{OS: ic.OS, Architecture: ic.Architecture, Variant: ic.Variant})
		return nil, errdefs.NotFound("image with reference %s was found but does not match the specified platform: wanted %s, actual: %s", reference.FamiliarString(req.named), platformString(req.platform), actual)
	}
	return ic.RootFS.DiffIDs, nil
}

// readBlob fetches a small blob (a config), checking digest and size.
func readBlob(ctx context.Context, puller *remote.Puller, repo name.Repository, d v1.Descriptor) ([]byte, error) {
	l, err := puller.Layer(ctx, repo.Digest(d.Digest.String()))
	if err != nil {
		return nil, err
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, d.Size+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) != d.Size || digest.FromBytes(b).String() != d.Digest.String() {
		return nil, errdefs.Invalid("blob %s: size %d or digest does not match the manifest (size %d)", d.Digest, len(b), d.Size)
	}
	return b, nil
}
