package layer

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/errdefs"
)

// mountRW mounts the container layer at a temp dir and unmounts it at cleanup.
func mountRW(t *testing.T, s *Store, id string) string {
	t.Helper()
	ms, err := s.Mounts(id)
	must(t, err)
	if len(ms) != 1 || ms[0].Type != "overlay" || ms[0].Source != "overlay" || ms[0].Target != "" {
		t.Fatalf("mounts: %+v", ms)
	}
	target := t.TempDir()
	must(t, unix.Mount(ms[0].Source, target, ms[0].Type, 0, strings.Join(ms[0].Options, ",")))
	t.Cleanup(func() { unix.Unmount(target, unix.MNT_DETACH) })
	return target
}

func names(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	must(t, err)
	var n []string
	for _, e := range ents {
		n = append(n, e.Name())
	}
	sort.Strings(n)
	return strings.Join(n, ",")
}

func TestWhiteoutsThroughOverlay(t *testing.T) {
	s, _ := newStore(t)
	base, err := s.Apply("", bytes.NewReader(mkTar(t,
		ent{name: "d/", typ: '5'}, ent{name: "d/a", body: "a"}, ent{name: "d/b", body: "b"},
		ent{name: "f", body: "f"},
		ent{name: "o/", typ: '5'}, ent{name: "o/x", body: "x"}, ent{name: "o/y", body: "y"},
		ent{name: "keep", body: "k"},
	)))
	must(t, err)
	// The opaque marker comes after the dir's new content: markers are
	// applied once the whole layer is read.
	top, err := s.Apply(base.ChainID, bytes.NewReader(mkTar(t,
		ent{name: "d/.wh.a"}, ent{name: ".wh.f"},
		ent{name: "o/", typ: '5'}, ent{name: "o/z", body: "z"}, ent{name: "o/.wh..wh..opq"},
	)))
	must(t, err)
	diff := s.DiffDir(top.ChainID)
	var st unix.Stat_t
	must(t, unix.Lstat(diff+"/d/a", &st))
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
		t.Fatalf("whiteout is not a 0/0 char device: %+v", st)
	}
	if _, err := os.Lstat(diff + "/d/.wh.a"); err == nil {
		t.Fatal(".wh. file kept in the diff")
	}

	must(t, s.CreateRW("c1", top.ChainID))
	if err := s.CreateRW("c1", top.ChainID); !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("second CreateRW: %v", err)
	}
	dirs, err := s.Dirs("c1")
	must(t, err)
	if len(dirs) != 4 || !strings.HasSuffix(dirs[0], "containers/c1/upper") || !strings.HasSuffix(dirs[1], "containers/c1/init") ||
		dirs[2] != diff || dirs[3] != s.DiffDir(base.ChainID) {
		t.Fatalf("dirs: %v", dirs)
	}
	m := mountRW(t, s, "c1")
	if got := names(t, m); got != ".dockerenv,d,dev,etc,keep,o,proc,sys" {
		t.Fatalf("root: %s", got)
	}
	if got := names(t, m+"/d"); got != "b" {
		t.Fatalf("d: %s (whiteout not honoured)", got)
	}
	if got := names(t, m+"/o"); got != "z" {
		t.Fatalf("o: %s (opaque dir not honoured)", got)
	}
	must(t, os.WriteFile(m+"/new", []byte("12345"), 0o644))
	if n, err := s.RWSize("c1"); err != nil || n != 5 {
		t.Fatalf("RWSize %d %v", n, err)
	}
	if err := s.RemoveRW("c1"); !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("RemoveRW while mounted: %v", err)
	}
	must(t, unix.Unmount(m, 0))
	must(t, s.RemoveRW("c1"))
	if _, err := s.Dirs("c1"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("Dirs after RemoveRW: %v", err)
	}
}

func TestRWWithoutLayers(t *testing.T) {
	s, root := newStore(t)
	// The container service may have created the dir with its own files.
	must(t, os.MkdirAll(filepath.Join(root, "containers", "c2"), 0o700))
	must(t, os.WriteFile(filepath.Join(root, "containers", "c2", "config.v2.json"), []byte("{}"), 0o600))
	must(t, s.CreateRW("c2", ""))
	m := mountRW(t, s, "c2")
	if got := names(t, m); got != ".dockerenv,dev,etc,proc,sys" { // the init layer
		t.Fatalf("empty image rootfs has %s", got)
	}
	must(t, os.WriteFile(m+"/x", nil, 0o644))
	must(t, unix.Unmount(m, 0))
	must(t, s.RemoveRW("c2"))
	if got := names(t, filepath.Join(root, "containers", "c2")); got != "config.v2.json" {
		t.Fatalf("left in container dir: %s", got)
	}
	if err := s.CreateRW("../x", ""); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("bad id: %v", err)
	}
}
