package container

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// newNetns mounts a namespace other than ours (a new one each time, a
// leftover replaced); removeNetns leaves nothing behind.
func TestNetnsFile(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root")
	}
	path := filepath.Join(t.TempDir(), "c1", "netns")
	t.Cleanup(func() { removeNetns(path) })
	var own unix.Stat_t
	if err := unix.Stat("/proc/self/ns/net", &own); err != nil {
		t.Fatal(err)
	}
	seen := map[uint64]bool{own.Ino: true}
	for i := 0; i < 3; i++ { // the second and third replace a mounted leftover
		if err := newNetns(path); err != nil {
			t.Fatal(err)
		}
		var st unix.Stat_t
		if err := unix.Stat(path, &st); err != nil {
			t.Fatal(err)
		}
		var fs unix.Statfs_t
		if err := unix.Statfs(path, &fs); err != nil || fs.Type != unix.NSFS_MAGIC {
			t.Fatalf("%s is not a namespace: type %x %v", path, fs.Type, err)
		}
		if seen[st.Ino] {
			t.Fatalf("run %d: namespace %d is not a new one", i, st.Ino)
		}
		seen[st.Ino] = true
	}
	removeNetns(path)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("netns file left: %v", err)
	}
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	if containsField(string(mi), path) {
		t.Fatalf("%s still mounted", path)
	}
}

func containsField(mountinfo, path string) bool {
	for line := range strings.Lines(mountinfo) {
		if f := strings.Fields(line); len(f) > 4 && f[4] == path {
			return true
		}
	}
	return false
}
