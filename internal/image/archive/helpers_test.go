package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharf/wharf/internal/image"
	"github.com/wharf/wharf/internal/layer"
	"github.com/wharf/wharf/internal/testenv"
)

// newStore is an image store over a real layer store in a temp data root.
func newStore(t *testing.T) *image.Store {
	t.Helper()
	testenv.RequireRoot(t)
	root := t.TempDir()
	ls, err := layer.NewStore(root)
	if err != nil {
		t.Fatal(err)
	}
	s, err := image.NewStore(root, ls)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type file struct {
	name, body, link string
	typ              byte
}

// tarOf builds a tar in the order given; directories end in "/".
func tarOf(t testing.TB, files ...file) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), ModTime: time.Unix(1700000000, 0), Typeflag: f.typ}
		switch {
		case f.typ == tar.TypeSymlink || f.typ == tar.TypeLink:
			h.Linkname, h.Size = f.link, 0
		case strings.HasSuffix(f.name, "/"):
			h.Typeflag, h.Mode = tar.TypeDir, 0o755
		case f.typ == 0:
			h.Typeflag = tar.TypeReg
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(f.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeTemp stores b in a file of the test's temp dir.
func writeTemp(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// legacyArchive writes a `docker save` archive of the old layout with the
// busybox rootfs and one small layer on top.
func legacyArchive(t *testing.T, tags ...string) string {
	t.Helper()
	top := writeTemp(t, "top.tar", topTar(t))
	p := filepath.Join(t.TempDir(), "legacy.tar")
	if err := testenv.WriteDockerArchive(p, testenv.ImageSpec{Tags: tags, Layers: []string{testenv.BusyboxTar(t), top}}); err != nil {
		t.Fatal(err)
	}
	return p
}

func topTar(t testing.TB) []byte {
	return tarOf(t, file{name: "etc/"}, file{name: "etc/motd", body: "hello from the top layer\n"})
}

func loadFile(t *testing.T, s *image.Store, path string) ([]string, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	err = Load(context.Background(), s, f, func(l string) { lines = append(lines, l) })
	return lines, err
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// tarDir archives an OCI layout directory (as `tar -C dir -cf - .` does).
func tarDir(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "layout.tar")
	run(t, "tar", "-C", dir, "-cf", p, ".")
	return p
}

func mustGet(t *testing.T, s *image.Store, ref string) *image.Image {
	t.Helper()
	img, err := s.Get(ref)
	if err != nil {
		t.Fatalf("Get(%q): %v", ref, err)
	}
	return img
}
