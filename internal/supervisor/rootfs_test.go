package supervisor

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf/wharf/internal/mount"
)

// TestManyLayers: an overlay whose options pass one page still mounts.
func TestManyLayers(t *testing.T) {
	dir := t.TempDir()
	var lower []string
	for i := range 80 {
		l := filepath.Join(dir, fmt.Sprintf("layer-%03d-%s", i, strings.Repeat("x", 40)))
		os.MkdirAll(l, 0o755)
		os.WriteFile(filepath.Join(l, fmt.Sprintf("f%d", i)), nil, 0o644)
		lower = append(lower, l)
	}
	for _, d := range []string{"upper", "work", "root"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	root := filepath.Join(dir, "root")
	opts := []string{"lowerdir=" + strings.Join(lower, ":"), "upperdir=" + filepath.Join(dir, "upper"), "workdir=" + filepath.Join(dir, "work")}
	if n := len(strings.Join(opts, ",")); n < os.Getpagesize() {
		t.Fatalf("options only %d bytes", n)
	}
	done, err := mountRootfs([]mount.Mount{{Type: "overlay", Source: "overlay", Options: opts}}, root)
	if err != nil {
		t.Fatal(err)
	}
	defer unmountAll(done)
	for _, f := range []string{"f0", "f79"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Error(err)
		}
	}
	if err := unmountAll(done); err != nil || mounted(root) {
		t.Errorf("unmount: %v", err)
	}
}
