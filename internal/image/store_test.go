package image

import (
	"archive/tar"
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
	"github.com/wharf/wharf/internal/layer"
)

// rootfsTar is a tiny busybox rootfs: /bin/busybox, /bin/sh -> busybox, /etc/passwd.
func rootfsTar(t *testing.T, extra string) []byte {
	t.Helper()
	bin, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Skip("needs busybox-static")
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(h *tar.Header, body []byte) {
		h.Size = int64(len(body))
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(body)
	}
	add(&tar.Header{Name: "bin/", Typeflag: tar.TypeDir, Mode: 0o755}, nil)
	add(&tar.Header{Name: "bin/busybox", Typeflag: tar.TypeReg, Mode: 0o755}, bin)
	add(&tar.Header{Name: "bin/sh", Typeflag: tar.TypeSymlink, Linkname: "busybox"}, nil)
	add(&tar.Header{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755}, nil)
	add(&tar.Header{Name: "etc/passwd", Typeflag: tar.TypeReg, Mode: 0o644}, []byte("root:x:0:0:root:/root:/bin/sh\n"+extra))
	tw.Close()
	return buf.Bytes()
}

func newStores(t *testing.T) (*Store, *layer.Store, string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	root := t.TempDir()
	ls, err := layer.NewStore(root)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewStore(root, ls)
	if err != nil {
		t.Fatal(err)
	}
	return s, ls, root
}

func imp(t *testing.T, s *Store, tarb []byte, ref string, changes ...string) *Image {
	t.Helper()
	img, err := s.Import(context.Background(), bytes.NewReader(tarb), ref, changes, "msg "+ref)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestImportAndGet(t *testing.T) {
	s, ls, root := newStores(t)
	tarb := rootfsTar(t, "")
	img := imp(t, s, tarb, "busybox", `CMD ["sh"]`, "ENV A=1")
	raw, err := os.ReadFile(filepath.Join(root, "images", "configs", img.ID.Encoded()))
	if err != nil || digest.FromBytes(raw) != img.ID {
		t.Fatalf("config not stored by digest: %v", err)
	}
	for _, want := range []string{`"architecture":"amd64"`, `"os":"linux"`, `"rootfs":{"type":"layers","diff_ids":["` + digest.FromBytes(tarb).String(), `"comment":"msg busybox"`, `"Cmd":["sh"]`} {
		if !strings.Contains(string(raw), want) {
			t.Fatalf("config lacks %s:\n%s", want, raw)
		}
	}
	l, err := ls.Get(img.TopLayer)
	if err != nil || img.TopLayer != digest.FromBytes(tarb) || img.Size != l.Size || img.Size < 1e6 {
		t.Fatalf("top %s size %d layer %+v %v", img.TopLayer, img.Size, l, err)
	}
	if !reflect.DeepEqual(img.RepoTags, []string{"busybox:latest"}) || img.Created.IsZero() {
		t.Fatalf("tags %v created %v", img.RepoTags, img.Created)
	}
	for _, ref := range []string{"busybox", "busybox:latest", "docker.io/library/busybox:latest", "library/busybox",
		img.ID.String(), img.ID.Encoded(), img.ID.Encoded()[:12], img.ID.Encoded()[:1], "sha256:" + img.ID.Encoded()[:5]} {
		got, err := s.Get(ref)
		if err != nil || got.ID != img.ID {
			t.Fatalf("Get(%q): %v", ref, err)
		}
	}
	for _, ref := range []string{"nosuch", "busybox:1", "sha256:" + strings.Repeat("0", 64), "zz", "Bad Ref"} {
		_, err := s.Get(ref)
		if !errors.Is(err, errdefs.ErrNotFound) || err.Error() != "No such image: "+ref {
			t.Fatalf("Get(%q): %v", ref, err)
		}
	}
	// Reopen: configs and tags persist.
	s2, err := NewStore(root, ls)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s2.Get("busybox")
	if err != nil || got.ID != img.ID || !reflect.DeepEqual(got.Config, img.Config) {
		t.Fatalf("after reopen: %+v %v", got, err)
	}
}

func TestImportBadInput(t *testing.T) {
	s, ls, _ := newStores(t)
	_, err := s.Import(context.Background(), bytes.NewReader(rootfsTar(t, "")), "", []string{"ADD a b"}, "")
	if !errors.Is(err, errdefs.ErrInvalid) || err.Error() != "add is not a valid change command" {
		t.Fatalf("ADD change: %v", err)
	}
	if _, err := s.Import(context.Background(), bytes.NewReader(rootfsTar(t, "")), "Bad:ref:x", nil, ""); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("bad ref: %v", err)
	}
	if _, err := s.Import(context.Background(), strings.NewReader("not a tar at all, just text that is long enough to fill a header block"), "", nil, ""); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("garbage: %v", err)
	}
	if all, _ := ls.List(); len(all) != 0 {
		t.Fatalf("failed imports left layers: %v", all)
	}
	// An untagged import is listed as dangling.
	img := imp(t, s, rootfsTar(t, ""), "")
	if len(img.RepoTags) != 0 {
		t.Fatalf("tags %v", img.RepoTags)
	}
	list, _ := s.List()
	if len(list) != 1 {
		t.Fatalf("list %d", len(list))
	}
}

func TestAmbiguousPrefix(t *testing.T) {
	s, _, _ := newStores(t)
	tarb := rootfsTar(t, "")
	seen := map[byte]digest.Digest{}
	var c byte
	for i := 0; ; i++ {
		img := imp(t, s, tarb, "", fmt.Sprintf("LABEL n=%d", i))
		h := img.ID.Encoded()[0]
		if _, ok := seen[h]; ok {
			c = h
			break
		}
		seen[h] = img.ID
	}
	_, err := s.Get(string(c))
	if !errors.Is(err, errdefs.ErrInvalid) || !strings.Contains(err.Error(), "ambiguous") {
		t.Fatalf("ambiguous prefix: %v", err)
	}
}

func TestTag(t *testing.T) {
	s, _, _ := newStores(t)
	img := imp(t, s, rootfsTar(t, ""), "busybox")
	if err := s.Tag("busybox", "localhost:5000/my/box:v1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Tag(img.ID.Encoded()[:6], "other"); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Get("localhost:5000/my/box:v1")
	want := []string{"busybox:latest", "localhost:5000/my/box:v1", "other:latest"}
	if got == nil || !reflect.DeepEqual(got.RepoTags, want) {
		t.Fatalf("tags %v", got)
	}
	for _, bad := range []string{"UPPER", "a:b:c", "x@sha256:" + strings.Repeat("a", 64), strings.Repeat("a", 64)} {
		if err := s.Tag("busybox", bad); !errors.Is(err, errdefs.ErrInvalid) {
			t.Fatalf("Tag %q: %v", bad, err)
		}
	}
	if err := s.Tag("nosuch", "x"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("Tag of missing: %v", err)
	}
}
