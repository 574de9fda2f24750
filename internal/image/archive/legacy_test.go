package archive

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
)

// tarEntry is one entry of a saved archive, in order.
type tarEntry struct {
	hdr  *tar.Header
	body []byte
}

func readTar(t *testing.T, p string) []tarEntry {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []tarEntry
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		out = append(out, tarEntry{h, b})
	}
}

// TestSaveLegacyLayout: beside the OCI layout, the archive has Docker's
// pre-25 layout: a <v1 id>/ directory per layer with VERSION, json and a
// layer.tar hardlinked to a blob written earlier, <config hex>.json, and
// repositories naming the top directories. Layer data is stored once.
func TestSaveLegacyLayout(t *testing.T) {
	s := newStore(t)
	bb, base := twoImages(t, s)
	p := saveFile(t, s, "busybox", "bb:2", "base:1")

	// Resolve every name to bytes, links only to regular files before them.
	files := map[string][]byte{}
	links := map[string]string{}
	var layerBytes int64
	for _, e := range readTar(t, p) {
		switch e.hdr.Typeflag {
		case tar.TypeReg:
			files[e.hdr.Name] = e.body
		case tar.TypeLink:
			b, ok := files[e.hdr.Linkname]
			if !ok {
				t.Fatalf("%s links to %q, not a regular file earlier in the archive", e.hdr.Name, e.hdr.Linkname)
			}
			files[e.hdr.Name], links[e.hdr.Name] = b, e.hdr.Linkname
		case tar.TypeDir:
		default:
			t.Fatalf("%s: unexpected type %c", e.hdr.Name, e.hdr.Typeflag)
		}
	}
	for _, d := range bb.Config.RootFS.DiffIDs {
		layerBytes += int64(len(files[blobPath(d)]))
	}

	// manifest.json names blobs (Docker 25); every name it uses exists.
	var items []manifestItem
	if err := json.Unmarshal(files["manifest.json"], &items); err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		for _, n := range append([]string{it.Config}, it.Layers...) {
			if _, ok := files[n]; !ok || links[n] != "" {
				t.Errorf("manifest.json names %q: not a regular file of the archive", n)
			}
		}
	}
	for _, img := range []string{bb.ID.Encoded(), base.ID.Encoded()} {
		if links[img+".json"] != "blobs/sha256/"+img {
			t.Errorf("%s.json links to %q", img, links[img+".json"])
		}
	}

	// Walk each tagged image's chain of v1 directories from the top down.
	var repos map[string]map[string]string
	if err := json.Unmarshal(files["repositories"], &repos); err != nil {
		t.Fatal(err)
	}
	dirs := map[string]bool{}
	for ref, want := range map[string][]digest.Digest{"busybox:latest": bb.Config.RootFS.DiffIDs,
		"bb:2": bb.Config.RootFS.DiffIDs, "base:1": base.Config.RootFS.DiffIDs} {
		name, tag, _ := strings.Cut(ref, ":")
		id := repos[name][tag]
		for i := len(want) - 1; i >= 0; i-- {
			dirs[id] = true
			if v := string(files[id+"/VERSION"]); v != "1.0" {
				t.Fatalf("%s: %s/VERSION is %q", ref, id, v)
			}
			var v1 v1Image
			if err := json.Unmarshal(files[id+"/json"], &v1); err != nil {
				t.Fatalf("%s: %s/json: %v", ref, id, err)
			}
			if v1.ID != id || v1.OS != "linux" {
				t.Errorf("%s: %s/json has id %q os %q", ref, id, v1.ID, v1.OS)
			}
			top := i == len(want)-1
			if top != (v1.Config != nil) || (!top && !v1.Created.Equal(time.Unix(0, 0))) {
				t.Errorf("%s: %s/json (layer %d of %d): %s", ref, id, i+1, len(want), files[id+"/json"])
			}
			if links[id+"/layer.tar"] != blobPath(want[i]) || digest.FromBytes(files[id+"/layer.tar"]) != want[i] {
				t.Errorf("%s: %s/layer.tar links to %q, want layer %s", ref, id, links[id+"/layer.tar"], want[i])
			}
			if (i == 0) != (v1.Parent == "") {
				t.Errorf("%s: layer %d has parent %q", ref, i, v1.Parent)
			}
			id = v1.Parent
		}
	}
	// busybox: base and top; base:1 shares the base layer's data, not its
	// directory (its only layer is its top, with its config).
	if len(dirs) != 3 {
		t.Errorf("%d layer directories reached, want 3", len(dirs))
	}
	for n := range files {
		if strings.HasSuffix(n, "/json") && !dirs[filepath.Dir(n)] {
			t.Errorf("directory %s is no layer of a saved image", filepath.Dir(n))
		}
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > layerBytes+64<<10 {
		t.Errorf("archive is %d bytes for %d bytes of layers: layer data stored twice?", fi.Size(), layerBytes)
	}

	// An archive whose manifest.json names the links (as pre-25 Docker
	// names its files) loads the same images.
	var legacyItems []manifestItem
	for _, it := range items {
		ids := legacyIDs(t, files, it)
		l := manifestItem{Config: strings.TrimPrefix(it.Config, "blobs/sha256/") + ".json", RepoTags: it.RepoTags}
		for _, id := range ids {
			l.Layers = append(l.Layers, id+"/layer.tar")
		}
		legacyItems = append(legacyItems, l)
	}
	s2 := newStore(t)
	if _, err := loadFile(t, s2, withManifest(t, p, legacyItems)); err != nil {
		t.Fatal(err)
	}
	if got := checkBusybox(t, s2, "bb:2"); got.ID != bb.ID {
		t.Fatalf("ID %s, want %s", got.ID, bb.ID)
	}
	if got := mustGet(t, s2, "base:1"); got.ID != base.ID {
		t.Fatalf("ID %s, want %s", got.ID, base.ID)
	}
}

// legacyIDs finds an image's v1 directories, base first, by their blobs.
func legacyIDs(t *testing.T, files map[string][]byte, it manifestItem) []string {
	t.Helper()
	var repos map[string]map[string]string
	json.Unmarshal(files["repositories"], &repos)
	name, tag, _ := strings.Cut(it.RepoTags[0], ":")
	ids := make([]string, len(it.Layers))
	id := repos[name][tag]
	for i := len(it.Layers) - 1; i >= 0; i-- {
		ids[i] = id
		var v1 v1Image
		json.Unmarshal(files[id+"/json"], &v1)
		id = v1.Parent
	}
	return ids
}

// withManifest copies an archive with another manifest.json.
func withManifest(t *testing.T, p string, items []manifestItem) string {
	t.Helper()
	m, err := json.Marshal(items)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range readTar(t, p) {
		if e.hdr.Name == "manifest.json" {
			e.body, e.hdr.Size = m, int64(len(m))
		}
		if err := tw.WriteHeader(e.hdr); err != nil {
			t.Fatal(err)
		}
		tw.Write(e.body)
	}
	tw.Close()
	return writeTemp(t, "relinked.tar", buf.Bytes())
}
