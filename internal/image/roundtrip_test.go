package image

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"
)

// A container's changes (a deleted lower file, an opaque dir) committed,
// then moved layer by layer (DiffTar) into another store and registered
// with the same config bytes: the same image ID, and the same files through
// a real overlay mount.
func TestCommitRegisterRoundTrip(t *testing.T) {
	s, ls, _ := newStores(t)
	base := imp(t, s, rootfsTar(t, ""), "base")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(ls.CreateRW("c1", base.TopLayer))
	t.Cleanup(func() { ls.RemoveRW("c1") })
	ms, err := ls.Mounts("c1")
	must(err)
	root := t.TempDir()
	must(unix.Mount("overlay", root, "overlay", 0, strings.Join(ms[0].Options, ",")))
	mounted := true
	t.Cleanup(func() {
		if mounted {
			unix.Unmount(root, unix.MNT_DETACH)
		}
	})
	must(os.Remove(filepath.Join(root, "etc/passwd")))
	must(os.RemoveAll(filepath.Join(root, "bin")))
	must(os.Mkdir(filepath.Join(root, "bin"), 0o755))
	must(os.WriteFile(filepath.Join(root, "bin/only"), []byte("only\n"), 0o755))
	must(unix.Unmount(root, 0))
	mounted = false

	diff, err := ls.RWDiffTar("c1")
	must(err)
	img, err := s.Commit(context.Background(), base, diff, CommitOptions{Ref: "committed", Comment: "c"})
	diff.Close()
	must(err)

	s2, ls2, _ := newStores(t)
	release := s2.Lease()
	var top digest.Digest
	for i, c := range chainIDs(img.Config.RootFS.DiffIDs) {
		// The base came from a tar in another order: move that tar as is (a
		// save would keep its blob); the committed layer is canonical.
		var rc io.ReadCloser = io.NopCloser(bytes.NewReader(rootfsTar(t, "")))
		if i > 0 {
			rc, err = ls.DiffTar(c)
			must(err)
		}
		l, err := ls2.Apply(top, rc)
		rc.Close()
		must(err)
		if l.ChainID != c {
			t.Fatalf("layer %s came back as %s", c, l.ChainID)
		}
		top = l.ChainID
	}
	config, err := s.Content().ReadAll(img.ID)
	must(err)
	img2, err := s2.Register(context.Background(), config, RegisterOptions{Ref: "moved"})
	release()
	must(err)
	if img2.ID != img.ID {
		t.Fatalf("registered as %s, committed as %s", img2.ID, img.ID)
	}
	var lower []string
	for _, c := range chainIDs(img2.Config.RootFS.DiffIDs) {
		lower = append([]string{ls2.DiffDir(c)}, lower...)
	}
	mnt := t.TempDir()
	must(unix.Mount("overlay", mnt, "overlay", unix.MS_RDONLY, "lowerdir="+strings.Join(lower, ":")))
	defer unix.Unmount(mnt, unix.MNT_DETACH)
	if _, err := os.Lstat(filepath.Join(mnt, "etc/passwd")); !os.IsNotExist(err) {
		t.Fatalf("deleted file is back: %v", err)
	}
	ents, _ := os.ReadDir(filepath.Join(mnt, "bin"))
	if len(ents) != 1 || ents[0].Name() != "only" {
		t.Fatalf("opaque dir shows %v", ents)
	}
	f, err := os.Open(filepath.Join(mnt, "bin/only"))
	must(err)
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "only\n" {
		t.Fatalf("content %q", b)
	}
}
