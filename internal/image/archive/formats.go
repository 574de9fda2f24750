package archive

import (
	"encoding/json"
	"runtime"
	"strings"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	imgspec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/wharf/wharf/internal/errdefs"
)

// Docker's media types, which OCI layouts written by Docker tools also use.
const (
	dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	dockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
	dockerLayer    = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	dockerForeign  = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

	// containerd's annotation for the full image name, which Docker writes.
	annotationImageName = "io.containerd.image.name"
)

// manifestItem is one entry of a docker-archive manifest.json.
type manifestItem struct {
	Config   string
	RepoTags []string
	Layers   []string
	Parent   string `json:",omitempty"`
}

// loadImage is one image found in an archive, checked for completeness.
type loadImage struct {
	config   []byte
	id       digest.Digest
	diffIDs  []digest.Digest
	layers   []blob
	entries  []string // archive paths of the layers, for errors
	tags     []string // as named by the archive
	manifest []byte   // the OCI manifest, nil for docker-archive images
	index    []byte   // the index the manifest was picked from
}

// images lists what an archive holds; manifest.json wins over index.json
// (Docker's own archives have both; manifest.json carries the tags).
func (b *bundle) images() ([]*loadImage, error) {
	if m, ok := b.meta["manifest.json"]; ok {
		return b.dockerImages(m)
	}
	if idx, ok := b.meta["index.json"]; ok {
		return b.ociImages(idx)
	}
	return nil, errdefs.Invalid("archive: neither manifest.json nor index.json found: not a docker-archive or OCI archive")
}

func (b *bundle) dockerImages(data []byte) ([]*loadImage, error) {
	var items []manifestItem
	if err := json.Unmarshal(data, &items); err != nil {
		return nil, errdefs.Invalid("archive: manifest.json: %v", err)
	}
	var out []*loadImage
	for _, it := range items {
		cb, err := b.lookup(it.Config)
		if err != nil {
			return nil, err
		}
		img, err := b.newImage(it.Config, cb)
		if err != nil {
			return nil, err
		}
		if len(it.Layers) != len(img.diffIDs) {
			return nil, errdefs.Invalid("archive: image %s has %d layers in manifest.json but %d in its config",
				img.id, len(it.Layers), len(img.diffIDs))
		}
		for _, l := range it.Layers {
			lb, err := b.lookup(l)
			if err != nil {
				return nil, err
			}
			img.layers = append(img.layers, lb)
			img.entries = append(img.entries, l)
		}
		img.tags = it.RepoTags
		out = merge(out, img)
	}
	return out, nil
}

// newImage reads and checks one image config.
func (b *bundle) newImage(entry string, cb blob) (*loadImage, error) {
	data, err := b.read(cb)
	if err != nil {
		return nil, err
	}
	var cfg imgspec.Image
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, errdefs.Invalid("archive entry %q: image config: %v", entry, err)
	}
	for _, d := range cfg.RootFS.DiffIDs {
		if d.Validate() != nil {
			return nil, errdefs.Invalid("archive entry %q: invalid diff ID %q", entry, d)
		}
	}
	return &loadImage{config: data, id: cb.digest, diffIDs: cfg.RootFS.DiffIDs}, nil
}

// merge adds img, or its tags when the same image came already.
func merge(list []*loadImage, img *loadImage) []*loadImage {
	for _, o := range list {
		if o.id == img.id {
			o.tags = append(o.tags, img.tags...)
			if o.manifest == nil {
				o.manifest, o.index = img.manifest, img.index
			}
			return list
		}
	}
	return append(list, img)
}

type ociIndex struct {
	MediaType string               `json:"mediaType"`
	Manifests []imgspec.Descriptor `json:"manifests"`
}

type ociManifest struct {
	MediaType string               `json:"mediaType"`
	Config    imgspec.Descriptor   `json:"config"`
	Layers    []imgspec.Descriptor `json:"layers"`
	Manifests json.RawMessage      `json:"manifests"`
}

func (b *bundle) ociImages(data []byte) ([]*loadImage, error) {
	var idx ociIndex
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, errdefs.Invalid("archive: index.json: %v", err)
	}
	var out []*loadImage
	for _, d := range idx.Manifests {
		if d.Platform != nil && !ourPlatform(d.Platform) {
			continue
		}
		img, err := b.ociImage(d, nil, 0)
		if err != nil {
			return nil, err
		}
		if img == nil {
			continue
		}
		if name := refName(d.Annotations); name != "" {
			img.tags = []string{name}
		}
		out = merge(out, img)
	}
	if len(out) == 0 {
		return nil, errdefs.Invalid("archive: index.json names no %s/%s image", "linux", runtime.GOARCH)
	}
	return out, nil
}

// ociImage follows a descriptor to an image manifest, picking our platform
// from nested indexes; nil for artifacts that are not images.
func (b *bundle) ociImage(d imgspec.Descriptor, parent []byte, depth int) (*loadImage, error) {
	if depth > 4 {
		return nil, errdefs.Invalid("archive: indexes nested too deep at %s", d.Digest)
	}
	f, err := b.blobFor(d.Digest, d.Size)
	if err != nil {
		return nil, err
	}
	data, err := b.read(f)
	if err != nil {
		return nil, err
	}
	var m ociManifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, errdefs.Invalid("archive: manifest %s: %v", d.Digest, err)
	}
	switch {
	case isIndex(d.MediaType) || (d.MediaType == "" && m.Manifests != nil):
		var idx ociIndex
		if err := json.Unmarshal(data, &idx); err != nil {
			return nil, errdefs.Invalid("archive: index %s: %v", d.Digest, err)
		}
		for _, c := range idx.Manifests {
			if c.Platform != nil && ourPlatform(c.Platform) {
				return b.ociImage(c, data, depth+1)
			}
		}
		return nil, errdefs.Invalid("archive: index %s has no %s/%s image", d.Digest, "linux", runtime.GOARCH)
	case d.MediaType != "" && d.MediaType != imgspec.MediaTypeImageManifest && d.MediaType != dockerManifest:
		return nil, nil
	}
	if m.Config.MediaType != "" && m.Config.MediaType != imgspec.MediaTypeImageConfig &&
		m.Config.MediaType != "application/vnd.docker.container.image.v1+json" {
		return nil, nil // an artifact (attestation, signature), not an image
	}
	cb, err := b.blobFor(m.Config.Digest, m.Config.Size)
	if err != nil {
		return nil, err
	}
	entry := "blobs/" + m.Config.Digest.Algorithm().String() + "/" + m.Config.Digest.Encoded()
	img, err := b.newImage(entry, cb)
	if err != nil {
		return nil, err
	}
	if len(m.Layers) != len(img.diffIDs) {
		return nil, errdefs.Invalid("archive: manifest %s has %d layers but its config %d", d.Digest, len(m.Layers), len(img.diffIDs))
	}
	for _, l := range m.Layers {
		if !layerType(l.MediaType) {
			return nil, errdefs.Invalid("archive: manifest %s: unsupported layer media type %q", d.Digest, l.MediaType)
		}
		lb, err := b.blobFor(l.Digest, l.Size)
		if err != nil {
			return nil, err
		}
		img.layers = append(img.layers, lb)
		img.entries = append(img.entries, "blobs/"+l.Digest.Algorithm().String()+"/"+l.Digest.Encoded())
	}
	img.manifest, img.index = data, parent
	return img, nil
}

func isIndex(mt string) bool { return mt == imgspec.MediaTypeImageIndex || mt == dockerList }

func layerType(mt string) bool {
	switch mt {
	case imgspec.MediaTypeImageLayer, imgspec.MediaTypeImageLayerGzip, imgspec.MediaTypeImageLayerZstd,
		dockerLayer, dockerForeign, "application/vnd.docker.image.rootfs.diff.tar",
		imgspec.MediaTypeImageLayerNonDistributable, imgspec.MediaTypeImageLayerNonDistributableGzip, //nolint:staticcheck // still written by older tools
		imgspec.MediaTypeImageLayerNonDistributableZstd: //nolint:staticcheck
		return true
	}
	return false
}

func ourPlatform(p *imgspec.Platform) bool {
	return p.OS == "linux" && p.Architecture == runtime.GOARCH
}

// refName is the image name an index entry carries: containerd's full name,
// else the OCI ref.name when it is a reference and not a bare tag ("latest").
func refName(ann map[string]string) string {
	if n := ann[annotationImageName]; n != "" {
		return n
	}
	n := ann[imgspec.AnnotationRefName]
	if !strings.ContainsAny(n, ":/") {
		return ""
	}
	if _, err := reference.ParseNormalizedNamed(n); err != nil {
		return ""
	}
	return n
}
