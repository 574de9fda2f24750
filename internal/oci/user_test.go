package oci

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/errdefs"
)

func TestResolveUser(t *testing.T) {
	dirs := []string{baseRootfs(t)}
	tests := []struct {
		spec string
		want specs.User
		err  string
	}{
		{"", specs.User{UID: 0, GID: 0, AdditionalGids: []uint32{0, 10}}, ""},
		{"root", specs.User{UID: 0, GID: 0, AdditionalGids: []uint32{0, 10}}, ""},
		{"app", specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{1000, 10, 29}}, ""},
		{"1000", specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{1000, 10, 29}}, ""},
		{"app:audio", specs.User{UID: 1000, GID: 29, AdditionalGids: []uint32{29}}, ""},
		{"app:0", specs.User{UID: 1000, GID: 0, AdditionalGids: []uint32{0}}, ""},
		{"1000:1000", specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{1000}}, ""},
		{"4242", specs.User{UID: 4242, GID: 0, AdditionalGids: []uint32{0}}, ""},
		{"4242:4343", specs.User{UID: 4242, GID: 4343, AdditionalGids: []uint32{4343}}, ""},
		{"nobody:nogroup", specs.User{UID: 65534, GID: 65534, AdditionalGids: []uint32{65534}}, ""},
		{"ghost", specs.User{}, "unable to find user ghost: no matching entries in passwd file"},
		{"app:ghosts", specs.User{}, "unable to find group ghosts: no matching entries in group file"},
		{"-1", specs.User{}, "uids and gids must be in range 0-2147483647"},
		{"1:4294967296", specs.User{}, "uids and gids must be in range 0-2147483647"},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := ResolveUser(dirs, tc.spec)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err || !errors.Is(err, errdefs.ErrInvalid) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.UID != tc.want.UID || got.GID != tc.want.GID || !slices.Equal(got.AdditionalGids, tc.want.AdditionalGids) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestResolveUserWithoutDatabases(t *testing.T) {
	dirs := []string{t.TempDir()}
	if u, err := ResolveUser(dirs, ""); err != nil || u.UID != 0 || u.GID != 0 {
		t.Errorf("root without passwd: %+v %v", u, err)
	}
	if u, err := ResolveUser(dirs, "123:456"); err != nil || u.UID != 123 || u.GID != 456 {
		t.Errorf("numeric without passwd: %+v %v", u, err)
	}
	if _, err := ResolveUser(dirs, "app"); err == nil {
		t.Error("a name without passwd resolved")
	}
}

func TestResolveUserUpperLayerWins(t *testing.T) {
	lower := baseRootfs(t)
	upper := t.TempDir()
	writeFile(t, filepath.Join(upper, "etc/passwd"), "root:x:0:0::/root:/bin/sh\nnew:x:2000:2000::/home/new:/bin/sh\n")
	dirs := []string{upper, lower}
	if u, err := ResolveUser(dirs, "new"); err != nil || u.UID != 2000 {
		t.Errorf("new: %+v %v", u, err)
	}
	if _, err := ResolveUser(dirs, "app"); err == nil {
		t.Error("app comes from the lower passwd, which the upper one replaces")
	}
	// /etc/group was not replaced: it is still read from the lower layer.
	if u, err := ResolveUser(dirs, "new:audio"); err != nil || u.GID != 29 {
		t.Errorf("new:audio: %+v %v", u, err)
	}
}

func requireRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (mknod, trusted.* xattrs)")
	}
}

func TestResolveUserWhiteout(t *testing.T) {
	requireRoot(t)
	lower := baseRootfs(t)
	upper := t.TempDir()
	if err := os.MkdirAll(filepath.Join(upper, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mknod(filepath.Join(upper, "etc/passwd"), unix.S_IFCHR|0o000, 0); err != nil {
		t.Fatal(err)
	}
	dirs := []string{upper, lower}
	if _, err := ResolveUser(dirs, "app"); err == nil || err.Error() != "unable to find user app: no matching entries in passwd file" {
		t.Errorf("whited-out passwd still read: %v", err)
	}
	if u, err := ResolveUser(dirs, "1000:audio"); err != nil || u.UID != 1000 || u.GID != 29 {
		t.Errorf("group file below should still be read: %+v %v", u, err)
	}

	// A whiteout of the whole /etc hides both files.
	upper2 := t.TempDir()
	if err := unix.Mknod(filepath.Join(upper2, "etc"), unix.S_IFCHR|0o000, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := ResolveUser([]string{upper2, lower}, "1000:audio"); err == nil {
		t.Error("whited-out /etc still read")
	}
}

func TestResolveUserOpaqueDir(t *testing.T) {
	requireRoot(t)
	lower := baseRootfs(t)
	upper := t.TempDir()
	etc := filepath.Join(upper, "etc")
	writeFile(t, filepath.Join(etc, "group"), "staff:x:50:app\n")
	if err := unix.Setxattr(etc, "trusted.overlay.opaque", []byte("y"), 0); err != nil {
		t.Skipf("cannot set trusted xattr here: %v", err)
	}
	dirs := []string{upper, lower}
	if _, err := ResolveUser(dirs, "app"); err == nil {
		t.Error("passwd below an opaque /etc was read")
	}
	if u, err := ResolveUser(dirs, "0:staff"); err != nil || u.GID != 50 {
		t.Errorf("0:staff: %+v %v", u, err)
	}
}

func TestResolveUserSymlinkStaysInImage(t *testing.T) {
	root := baseRootfs(t)
	// /etc/passwd -> /../../../etc/shadow-like escape must resolve inside the image.
	host := t.TempDir()
	writeFile(t, filepath.Join(host, "passwd"), "evil:x:0:0::/:/bin/sh\n")
	if err := os.Remove(filepath.Join(root, "etc/passwd")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../../../../../../../"+host+"/passwd", filepath.Join(root, "etc/passwd")); err != nil {
		t.Fatal(err)
	}
	if _, err := ResolveUser([]string{root}, "evil"); err == nil {
		t.Error("symlink escaped the image")
	}
	// A symlink inside the image is followed.
	writeFile(t, filepath.Join(root, "usr/lib/passwd"), "inside:x:7:7::/:/bin/sh\n")
	os.Remove(filepath.Join(root, "etc/passwd"))
	if err := os.Symlink("../usr/lib/passwd", filepath.Join(root, "etc/passwd")); err != nil {
		t.Fatal(err)
	}
	if u, err := ResolveUser([]string{root}, "inside"); err != nil || u.UID != 7 {
		t.Errorf("inside: %+v %v", u, err)
	}
	// A symlinked /etc directory is followed too, across layers.
	upper := t.TempDir()
	writeFile(t, filepath.Join(upper, "alt/passwd"), "alt:x:8:8::/:/bin/sh\n")
	layered := t.TempDir()
	if err := os.Symlink("/alt", filepath.Join(layered, "etc")); err != nil {
		t.Fatal(err)
	}
	if u, err := ResolveUser([]string{layered, upper}, "alt"); err != nil || u.UID != 8 {
		t.Errorf("alt: %+v %v", u, err)
	}
}

func TestResolveUserSymlinkLoop(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(root, "etc/passwd")); err != nil {
		t.Fatal(err)
	}
	if _, err := ResolveUser([]string{root}, "x"); err == nil {
		t.Error("loop resolved")
	}
}
