package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/image"
	"github.com/wharf/wharf/internal/testenv"
)

// twoImages fills s with busybox:latest and bb:2 (one two-layer image) and
// base:1 (an import of the same busybox rootfs: a layer shared with it).
func twoImages(t *testing.T, s *image.Store) (*image.Image, *image.Image) {
	t.Helper()
	if _, err := loadFile(t, s, legacyArchive(t, "busybox:latest", "bb:2")); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(testenv.BusyboxTar(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	base, err := s.Import(context.Background(), f, "base:1", []string{"CMD sh"}, "imported")
	if err != nil {
		t.Fatal(err)
	}
	bb := mustGet(t, s, "busybox")
	if base.Config.RootFS.DiffIDs[0] != bb.Config.RootFS.DiffIDs[0] {
		t.Fatalf("import and load gave different base layers")
	}
	return bb, base
}

func saveFile(t *testing.T, s *image.Store, refs ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "saved.tar")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := Save(context.Background(), s, refs, f); err != nil {
		t.Fatal(err)
	}
	return p
}

// entries reads a tar into name -> body, failing on duplicate names.
func entries(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := out[h.Name]; dup {
			t.Fatalf("%s written twice", h.Name)
		}
		b, _ := io.ReadAll(tr)
		out[h.Name] = b
	}
}

func TestSaveLayoutAndRoundTrip(t *testing.T) {
	s := newStore(t)
	bb, base := twoImages(t, s)
	// The layer store alone gives the layers back, after GC too.
	if _, err := s.GC(context.Background()); err != nil {
		t.Fatal(err)
	}
	p := saveFile(t, s, "busybox", "bb:2", base.ID.Encoded()[:12])
	ents := entries(t, p)

	// Every blob is named by its digest; layers are uncompressed diff tars.
	for name, b := range ents {
		if d := blobDigest(name); d != "" && digest.FromBytes(b) != d {
			t.Errorf("%s holds content %s", name, digest.FromBytes(b))
		}
	}
	for _, d := range bb.Config.RootFS.DiffIDs {
		if _, ok := ents["blobs/sha256/"+d.Encoded()]; !ok {
			t.Errorf("layer %s not saved under its diff ID", d)
		}
	}
	var items []manifestItem
	if err := json.Unmarshal(ents["manifest.json"], &items); err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].Config != "blobs/sha256/"+bb.ID.Encoded() || len(items[0].Layers) != 2 || len(items[1].Layers) != 1 {
		t.Fatalf("manifest.json: %s", ents["manifest.json"])
	}
	sort.Strings(items[0].RepoTags)
	if !reflect.DeepEqual(items[0].RepoTags, []string{"bb:2", "busybox:latest"}) || items[1].RepoTags != nil {
		t.Fatalf("RepoTags %q / %q", items[0].RepoTags, items[1].RepoTags)
	}
	if !bytes.Equal(ents["blobs/sha256/"+bb.ID.Encoded()], mustConfig(t, s, bb)) {
		t.Fatal("config blob is not byte-exact")
	}
	var repos map[string]map[string]string
	json.Unmarshal(ents["repositories"], &repos)
	// Tags name the top layer's v1 directory, as in Docker before 25.
	if top := repos["busybox"]["latest"]; top == "" || repos["bb"]["2"] != top || ents[top+"/VERSION"] == nil {
		t.Fatalf("repositories: %s", ents["repositories"])
	}
	var idx ociIndex
	json.Unmarshal(ents["index.json"], &idx)
	var names []string
	for _, d := range idx.Manifests {
		names = append(names, d.Annotations[annotationImageName]+"|"+d.Annotations["org.opencontainers.image.ref.name"])
	}
	sort.Strings(names)
	if want := []string{"docker.io/library/bb:2|2", "docker.io/library/busybox:latest|latest", "|"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("index.json names %q, want %q", names, want)
	}
	if string(ents["oci-layout"]) != `{"imageLayoutVersion":"1.0.0"}` {
		t.Fatalf("oci-layout %q", ents["oci-layout"])
	}

	// Load into a second store: same IDs, same tags, same files.
	s2 := newStore(t)
	lines, err := loadFile(t, s2, p)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	want := []string{"Loaded image ID: " + base.ID.String(), "Loaded image: bb:2", "Loaded image: busybox:latest"}
	if !reflect.DeepEqual(lines, want) {
		t.Fatalf("report %q, want %q", lines, want)
	}
	if got := checkBusybox(t, s2, "bb:2"); got.ID != bb.ID {
		t.Fatalf("ID %s after round trip, want %s", got.ID, bb.ID)
	}
	mustGet(t, s2, base.ID.String())
}

func mustConfig(t *testing.T, s *image.Store, img *image.Image) []byte {
	t.Helper()
	b, err := s.Content().ReadAll(img.ID)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSaveUnknown(t *testing.T) {
	s := newStore(t)
	err := Save(context.Background(), s, []string{"nosuch:1"}, io.Discard)
	if !errors.Is(err, errdefs.ErrNotFound) || !strings.Contains(err.Error(), "No such image: nosuch:1") {
		t.Fatalf("err = %v", err)
	}
}

// TestSaveSkopeo: skopeo reads our archive as a docker-archive and as an
// OCI layout, and what it writes from it loads back with the same ID.
func TestSaveSkopeo(t *testing.T) {
	testenv.RequireBinary(t, testenv.SkopeoBinary)
	s := newStore(t)
	bb, _ := twoImages(t, s)
	p := saveFile(t, s, "busybox:latest", "base:1")

	var info struct{ Layers []string }
	out := run(t, testenv.SkopeoBinary, "inspect", "docker-archive:"+p+":busybox:latest")
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatal(err)
	}
	if len(info.Layers) != 2 || info.Layers[1] != bb.Config.RootFS.DiffIDs[1].String() {
		t.Fatalf("skopeo inspect: %s", out)
	}
	cfg := run(t, testenv.SkopeoBinary, "inspect", "--config", "--raw", "docker-archive:"+p+":busybox:latest")
	if digest.FromString(cfg) != bb.ID {
		t.Fatalf("skopeo sees config %s, want %s", digest.FromString(cfg), bb.ID)
	}

	// The same tar read as an OCI layout (its ref.name is the tag).
	dir := filepath.Join(t.TempDir(), "layout")
	os.Mkdir(dir, 0o755)
	run(t, "tar", "-C", dir, "-xf", p)
	run(t, testenv.SkopeoBinary, "inspect", "oci:"+dir+":1")

	// docker-archive -> OCI (gzip layers) -> our Load.
	oc := filepath.Join(t.TempDir(), "oci")
	run(t, testenv.SkopeoBinary, "copy", "-q", "docker-archive:"+p+":busybox:latest", "oci:"+oc+":example.com/copied:1")
	s2 := newStore(t)
	if _, err := loadFile(t, s2, tarDir(t, oc)); err != nil {
		t.Fatal(err)
	}
	// skopeo rewrites the config as OCI's (a new ID); the layers stay.
	if got := checkBusybox(t, s2, "example.com/copied:1"); !reflect.DeepEqual(got.Config.RootFS.DiffIDs, bb.Config.RootFS.DiffIDs) {
		t.Fatalf("diff IDs %s via skopeo, want %s", got.Config.RootFS.DiffIDs, bb.Config.RootFS.DiffIDs)
	}
}

// TestSaveCompressedFallback: when a layer's files do not give back its
// diff ID as a tar, the compressed blob of its stored manifest is saved.
func TestSaveCompressedFallback(t *testing.T) {
	testenv.RequireBinary(t, testenv.SkopeoBinary)
	s := newStore(t)
	oc := filepath.Join(t.TempDir(), "oci")
	run(t, testenv.SkopeoBinary, "copy", "-q", "docker-archive:"+legacyArchive(t, "busybox:latest"), "oci:"+oc+":example.com/bb:1")
	if _, err := loadFile(t, s, tarDir(t, oc)); err != nil {
		t.Fatal(err)
	}
	img := mustGet(t, s, "example.com/bb:1")
	old := diffTar
	diffTar = func(*image.Store, digest.Digest) (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader("not the layer's tar")), nil
	}
	t.Cleanup(func() { diffTar = old })
	p := filepath.Join(t.TempDir(), "saved.tar")
	f, _ := os.Create(p)
	if err := Save(context.Background(), s, []string{"example.com/bb:1"}, f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var items []manifestItem
	json.Unmarshal(entries(t, p)["manifest.json"], &items)
	if len(items) != 1 || len(items[0].Layers) != 2 || items[0].Layers[0] == blobPath(img.Config.RootFS.DiffIDs[0]) {
		t.Fatalf("manifest.json %+v: want the compressed blobs", items)
	}
	s2 := newStore(t)
	if _, err := loadFile(t, s2, p); err != nil {
		t.Fatal(err)
	}
	if got := checkBusybox(t, s2, "example.com/bb:1"); got.ID != img.ID {
		t.Fatalf("ID %s, want %s", got.ID, img.ID)
	}
}
