package layer

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"
)

func TestApplyMetadata(t *testing.T) {
	s, root := newStore(t)
	tarb := mkTar(t,
		ent{name: "bin/", typ: '5', mode: 0o750, uid: 3, gid: 4},
		ent{name: "bin/tool", body: "#!/bin/sh\n", mode: 0o4755, uid: 1000, gid: 1001,
			xattrs: map[string]string{"user.note": "hi", "security.capability": "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"}},
		ent{name: "/etc/abs", body: "x"},
		ent{name: "./bin/sh", typ: '2', link: "/bin/tool", uid: 7},
		ent{name: "bin/hard", typ: '1', link: "bin/tool"},
		ent{name: "dev/null", typ: '3', major: 1, minor: 3, mode: 0o666},
		ent{name: "run/fifo", typ: '6'},
	)
	l, err := s.Apply("", bytes.NewReader(tarb))
	if err != nil {
		t.Fatal(err)
	}
	want := digest.NewDigestFromBytes(digest.SHA256, sha256Sum(tarb))
	if l.DiffID != want || l.ChainID != want || l.Size != int64(len("#!/bin/sh\n")+1) {
		t.Fatalf("layer %+v, want diff %s", l, want)
	}
	d := s.DiffDir(l.ChainID)
	if d != filepath.Join(root, "layers", want.Encoded(), "diff") {
		t.Fatalf("diff dir %s", d)
	}
	var st unix.Stat_t
	must(t, unix.Lstat(d+"/bin/tool", &st))
	if st.Mode&0o7777 != 0o4755 || st.Uid != 1000 || st.Gid != 1001 || st.Mtim.Sec != mtime.Unix() || st.Nlink != 2 {
		t.Fatalf("bin/tool: mode %o uid %d gid %d mtime %d nlink %d", st.Mode, st.Uid, st.Gid, st.Mtim.Sec, st.Nlink)
	}
	must(t, unix.Lstat(d+"/bin", &st))
	if st.Mode&0o777 != 0o750 || st.Uid != 3 || st.Mtim.Sec != mtime.Unix() {
		t.Fatalf("bin: mode %o uid %d mtime %d", st.Mode, st.Uid, st.Mtim.Sec)
	}
	must(t, unix.Lstat(d+"/bin/sh", &st))
	if st.Mode&unix.S_IFMT != unix.S_IFLNK || st.Uid != 7 || st.Mtim.Sec != mtime.Unix() {
		t.Fatalf("bin/sh: %+v", st)
	}
	if target, _ := os.Readlink(d + "/bin/sh"); target != "/bin/tool" {
		t.Fatalf("symlink -> %q", target)
	}
	must(t, unix.Lstat(d+"/dev/null", &st))
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != unix.Mkdev(1, 3) {
		t.Fatalf("dev/null: %+v", st)
	}
	must(t, unix.Lstat(d+"/run/fifo", &st))
	if st.Mode&unix.S_IFMT != unix.S_IFIFO {
		t.Fatalf("fifo: %o", st.Mode)
	}
	if b, _ := os.ReadFile(d + "/etc/abs"); string(b) != "x" {
		t.Fatal("absolute name not placed inside the layer")
	}
	buf := make([]byte, 64)
	n, err := unix.Lgetxattr(d+"/bin/tool", "user.note", buf)
	if err != nil || string(buf[:n]) != "hi" {
		t.Fatalf("xattr user.note: %q %v", buf[:n], err)
	}
	if _, err := unix.Lgetxattr(d+"/bin/tool", "security.capability", buf); err != nil {
		t.Fatalf("security.capability: %v", err)
	}
	got, err := s.Get(l.ChainID)
	if err != nil || got != l {
		t.Fatalf("Get: %+v %v", got, err)
	}
}

func sha256Sum(b []byte) []byte { h := sha256.Sum256(b); return h[:] }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestApplyGzipIdempotentChain(t *testing.T) {
	s, root := newStore(t)
	base := mkTar(t, ent{name: "a", body: "one"})
	l1, err := s.Apply("", bytes.NewReader(gz(t, base)))
	must(t, err)
	if l1.DiffID != digest.FromBytes(base) {
		t.Fatalf("gzip diff ID %s is not the uncompressed digest %s", l1.DiffID, digest.FromBytes(base))
	}
	again, err := s.Apply("", bytes.NewReader(base))
	must(t, err)
	if again != l1 {
		t.Fatalf("re-apply: %+v vs %+v", again, l1)
	}
	top := mkTar(t, ent{name: "b", body: "two"})
	l2, err := s.Apply(l1.ChainID, bytes.NewReader(top))
	must(t, err)
	wantChain := digest.FromString(l1.ChainID.String() + " " + digest.FromBytes(top).String())
	if l2.ChainID != wantChain || l2.Parent != l1.ChainID {
		t.Fatalf("chain %+v want %s", l2, wantChain)
	}
	if _, err := s.Apply(digest.Digest("sha256:"+strings.Repeat("0", 64)), bytes.NewReader(top)); err == nil {
		t.Fatal("apply on a missing parent succeeded")
	}
	ents, _ := os.ReadDir(filepath.Join(root, "layers"))
	if len(ents) != 2 {
		t.Fatalf("layers dir has %d entries (temps left?)", len(ents))
	}
	ls, _ := s.List()
	if len(ls) != 2 {
		t.Fatalf("List: %v", ls)
	}
	must(t, s.Remove(l2.ChainID))
	if _, err := s.Get(l2.ChainID); err == nil {
		t.Fatal("removed layer still there")
	}
}

func TestNewStoreCleansTemps(t *testing.T) {
	_, root := newStore(t)
	tmp := filepath.Join(root, "layers", tmpPrefix+"crashed")
	must(t, os.MkdirAll(tmp+"/diff/x", 0o755))
	if _, err := NewStore(root); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Fatal("temp left after NewStore")
	}
}

func TestApplyHostile(t *testing.T) {
	s, root := newStore(t)
	outside := t.TempDir()
	must(t, os.WriteFile(outside+"/secret", []byte("keep"), 0o644))
	cases := []struct {
		name string
		bad  string // the entry the error must name
		ents []ent
	}{
		{"dotdot", "../evil", []ent{{name: "../evil", body: "x"}}},
		{"inner dotdot", "a/../../evil", []ent{{name: "a/", typ: '5'}, {name: "a/../../evil", body: "x"}}},
		{"abs symlink write", "lnk/evil", []ent{{name: "lnk", typ: '2', link: outside}, {name: "lnk/evil", body: "x"}}},
		{"abs symlink overwrite", "lnk/secret", []ent{{name: "lnk", typ: '2', link: outside}, {name: "lnk/secret", body: "x"}}},
		{"rel symlink write", "lnk/evil", []ent{{name: "lnk", typ: '2', link: "../../../../../../../../" + outside}, {name: "lnk/evil", body: "x"}}},
		{"symlink dir", "lnk/sub", []ent{{name: "lnk", typ: '2', link: outside}, {name: "lnk/sub", typ: '5'}}},
		{"hardlink dotdot", "h", []ent{{name: "h", typ: '1', link: "../../../../../../" + outside + "/secret"}}},
		{"hardlink abs", "h", []ent{{name: "h", typ: '1', link: outside + "/secret"}}},
		{"hardlink via symlink", "h", []ent{{name: "lnk", typ: '2', link: outside}, {name: "h", typ: '1', link: "lnk/secret"}}},
		{"whiteout via symlink", "lnk/.wh.secret", []ent{{name: "lnk", typ: '2', link: outside}, {name: "lnk/.wh.secret", body: ""}}},
		{"opaque via symlink", "lnk/.wh..wh..opq", []ent{{name: "lnk", typ: '2', link: outside}, {name: "lnk/.wh..wh..opq", body: ""}}},
		{"device via symlink", "lnk/null", []ent{{name: "lnk", typ: '2', link: outside}, {name: "lnk/null", typ: '3', major: 1, minor: 3}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Apply("", bytes.NewReader(mkTar(t, c.ents...)))
			if err == nil {
				t.Fatal("hostile tar applied")
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", c.bad)) {
				t.Fatalf("error does not name %q: %v", c.bad, err)
			}
			ents, _ := os.ReadDir(outside)
			if len(ents) != 1 {
				t.Fatalf("outside dir changed: %v", ents)
			}
			if b, _ := os.ReadFile(outside + "/secret"); string(b) != "keep" {
				t.Fatalf("secret overwritten: %q", b)
			}
			var st unix.Stat_t
			must(t, unix.Stat(outside+"/secret", &st))
			if st.Nlink != 1 {
				t.Fatal("secret got a hard link")
			}
			if ls, _ := s.List(); len(ls) != 0 {
				t.Fatalf("a layer was stored: %v", ls)
			}
			if ents, _ := os.ReadDir(filepath.Join(root, "layers")); len(ents) != 0 {
				t.Fatalf("temps left: %v", ents)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(root), "evil")); err == nil {
		t.Fatal("evil written next to the store")
	}
}
