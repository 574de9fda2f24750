package archive

import (
	"archive/tar"
	"context"
	"encoding/json"
	"io"
	"path"
	"time"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	imgspec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/image"
	"github.com/wharf/wharf/internal/layer"
)

// saveImage is one image to write and the tags it is saved under.
type saveImage struct {
	img  *image.Image
	tags []reference.NamedTagged
}

// saver writes one archive in Docker 25's layout: an OCI layout (oci-layout,
// index.json, blobs/sha256/) whose blobs manifest.json also names, so that
// every `docker load` and OCI tools read it; and the layout of Docker
// before 25 beside it (legacy.go), its files hardlinks to the blobs.
// Layers are uncompressed, so a layer's blob digest is its diff ID.
type saver struct {
	ctx     context.Context
	s       *image.Store
	tw      *tar.Writer
	written map[digest.Digest]bool               // blobs in the archive
	layers  map[digest.Digest]imgspec.Descriptor // chain ID -> its layer blob
	legacy  map[string]bool                      // v1 layer directories and <hex>.json configs written
}

func save(ctx context.Context, s *image.Store, refs []string, w io.Writer) error {
	imgs, err := resolveRefs(s, refs)
	if err != nil {
		return err
	}
	sv := &saver{ctx: ctx, s: s, tw: tar.NewWriter(w), written: map[digest.Digest]bool{},
		layers: map[digest.Digest]imgspec.Descriptor{}, legacy: map[string]bool{}}
	for _, d := range []string{"blobs/", "blobs/sha256/"} {
		if err := sv.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: 0o755, ModTime: time.Unix(0, 0)}); err != nil {
			return err
		}
	}
	var (
		items []manifestItem
		index []imgspec.Descriptor
		repos = map[string]map[string]string{}
	)
	for _, si := range imgs {
		item, desc, top, err := sv.image(si.img)
		if err != nil {
			return err
		}
		if len(si.tags) == 0 {
			index = append(index, desc)
		}
		for _, t := range si.tags {
			d := desc
			d.Annotations = map[string]string{annotationImageName: t.String(), imgspec.AnnotationRefName: t.Tag()}
			index = append(index, d)
			item.RepoTags = append(item.RepoTags, reference.FamiliarString(t))
			if top != "" {
				name := reference.FamiliarName(t)
				if repos[name] == nil {
					repos[name] = map[string]string{}
				}
				repos[name][t.Tag()] = top // the top layer's directory, as before Docker 25
			}
		}
		items = append(items, item)
	}
	idx, err := json.Marshal(imgspec.Index{Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: imgspec.MediaTypeImageIndex, Manifests: index})
	if err != nil {
		return err
	}
	if err := sv.file("index.json", idx); err != nil {
		return err
	}
	if err := sv.jsonFile("manifest.json", items); err != nil {
		return err
	}
	if err := sv.file("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)); err != nil {
		return err
	}
	if len(repos) > 0 {
		if err := sv.jsonFile("repositories", repos); err != nil {
			return err
		}
	}
	return sv.tw.Close()
}

// image writes an image's layers, config and OCI manifest, and returns
// the v1 ID of its top layer ("" for an image without layers).
func (sv *saver) image(img *image.Image) (manifestItem, imgspec.Descriptor, string, error) {
	cfg, err := rawConfig(sv.s, img)
	if err != nil {
		return manifestItem{}, imgspec.Descriptor{}, "", err
	}
	mtime := img.Created
	m := imgspec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: imgspec.MediaTypeImageManifest,
		Config: imgspec.Descriptor{MediaType: imgspec.MediaTypeImageConfig, Digest: img.ID, Size: int64(len(cfg))}}
	item := manifestItem{Config: blobPath(img.ID)}
	var chain digest.Digest
	var chains []digest.Digest
	for i, diffID := range img.Config.RootFS.DiffIDs {
		chain = layer.ChainID(chain, diffID)
		chains = append(chains, chain)
		d, err := sv.layer(img, i, chain, diffID, mtime)
		if err != nil {
			return manifestItem{}, imgspec.Descriptor{}, "", err
		}
		m.Layers = append(m.Layers, d)
		item.Layers = append(item.Layers, blobPath(d.Digest))
	}
	ids, jsons, err := v1Layers(cfg, chains)
	if err != nil {
		return manifestItem{}, imgspec.Descriptor{}, "", errdefs.Invalid("image %s: config: %v", img.ID, err)
	}
	for i, id := range ids {
		if err := sv.legacyLayer(id, jsons[i], m.Layers[i].Digest, mtime); err != nil {
			return manifestItem{}, imgspec.Descriptor{}, "", err
		}
	}
	if err := sv.blob(img.ID, cfg, mtime); err != nil {
		return manifestItem{}, imgspec.Descriptor{}, "", err
	}
	if name := img.ID.Encoded() + ".json"; !sv.legacy[name] {
		sv.legacy[name] = true
		if err := sv.link(name, blobPath(img.ID), mtime); err != nil {
			return manifestItem{}, imgspec.Descriptor{}, "", err
		}
	}
	mb, err := json.Marshal(m)
	if err != nil {
		return manifestItem{}, imgspec.Descriptor{}, "", err
	}
	md := digest.FromBytes(mb)
	if err := sv.blob(md, mb, mtime); err != nil {
		return manifestItem{}, imgspec.Descriptor{}, "", err
	}
	desc := imgspec.Descriptor{MediaType: imgspec.MediaTypeImageManifest, Digest: md, Size: int64(len(mb))}
	if img.Config.OS != "" && img.Config.Architecture != "" {
		desc.Platform = &imgspec.Platform{OS: img.Config.OS, Architecture: img.Config.Architecture, Variant: img.Config.Variant}
	}
	top := ""
	if len(ids) > 0 {
		top = ids[len(ids)-1]
	}
	return item, desc, top, nil
}

// rawConfig returns the exact bytes hashed into the image ID.
func rawConfig(s *image.Store, img *image.Image) ([]byte, error) {
	if cs := s.Content(); cs != nil {
		if b, err := cs.ReadAll(img.ID); err == nil && digest.FromBytes(b) == img.ID {
			return b, nil
		}
	}
	// Images the store wrote itself (import, commit) marshal back exactly.
	b, err := json.Marshal(img.Config)
	if err != nil {
		return nil, err
	}
	if digest.FromBytes(b) != img.ID {
		return nil, errdefs.Unavailable("image %s: its config is not stored byte for byte; cannot save it", img.ID)
	}
	return b, nil
}

func blobPath(d digest.Digest) string {
	return path.Join("blobs", d.Algorithm().String(), d.Encoded())
}

// blob writes a small blob once.
func (sv *saver) blob(d digest.Digest, data []byte, mtime time.Time) error {
	if sv.written[d] {
		return nil
	}
	sv.written[d] = true
	return sv.entry(blobPath(d), data, mtime)
}

func (sv *saver) file(name string, data []byte) error { return sv.entry(name, data, time.Unix(0, 0)) }

func (sv *saver) jsonFile(name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return sv.file(name, append(b, '\n'))
}

func (sv *saver) entry(name string, data []byte, mtime time.Time) error {
	if err := sv.tw.WriteHeader(regHeader(name, int64(len(data)), mtime)); err != nil {
		return err
	}
	_, err := sv.tw.Write(data)
	return err
}

func regHeader(name string, size int64, mtime time.Time) *tar.Header {
	if mtime.IsZero() {
		mtime = time.Unix(0, 0)
	}
	return &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o644, ModTime: mtime.UTC().Truncate(time.Second)}
}
