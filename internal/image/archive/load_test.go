package archive

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/image"
	"github.com/wharf/wharf/internal/layer"
	"github.com/wharf/wharf/internal/testenv"
)

// checkBusybox checks an image loaded from legacyArchive: two layers, both
// in the layer store, files readable in the top layer's diff.
func checkBusybox(t *testing.T, s *image.Store, ref string) *image.Image {
	t.Helper()
	img := mustGet(t, s, ref)
	if n := len(img.Config.RootFS.DiffIDs); n != 2 {
		t.Fatalf("%s: %d layers, want 2", ref, n)
	}
	if _, err := s.Layers().Get(img.TopLayer); err != nil {
		t.Fatalf("%s: top layer: %v", ref, err)
	}
	b, err := os.ReadFile(filepath.Join(s.Layers().DiffDir(img.TopLayer), "etc/motd"))
	if err != nil || string(b) != "hello from the top layer\n" {
		t.Fatalf("%s: etc/motd = %q, %v", ref, b, err)
	}
	return img
}

func TestLoadLegacy(t *testing.T) {
	s := newStore(t)
	lines, err := loadFile(t, s, legacyArchive(t, "busybox:latest", "localhost:5000/tools/bb:1"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Loaded image: busybox:latest", "Loaded image: localhost:5000/tools/bb:1"}
	if !reflect.DeepEqual(lines, want) {
		t.Fatalf("report %q, want %q", lines, want)
	}
	a := checkBusybox(t, s, "busybox")
	if b := mustGet(t, s, "localhost:5000/tools/bb:1"); b.ID != a.ID {
		t.Fatalf("two tags, two images: %s %s", a.ID, b.ID)
	}
	// The testenv busybox tar is not in any canonical order: the layer
	// store's tar-split metadata gives it back, so the archive's tars are
	// not kept and the image has no made-up manifest.
	if a.Manifest != "" {
		t.Errorf("manifest %s recorded for a docker-archive image", a.Manifest)
	}
	for _, d := range a.Config.RootFS.DiffIDs {
		if _, err := s.Content().Stat(d); err == nil {
			t.Errorf("layer blob %s kept", d)
		}
		chain := layerChain(a.Config.RootFS.DiffIDs, d)
		rc, err := s.Layers().DiffTar(chain)
		if err != nil {
			t.Fatal(err)
		}
		h := digest.SHA256.Digester()
		_, err = io.Copy(h.Hash(), rc)
		rc.Close()
		if err != nil || h.Digest() != d {
			t.Errorf("layer %s: DiffTar gives %s, %v", d, h.Digest(), err)
		}
	}
	// Loading again changes nothing and says the same.
	lines, err = loadFile(t, s, legacyArchive(t, "busybox:latest", "localhost:5000/tools/bb:1"))
	if err != nil || !reflect.DeepEqual(lines, want) {
		t.Fatalf("second load: %q, %v", lines, err)
	}
}

// layerChain is the chain ID of the layer with diff ID d in diffIDs.
func layerChain(diffIDs []digest.Digest, d digest.Digest) digest.Digest {
	var chain digest.Digest
	for _, x := range diffIDs {
		chain = layer.ChainID(chain, x)
		if x == d {
			break
		}
	}
	return chain
}

func TestLoadUntaggedGzipAndRetag(t *testing.T) {
	s := newStore(t)
	raw, err := os.ReadFile(legacyArchive(t))
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw)
	zw.Close()
	var lines []string
	if err := Load(context.Background(), s, &gz, func(l string) { lines = append(lines, l) }); err != nil {
		t.Fatal(err)
	}
	imgs, _ := s.List()
	if len(imgs) != 1 || len(lines) != 1 || lines[0] != "Loaded image ID: "+imgs[0].ID.String() {
		t.Fatalf("report %q for %d images", lines, len(imgs))
	}
	// A tag moving from another image is announced like Docker does.
	other := tarOf(t, file{name: "x", body: "x"})
	if _, err := s.Import(context.Background(), bytes.NewReader(other), "busybox:latest", nil, ""); err != nil {
		t.Fatal(err)
	}
	old := mustGet(t, s, "busybox:latest")
	lines, err = loadFile(t, s, legacyArchive(t, "busybox:latest"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"The image busybox:latest already exists, renaming the old one with ID " + old.ID.String() + " to empty string",
		"Loaded image: busybox:latest"}
	if !reflect.DeepEqual(lines, want) {
		t.Fatalf("report %q, want %q", lines, want)
	}
}

// TestLoadSkopeoOCI: OCI layouts written by skopeo (gzip and zstd layers),
// as a tarred directory and as an oci-archive.
func TestLoadSkopeoOCI(t *testing.T) {
	testenv.RequireBinary(t, testenv.SkopeoBinary)
	src := legacyArchive(t, "busybox:latest")
	for _, tc := range []struct{ name, dest, ref string }{
		{"gzip-dir", "oci", "example.com/bb:gz"},
		{"zstd-dir", "oci", "example.com/bb:zstd"},
		{"archive", "oci-archive", "example.com/bb:arch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			dir := filepath.Join(t.TempDir(), "out")
			args := []string{"copy", "-q"}
			if tc.name == "zstd-dir" {
				args = append(args, "--dest-compress-format", "zstd", "--dest-compress")
			}
			run(t, testenv.SkopeoBinary, append(args, "docker-archive:"+src, tc.dest+":"+dir+":"+tc.ref)...)
			path := dir
			if tc.dest == "oci" {
				path = tarDir(t, dir)
			}
			lines, err := loadFile(t, s, path)
			if err != nil {
				t.Fatal(err)
			}
			if want := "Loaded image: " + tc.ref; len(lines) != 1 || lines[0] != want {
				t.Fatalf("report %q, want %q", lines, want)
			}
			img := checkBusybox(t, s, tc.ref)
			if img.Manifest == "" {
				t.Errorf("OCI manifest not recorded")
			}
		})
	}
}

// TestLoadNestedIndex: an OCI layout whose index names an index of two
// platforms; only linux/amd64 is loaded, untagged when ref.name is a bare tag.
func TestLoadNestedIndex(t *testing.T) {
	s := newStore(t)
	o := newOCI(t)
	amd := o.image(`{"architecture":"amd64","os":"linux"`, tarOf(t, file{name: "amd64", body: "yes"}))
	arm := o.image(`{"architecture":"arm64","os":"linux"`, tarOf(t, file{name: "arm64", body: "no"}))
	idx := o.put(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[` +
		desc(arm, "application/vnd.oci.image.manifest.v1+json", `,"platform":{"architecture":"arm64","os":"linux"}`) + "," +
		desc(amd, "application/vnd.oci.image.manifest.v1+json", `,"platform":{"architecture":"amd64","os":"linux"}`) + `]}`)
	o.index(desc(idx, "application/vnd.oci.image.index.v1+json", `,"annotations":{"org.opencontainers.image.ref.name":"latest"}`))
	var lines []string
	if err := Load(context.Background(), s, bytes.NewReader(o.tar()), func(l string) { lines = append(lines, l) }); err != nil {
		t.Fatal(err)
	}
	imgs, _ := s.List()
	if len(imgs) != 1 || imgs[0].Config.Architecture != "amd64" || len(lines) != 1 || !strings.HasPrefix(lines[0], "Loaded image ID: sha256:") {
		t.Fatalf("loaded %d images, report %q", len(imgs), lines)
	}
	if _, err := os.Stat(filepath.Join(s.Layers().DiffDir(imgs[0].TopLayer), "amd64")); err != nil {
		t.Fatal(err)
	}
}

// oci builds OCI layouts in memory for tests.
type oci struct {
	t     *testing.T
	files []file
	idx   string
}

func newOCI(t *testing.T) *oci {
	return &oci{t: t, files: []file{{name: "oci-layout", body: `{"imageLayoutVersion":"1.0.0"}`}}}
}

type blobRef struct {
	d    digest.Digest
	size int
}

func (o *oci) put(body string) blobRef {
	d := digest.FromString(body)
	o.files = append(o.files, file{name: "blobs/sha256/" + d.Encoded(), body: body})
	return blobRef{d, len(body)}
}

func desc(b blobRef, mediaType, extra string) string {
	return `{"mediaType":"` + mediaType + `","digest":"` + b.d.String() + `","size":` + strconv.Itoa(b.size) + extra + `}`
}

// image stores a one-layer image; cfgPrefix is its config JSON up to the rootfs.
func (o *oci) image(cfgPrefix string, layerTar []byte) blobRef {
	l := o.put(string(layerTar))
	cfg := o.put(cfgPrefix + `,"rootfs":{"type":"layers","diff_ids":["` + l.d.String() + `"]}}`)
	return o.put(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":` +
		desc(cfg, "application/vnd.oci.image.config.v1+json", "") + `,"layers":[` +
		desc(l, "application/vnd.oci.image.layer.v1.tar", "") + `]}`)
}

func (o *oci) index(descs ...string) {
	o.idx = `{"schemaVersion":2,"manifests":[` + strings.Join(descs, ",") + `]}`
}

func (o *oci) tar() []byte {
	return tarOf(o.t, append(o.files, file{name: "index.json", body: o.idx})...)
}
