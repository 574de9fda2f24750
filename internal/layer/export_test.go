package layer

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"
)

func readAll(t *testing.T, open func() (io.ReadCloser, error)) []byte {
	t.Helper()
	rc, err := open()
	must(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	must(t, err)
	return b
}

// tree describes every file under dir: type, mode, owner, mtime, size,
// content hash, link target, device, xattrs.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		var st unix.Stat_t
		must(t, unix.Lstat(p, &st))
		line := fmt.Sprintf("%s mode=%o uid=%d gid=%d nlink=%d rdev=%d", rel, st.Mode, st.Uid, st.Gid, st.Nlink, st.Rdev)
		if !fi.IsDir() && !isWhiteout(&st) {
			line += fmt.Sprintf(" mtime=%d", st.Mtim.Sec)
		}
		switch {
		case fi.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			line += fmt.Sprintf(" sha=%x", sha256.Sum256(b))
		case fi.Mode()&os.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			line += " -> " + l
		}
		var h tar.Header
		must(t, xattrs(p, &h))
		keys := []string{}
		for k, v := range h.PAXRecords {
			keys = append(keys, k+"="+v)
		}
		sort.Strings(keys)
		line += fmt.Sprint(keys)
		if isOpaque(p) {
			line += " opaque"
		}
		out = append(out, line)
		return nil
	})
	must(t, err)
	return out
}

func TestDiffTarRoundTrip(t *testing.T) {
	s, _ := newStore(t)
	base, err := s.Apply("", bytes.NewReader(mkTar(t,
		ent{name: "d/", typ: '5'}, ent{name: "d/a", body: "a"}, ent{name: "gone", body: "g"},
		ent{name: "o/", typ: '5'}, ent{name: "o/x", body: "x"},
	)))
	must(t, err)
	input := mkTar(t,
		ent{name: "d/", typ: '5', mode: 0o750, uid: 5, gid: 6},
		ent{name: "d/.wh.a"},
		ent{name: ".wh.gone"},
		ent{name: "o/", typ: '5'}, ent{name: "o/.wh..wh..opq"}, ent{name: "o/new", body: "new"},
		ent{name: "bin/", typ: '5'},
		ent{name: "bin/tool", body: "#!/bin/sh\n", mode: 0o4755, xattrs: map[string]string{"user.k": "v"}},
		ent{name: "bin/alias", typ: tar.TypeLink, link: "bin/tool"},
		ent{name: "bin/sym", typ: tar.TypeSymlink, link: "/bin/tool"},
		ent{name: "dev/", typ: '5'}, ent{name: "dev/null", typ: tar.TypeChar, major: 1, minor: 3, mode: 0o666},
		ent{name: "dev/fifo", typ: tar.TypeFifo},
		ent{name: strings.Repeat("long/", 30) + "name", body: "deep"},
	)
	l1, err := s.Apply(base.ChainID, bytes.NewReader(input))
	must(t, err)
	if orig := readAll(t, func() (io.ReadCloser, error) { return s.DiffTar(l1.ChainID) }); !bytes.Equal(orig, input) {
		t.Fatal("DiffTar does not give back the applied tar")
	}
	// A layer without tar-split metadata (applied by an older version) is
	// walked in the canonical order.
	must(t, os.Remove(filepath.Join(s.dir(l1.ChainID), splitFile)))
	t1 := readAll(t, func() (io.ReadCloser, error) { return s.DiffTar(l1.ChainID) })

	// Elsewhere: the tar applies to the same tree and the same DiffID, and
	// its own DiffTar is byte-identical.
	s2, _ := newStore(t)
	base2, err := s2.Apply("", bytes.NewReader(mkTar(t, ent{name: "x", body: "other base"})))
	must(t, err)
	l2, err := s2.Apply(base2.ChainID, bytes.NewReader(t1))
	must(t, err)
	if l2.DiffID != digest.FromBytes(t1) {
		t.Fatalf("DiffID %s, tar %s", l2.DiffID, digest.FromBytes(t1))
	}
	if a, b := tree(t, s.DiffDir(l1.ChainID)), tree(t, s2.DiffDir(l2.ChainID)); !reflect.DeepEqual(a, b) {
		t.Fatalf("trees differ:\n%s\n---\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
	t2 := readAll(t, func() (io.ReadCloser, error) { return s2.DiffTar(l2.ChainID) })
	if !bytes.Equal(t1, t2) {
		t.Fatal("DiffTar of the round-tripped layer differs")
	}
	// The tar says what we expect: whiteouts, opaque marker after its dir,
	// hardlink, numeric owners, no names, whole-second times.
	var got []string
	tr := tar.NewReader(bytes.NewReader(t1))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		must(t, err)
		if h.Uname != "" || h.Gname != "" || !h.AccessTime.IsZero() || h.ModTime.Nanosecond() != 0 {
			t.Fatalf("header %+v", h)
		}
		got = append(got, fmt.Sprintf("%s %c %s", h.Name, h.Typeflag, h.Linkname))
	}
	// Sorted by the names on disk: the whiteout of "gone" sorts as "gone".
	want := []string{"bin/ 5 ", "bin/alias 0 ", "bin/sym 2 /bin/tool", "bin/tool 1 bin/alias",
		"d/ 5 ", "d/.wh.a 0 ", "dev/ 5 ", "dev/fifo 6 ", "dev/null 3 ", ".wh.gone 0 "}
	if !reflect.DeepEqual(got[:len(want)], want) {
		t.Fatalf("entries:\n%s", strings.Join(got, "\n"))
	}
	if !strings.Contains(strings.Join(got, "\n"), "o/ 5 \no/.wh..wh..opq 0 \no/new 0 ") {
		t.Fatalf("opaque dir entries:\n%s", strings.Join(got, "\n"))
	}
}

// tarNames lists a tar's entry names.
func tarNames(t *testing.T, b []byte) []string {
	t.Helper()
	var out []string
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		must(t, err)
		out = append(out, h.Name)
	}
}

func TestCommitUpperThroughOverlay(t *testing.T) {
	s, _ := newStore(t)
	base, err := s.Apply("", bytes.NewReader(mkTar(t,
		ent{name: "etc/", typ: '5'}, ent{name: "etc/passwd", body: "root\n"},
		ent{name: "a/", typ: '5'}, ent{name: "a/x", body: "x"}, ent{name: "a/y", body: "y"},
		ent{name: "del", body: "delete me"}, ent{name: "keep/", typ: '5'}, ent{name: "keep/k", body: "k"},
	)))
	must(t, err)
	must(t, s.CreateRW("c1", base.ChainID))
	t.Cleanup(func() { s.RemoveRW("c1") })
	root := mountRW(t, s, "c1")
	must(t, os.Remove(filepath.Join(root, "del")))
	must(t, os.RemoveAll(filepath.Join(root, "a")))
	must(t, os.Mkdir(filepath.Join(root, "a"), 0o755)) // overlay makes it opaque
	must(t, os.WriteFile(filepath.Join(root, "a/z"), []byte("z"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root\nme\n"), 0o644))
	must(t, os.MkdirAll(filepath.Join(root, "new/sub"), 0o755))
	// keep/ is in the upper and the base but not in the init layer between them.
	must(t, os.WriteFile(filepath.Join(root, "keep/k2"), []byte("k2"), 0o644))
	must(t, unix.Unmount(root, 0))

	changes, err := s.RWChanges("c1")
	must(t, err)
	var got []string
	for _, c := range changes {
		got = append(got, fmt.Sprintf("%c %s", "CAD"[c.Kind], c.Path))
	}
	want := []string{"C /a", "A /a/z", "D /a/x", "D /a/y", "D /del", "C /etc", "C /etc/passwd", "C /keep", "A /keep/k2", "A /new", "A /new/sub"}
	sort.Strings(want)
	sort.Strings(got)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("changes:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	diff := readAll(t, func() (io.ReadCloser, error) { return s.RWDiffTar("c1") })
	entries := strings.Join(tarNames(t, diff), " ")
	for _, n := range []string{"a/ a/.wh..wh..opq a/z", ".wh.del", "etc/passwd"} {
		if !strings.Contains(entries, n) {
			t.Fatalf("diff tar lacks %q: %s", n, entries)
		}
	}
	// The commit as a layer, seen through a real read-only overlay.
	top, err := s.Apply(base.ChainID, bytes.NewReader(diff))
	must(t, err)
	if top.DiffID != digest.FromBytes(diff) {
		t.Fatal("DiffID is not the tar's digest")
	}
	again := readAll(t, func() (io.ReadCloser, error) { return s.DiffTar(top.ChainID) })
	if !bytes.Equal(again, diff) {
		t.Fatal("DiffTar of the committed layer differs from the container's diff")
	}
	mnt := t.TempDir()
	must(t, unix.Mount("overlay", mnt, "overlay", unix.MS_RDONLY,
		"lowerdir="+s.DiffDir(top.ChainID)+":"+s.DiffDir(base.ChainID)))
	t.Cleanup(func() { unix.Unmount(mnt, unix.MNT_DETACH) })
	if n := names(t, mnt); n != "a,etc,keep,new" {
		t.Fatalf("root: %s", n)
	}
	if n := names(t, filepath.Join(mnt, "a")); n != "z" {
		t.Fatalf("opaque dir: %s", n)
	}
	if b, _ := os.ReadFile(filepath.Join(mnt, "etc/passwd")); string(b) != "root\nme\n" {
		t.Fatalf("passwd %q", b)
	}

	// export: the flattened view, no whiteouts or markers.
	exp := readAll(t, func() (io.ReadCloser, error) { return s.ExportRW("c1") })
	got = tarNames(t, exp)
	// The init layer's mount targets are part of the container's view, as in Docker's export.
	want = []string{".dockerenv", "a/", "a/z", "dev/", "dev/console", "dev/pts/", "dev/shm/", "etc/", "etc/hostname", "etc/hosts",
		"etc/mtab", "etc/passwd", "etc/resolv.conf", "keep/", "keep/k", "keep/k2", "new/", "new/sub/", "proc/", "sys/"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("export: %v", got)
	}
	tr := tar.NewReader(bytes.NewReader(exp))
	for h, err := tr.Next(); err == nil; h, err = tr.Next() {
		if h.Name == "etc/passwd" {
			if b, _ := io.ReadAll(tr); string(b) != "root\nme\n" {
				t.Fatalf("exported passwd %q", b)
			}
		}
	}
}
