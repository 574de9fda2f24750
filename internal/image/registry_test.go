package image

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errdefs"
)

// registerTar applies tarb as a base layer and registers an image with a
// hand-written config and manifest, as a pull would.
func registerTar(t *testing.T, s *Store, tarb []byte, ref, repoDigestName string) (*Image, []byte, []byte) {
	t.Helper()
	release := s.Lease()
	defer release()
	l, err := s.Layers().Apply("", bytes.NewReader(tarb))
	if err != nil {
		t.Fatal(err)
	}
	layerBlob, err := s.Content().Put(tarb) // stands in for the compressed layer
	if err != nil {
		t.Fatal(err)
	}
	// Odd spacing on purpose: the stored config must be byte-exact.
	config := []byte(fmt.Sprintf(`{"architecture":"amd64", "os":"linux","config":{"Cmd":["sh"]},`+
		`"rootfs":{"type":"layers","diff_ids":["%s"]},"history":[{"created":"2024-01-02T03:04:05Z","created_by":"ADD rootfs"},`+
		`{"created":"2024-01-02T03:04:06Z","created_by":"CMD [\"sh\"]","empty_layer":true}]}`, l.DiffID))
	manifest := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
		`"config":{"digest":"%s","size":%d},"layers":[{"digest":"%s","size":%d}]}`,
		digest.FromBytes(config), len(config), layerBlob, len(tarb)))
	rd := ""
	if repoDigestName != "" {
		rd = repoDigestName + "@" + digest.FromBytes(manifest).String()
	}
	img, err := s.Register(context.Background(), config, RegisterOptions{Manifest: manifest, Ref: ref, RepoDigest: rd})
	if err != nil {
		t.Fatal(err)
	}
	return img, config, manifest
}

func blobCount(t *testing.T, s *Store) int {
	n := 0
	if err := s.Content().Walk(func(digest.Digest, int64) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRegisterGetDelete(t *testing.T) {
	s, ls, root := newStores(t)
	tarb := rootfsTar(t, "")
	img, config, manifest := registerTar(t, s, tarb, "localhost:5000/x:1", "localhost:5000/x")
	if img.ID != digest.FromBytes(config) || img.Manifest != digest.FromBytes(manifest) {
		t.Fatalf("id %s manifest %s", img.ID, img.Manifest)
	}
	if got, err := s.Content().ReadAll(img.ID); err != nil || !bytes.Equal(got, config) {
		t.Fatalf("config blob not byte-exact: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(root, "images/configs", img.ID.Encoded())); !bytes.Equal(got, config) {
		t.Fatal("config file not byte-exact")
	}
	rd := "localhost:5000/x@" + img.Manifest.String()
	if !reflect.DeepEqual(img.RepoDigests, []string{rd}) || !reflect.DeepEqual(img.RepoTags, []string{"localhost:5000/x:1"}) {
		t.Fatalf("refs %v %v", img.RepoTags, img.RepoDigests)
	}
	got, err := s.Get(rd)
	if err != nil || got.ID != img.ID {
		t.Fatalf("Get by repo digest: %v", err)
	}
	if _, err := s.Get("localhost:5000/y@" + img.Manifest.String()); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("other repo's digest: %v", err)
	}
	// Survives a restart.
	s2, err := NewStore(root, ls)
	if err != nil {
		t.Fatal(err)
	}
	got, err = s2.Get(rd)
	if err != nil || got.Manifest != img.Manifest || !reflect.DeepEqual(got.RepoDigests, img.RepoDigests) {
		t.Fatalf("after restart: %+v %v", got, err)
	}
	if blobCount(t, s2) != 3 {
		t.Fatalf("blobs after restart: %d, want config, manifest, layer", blobCount(t, s2))
	}
	// Registering again adds a tag only.
	img2, _, _ := registerTar(t, s2, tarb, "localhost:5000/x:2", "")
	if img2.ID != img.ID || len(img2.RepoTags) != 2 {
		t.Fatalf("re-register: %+v", img2)
	}
	rs, err := s2.Delete("localhost:5000/x:2", false, notUsed)
	if err != nil || results(rs) != "Untagged: localhost:5000/x:2\n" {
		t.Fatalf("untag: %q %v", results(rs), err)
	}
	// The last tag of the repository takes its digests along, and the image.
	rs, err = s2.Delete("localhost:5000/x:1", false, notUsed)
	want := "Untagged: localhost:5000/x:1\nUntagged: " + rd + "\nDeleted: " + img.ID.String() + "\nDeleted: " + img.TopLayer.String() + "\n"
	if err != nil || results(rs) != want {
		t.Fatalf("delete:\n%s%v\nwant\n%s", results(rs), err, want)
	}
	if n := blobCount(t, s2); n != 0 {
		t.Fatalf("%d blobs left after delete", n)
	}
	if ents, _ := os.ReadDir(filepath.Join(root, "images/meta")); len(ents) != 0 {
		t.Fatalf("meta left: %v", ents)
	}
}

func TestDeleteByRepoDigest(t *testing.T) {
	s, _, _ := newStores(t)
	img, _, _ := registerTar(t, s, rootfsTar(t, ""), "", "localhost:5000/x")
	if len(img.RepoTags) != 0 {
		t.Fatal(img.RepoTags)
	}
	rd := "localhost:5000/x@" + img.Manifest.String()
	rs, err := s.Delete(rd, false, notUsed)
	if err != nil || !strings.HasPrefix(results(rs), "Untagged: "+rd+"\nDeleted: "+img.ID.String()) {
		t.Fatalf("%q %v", results(rs), err)
	}
}

func TestGCRemovesOrphans(t *testing.T) {
	s, ls, root := newStores(t)
	img, _, _ := registerTar(t, s, rootfsTar(t, ""), "keep", "")
	// A pull that died after writing a blob and a layer.
	orphan, _ := s.Content().Put([]byte("orphan blob"))
	l, err := ls.Apply("", bytes.NewReader(rootfsTar(t, "x:x:1:1::/:/bin/sh\n")))
	if err != nil {
		t.Fatal(err)
	}
	// While leased, GC leaves them alone.
	release := s.Lease()
	done := make(chan int64)
	go func() { n, _ := s.GC(context.Background()); done <- n }()
	if _, err := ls.Get(l.ChainID); err != nil {
		t.Fatal("GC ran under a lease")
	}
	release()
	if n := <-done; n < l.Size {
		t.Fatalf("GC reclaimed %d", n)
	}
	if _, err := s.Content().Stat(orphan); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("orphan blob kept: %v", err)
	}
	if _, err := ls.Get(l.ChainID); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("orphan layer kept: %v", err)
	}
	// The image and its blobs are intact, also after a restart's GC.
	if _, err := NewStore(root, ls); err != nil {
		t.Fatal(err)
	}
	if _, err := ls.Get(img.TopLayer); err != nil {
		t.Fatal(err)
	}
	if blobCount(t, s) != 3 {
		t.Fatalf("blobs: %d", blobCount(t, s))
	}
}

func TestPrune(t *testing.T) {
	s, ls, _ := newStores(t)
	used := imp(t, s, rootfsTar(t, "u\n"), "")
	dangling := imp(t, s, rootfsTar(t, "d\n"), "")
	tagged := imp(t, s, rootfsTar(t, "t\n"), "tagged")
	inUse := func(id digest.Digest) string {
		if id == used.ID {
			return "c0ffee"
		}
		return ""
	}
	rs, n, err := s.Prune(context.Background(), false, inUse)
	want := "Deleted: " + dangling.ID.String() + "\nDeleted: " + dangling.TopLayer.String() + "\n"
	if err != nil || results(rs) != want || n == 0 {
		t.Fatalf("prune: %q %d %v", results(rs), n, err)
	}
	rs, _, err = s.Prune(context.Background(), true, inUse)
	if err != nil || !strings.Contains(results(rs), "Untagged: tagged:latest\nDeleted: "+tagged.ID.String()) {
		t.Fatalf("prune -a: %q %v", results(rs), err)
	}
	if _, err := s.Get(used.ID.String()); err != nil {
		t.Fatal("pruned an image in use")
	}
	if l, _ := ls.List(); len(l) != 1 {
		t.Fatalf("layers left: %v", l)
	}
}
