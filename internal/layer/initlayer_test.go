package layer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/errdefs"
)

func changeLines(t *testing.T, s *Store, id string) string {
	t.Helper()
	cs, err := s.RWChanges(id)
	must(t, err)
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%c %s", "CAD"[c.Kind], c.Path))
	}
	return strings.Join(out, ",")
}

func lstat(t *testing.T, p string) *unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return &st
}

func TestInitLayer(t *testing.T) {
	s, _ := newStore(t)
	img, err := s.Apply("", bytes.NewReader(mkTar(t,
		ent{name: "etc/", typ: '5', mode: 0o750, uid: 5, gid: 6}, ent{name: "etc/passwd", body: "root\n"},
		ent{name: "etc/mtab", body: "image mtab"}, ent{name: "etc/hosts", body: "image hosts"},
		ent{name: "proc/", typ: '5', mode: 0o555},
		ent{name: "usr/", typ: '5'}, ent{name: "usr/sbin/", typ: '5', mode: 0o700},
		ent{name: "sbin", typ: '2', link: "usr/sbin"},
	)))
	must(t, err)
	must(t, s.CreateRW("c1", img.ChainID))
	t.Cleanup(func() { s.RemoveRW("c1") })
	must(t, s.EnsureInitFile("c1", "/sbin/wharf-init"))
	init := s.initDir("c1")

	// What the init layer holds: Docker's entries the image lacks, no more.
	var got []string
	must(t, filepath.Walk(init, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == init {
			return err
		}
		rel, _ := filepath.Rel(init, p)
		got = append(got, fmt.Sprintf("%s:%v", rel, fi.Mode()))
		return nil
	}))
	want := ".dockerenv:-rwxr-xr-x dev:drwxr-xr-x dev/console:-rwxr-xr-x dev/pts:drwxr-xr-x dev/shm:drwxr-xr-x " +
		"etc:drwxr-x--- etc/hostname:-rwxr-xr-x etc/resolv.conf:-rwxr-xr-x sys:drwxr-xr-x " +
		"usr:drwxr-xr-x usr/sbin:drwx------ usr/sbin/wharf-init:-rwxr-xr-x"
	if g := strings.Join(got, " "); g != want {
		t.Fatalf("init layer:\n%s\nwant\n%s", g, want)
	}
	// A dir the image has keeps its owner and times in the merged view.
	ist, est := lstat(t, filepath.Join(init, "etc")), lstat(t, filepath.Join(s.DiffDir(img.ChainID), "etc"))
	if ist.Uid != 5 || ist.Gid != 6 || ist.Mtim != est.Mtim {
		t.Fatalf("init /etc %d:%d %v, image's %v", ist.Uid, ist.Gid, ist.Mtim, est.Mtim)
	}

	m := mountRW(t, s, "c1")
	for name, body := range map[string]string{"etc/mtab": "image mtab", "etc/hosts": "image hosts", "etc/passwd": "root\n", "etc/hostname": ""} {
		if b, err := os.ReadFile(filepath.Join(m, name)); err != nil || string(b) != body {
			t.Fatalf("%s: %q %v", name, b, err)
		}
	}
	if l, err := os.Readlink(filepath.Join(m, "sbin")); err != nil || l != "usr/sbin" {
		t.Fatalf("image's /sbin symlink: %q %v", l, err)
	}
	if _, err := os.Stat(filepath.Join(m, "sbin/wharf-init")); err != nil {
		t.Fatal(err)
	}
	// The runtime's mounts on the targets leave the upper dir untouched.
	for _, p := range []string{"etc/hostname", "sbin/wharf-init"} {
		must(t, unix.Mount("/proc/self/exe", filepath.Join(m, p), "", unix.MS_BIND, ""))
		must(t, unix.Unmount(filepath.Join(m, p), 0))
	}
	if n := names(t, filepath.Join(s.rwDir("c1"), "upper")); n != "" {
		t.Fatalf("upper dir after mounts: %s", n)
	}
	if c := changeLines(t, s, "c1"); c != "" {
		t.Fatalf("diff of an untouched container: %s", c)
	}
	if tar := readAll(t, func() (rc io.ReadCloser, err error) { return s.RWDiffTar("c1") }); len(tarNames(t, tar)) != 0 {
		t.Fatalf("commit of an untouched container: %v", tarNames(t, tar))
	}

	must(t, os.Remove(filepath.Join(m, "etc/passwd")))
	must(t, os.WriteFile(filepath.Join(m, "new"), []byte("x\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(m, "etc/hostname"), []byte("h\n"), 0o644))
	must(t, unix.Unmount(m, 0))
	if c := changeLines(t, s, "c1"); c != "C /etc,C /etc/hostname,D /etc/passwd,A /new" {
		t.Fatalf("diff: %s", c)
	}

	if err := s.RemoveRW("c1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(init); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("init layer left: %v", err)
	}
	if err := s.EnsureInitFile("c1", "/x"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("EnsureInitFile on a removed layer: %v", err)
	}
}

// A layer made before init layers keeps working: image, upper dir, no init.
func TestRWWithoutInitLayer(t *testing.T) {
	s, _ := newStore(t)
	img, err := s.Apply("", bytes.NewReader(mkTar(t, ent{name: "f", body: "f"})))
	must(t, err)
	must(t, s.CreateRW("old", img.ChainID))
	must(t, os.RemoveAll(s.initDir("old")))
	must(t, s.EnsureInitFile("old", "/sbin/wharf-init"))
	dirs, err := s.Dirs("old")
	must(t, err)
	if len(dirs) != 2 || dirs[1] != s.DiffDir(img.ChainID) {
		t.Fatalf("dirs: %v", dirs)
	}
	m := mountRW(t, s, "old")
	if n := names(t, m); n != "f" {
		t.Fatalf("root: %s", n)
	}
	must(t, os.WriteFile(filepath.Join(m, "g"), nil, 0o644))
	must(t, unix.Unmount(m, 0))
	if c := changeLines(t, s, "old"); c != "A /g" {
		t.Fatalf("diff: %s", c)
	}
	must(t, s.RemoveRW("old"))
}

// Entries the image lacks as overlay sees it (whiteouts, opaque dirs) are
// made; a symlinked /etc is followed, not replaced.
func TestInitLayerFollowsImage(t *testing.T) {
	s, _ := newStore(t)
	base, err := s.Apply("", bytes.NewReader(mkTar(t,
		ent{name: "dev/", typ: '5'}, ent{name: "dev/pts/", typ: '5'}, ent{name: "dev/shm/", typ: '5'},
		ent{name: ".dockerenv", body: "old"},
		ent{name: "real/", typ: '5'}, ent{name: "real/etc/", typ: '5'}, ent{name: "real/etc/hosts", body: "h"},
	)))
	must(t, err)
	top, err := s.Apply(base.ChainID, bytes.NewReader(mkTar(t,
		ent{name: "dev/", typ: '5'}, ent{name: "dev/.wh..wh..opq"}, // pts and shm gone
		ent{name: ".wh..dockerenv"},
		ent{name: "etc", typ: '2', link: "/real/etc"},
	)))
	must(t, err)
	must(t, s.CreateRW("c2", top.ChainID))
	t.Cleanup(func() { s.RemoveRW("c2") })
	init := s.initDir("c2")
	for _, p := range []string{"dev/pts", "dev/shm", ".dockerenv", "real/etc/hostname", "real/etc/resolv.conf", "real/etc/mtab"} {
		lstat(t, filepath.Join(init, p))
	}
	for _, p := range []string{"etc", "real/etc/hosts"} {
		if _, err := os.Lstat(filepath.Join(init, p)); err == nil {
			t.Fatalf("init layer shadows the image's %s", p)
		}
	}
	m := mountRW(t, s, "c2")
	if b, err := os.ReadFile(filepath.Join(m, "real/etc/hosts")); err != nil || string(b) != "h" {
		t.Fatalf("hosts through the symlink: %q %v", b, err)
	}
	if l, err := os.Readlink(filepath.Join(m, "real/etc/mtab")); err != nil || l != "/proc/mounts" {
		t.Fatalf("mtab: %q %v", l, err)
	}
	if c := changeLines(t, s, "c2"); c != "" {
		t.Fatalf("diff: %s", c)
	}
}
