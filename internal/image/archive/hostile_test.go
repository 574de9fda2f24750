package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errdefs"
)

// dockerArchive is a manifest.json archive of one image "x:1" whose config
// lists diffIDs and whose manifest names layerPaths; extra entries first.
func dockerArchive(t *testing.T, diffIDs []digest.Digest, layerPaths []string, extra ...file) []byte {
	cfg := `{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[`
	for i, d := range diffIDs {
		if i > 0 {
			cfg += ","
		}
		cfg += `"` + d.String() + `"`
	}
	cfg += `]}}`
	cd := digest.FromString(cfg)
	m := `[{"Config":"blobs/sha256/` + cd.Encoded() + `","RepoTags":["x:1"],"Layers":["` + strings.Join(layerPaths, `","`) + `"]}]`
	files := append(extra, file{name: "blobs/sha256/" + cd.Encoded(), body: cfg}, file{name: "manifest.json", body: m})
	return tarOf(t, files...)
}

func TestLoadHostile(t *testing.T) {
	good := tarOf(t, file{name: "hello", body: "hi"})
	gd := digest.FromBytes(good)
	escape := tarOf(t, file{name: "../../escaped-by-layer", body: "x"})
	ed := digest.FromBytes(escape)
	other := tarOf(t, file{name: "other", body: "x"})
	od := digest.FromBytes(other)
	gpath := "blobs/sha256/" + gd.Encoded()
	for _, tc := range []struct {
		name, want string
		archive    []byte
	}{
		{"dotdot entry", `"../evil"`, dockerArchive(t, []digest.Digest{gd}, []string{gpath},
			file{name: gpath, body: string(good)}, file{name: "../evil", body: "x"})},
		{"absolute entry", `"/tmp/evil"`, dockerArchive(t, []digest.Digest{gd}, []string{gpath},
			file{name: gpath, body: string(good)}, file{name: "/tmp/evil", body: "x"})},
		{"symlink to host file", `"l/layer.tar": symlink to absolute path`, dockerArchive(t, []digest.Digest{gd}, []string{"l/layer.tar"},
			file{name: "l/layer.tar", typ: tar.TypeSymlink, link: "/etc/passwd"})},
		{"symlink out", `"l/layer.tar": symlink leaves the archive`, dockerArchive(t, []digest.Digest{gd}, []string{"l/layer.tar"},
			file{name: "l/layer.tar", typ: tar.TypeSymlink, link: "../../etc/passwd"})},
		{"missing blob", `"` + gpath + `" is named by the manifest but missing`, dockerArchive(t, []digest.Digest{gd}, []string{gpath})},
		{"digest mismatch", `"` + gpath + `"`, dockerArchive(t, []digest.Digest{gd}, []string{gpath},
			file{name: gpath, body: "not the layer"})},
		{"diff ID mismatch", `"blobs/sha256/` + od.Encoded() + `": layer content has diff ID`, dockerArchive(t, []digest.Digest{gd}, []string{"blobs/sha256/" + od.Encoded()},
			file{name: "blobs/sha256/" + od.Encoded(), body: string(other)})},
		{"layer escapes", `"blobs/sha256/` + ed.Encoded() + `"`, dockerArchive(t, []digest.Digest{ed}, []string{"blobs/sha256/" + ed.Encoded()},
			file{name: "blobs/sha256/" + ed.Encoded(), body: string(escape)})},
		{"neither manifest", "neither manifest.json nor index.json", tarOf(t, file{name: "hello", body: "x"})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			err := Load(context.Background(), s, bytes.NewReader(tc.archive), func(string) {})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %s", err, tc.want)
			}
			if !errors.Is(err, errdefs.ErrInvalid) {
				t.Errorf("err %v is not Invalid", err)
			}
			if imgs, _ := s.List(); len(imgs) != 0 {
				t.Fatalf("%d images registered", len(imgs))
			}
			for _, p := range []string{"/tmp/evil", "/escaped-by-layer"} {
				if _, err := os.Lstat(p); err == nil {
					t.Fatalf("%s was written", p)
				}
			}
		})
	}
}

// Docker before 25 wrote a layer shared by two images once and linked the
// second copy to it; such links inside the archive are followed.
func TestLoadInArchiveSymlink(t *testing.T) {
	s := newStore(t)
	good := tarOf(t, file{name: "hello", body: "hi"})
	gd := digest.FromBytes(good)
	a := dockerArchive(t, []digest.Digest{gd}, []string{"b/layer.tar"},
		file{name: "a/layer.tar", body: string(good)}, file{name: "b/layer.tar", typ: tar.TypeSymlink, link: "../a/layer.tar"})
	if err := Load(context.Background(), s, bytes.NewReader(a), func(string) {}); err != nil {
		t.Fatal(err)
	}
	mustGet(t, s, "x:1")
}
