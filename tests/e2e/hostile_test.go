package e2e

import (
	"archive/tar"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf/wharf/internal/testenv"
)

// TestPullHostileLayers pushes images whose second layer tries to write
// outside the layer (../ names, an absolute or relative symlink followed by
// a write, a hardlink to a host file) and checks that nothing lands outside,
// that the pull fails naming the entry, and that no image is registered.
// Docker 20.10 extracts in a chroot and cleans ../ names, so it pulls the
// ../ and symlink cases harmlessly: against it only "nothing outside" is
// checked for those (the issue asks us to refuse them, naming the entry).
func TestPullHostileLayers(t *testing.T) {
	d := testenv.StartDaemon(t)
	w := clients(d)[0]
	r := testenv.StartRegistry(t)
	outside := filepath.Join(d.Dir, "outside")
	if err := os.Mkdir(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	up := strings.Repeat("../", 30)
	cases := []struct {
		name      string
		entry     string // the token the error must name
		entries   []testenv.TarEntry
		dockerOK  bool // dockerd 20.10 pulls it (contained by its chroot)
		escapedTo string
	}{
		{"dotdot", "dotdot-escape", []testenv.TarEntry{
			{Name: up + strings.TrimPrefix(outside, "/") + "/dotdot-escape", Body: "pwned"}}, true, "dotdot-escape"},
		{"abs-symlink", "abslink", []testenv.TarEntry{
			{Name: "abslink", Type: tar.TypeSymlink, Linkname: outside},
			{Name: "abslink/pwned-abs", Body: "pwned"}}, true, "pwned-abs"},
		{"rel-symlink", "rellink", []testenv.TarEntry{
			{Name: "rellink", Type: tar.TypeSymlink, Linkname: up + strings.TrimPrefix(outside, "/")},
			{Name: "rellink/pwned-rel", Body: "pwned"}}, true, "pwned-rel"},
		{"hardlink-out", "hardlink-out", []testenv.TarEntry{
			{Name: "hardlink-out", Type: tar.TypeLink, Linkname: up + strings.TrimPrefix(outside, "/") + "/victim"}}, false, ""},
	}
	if err := os.WriteFile(filepath.Join(outside, "victim"), []byte("host file"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			layer := filepath.Join(dir, "layer.tar")
			if err := testenv.WriteLayerTar(layer, tc.entries...); err != nil {
				t.Fatal(err)
			}
			archive := filepath.Join(dir, "image.tar")
			spec := testenv.ImageSpec{Tags: []string{"hostile:latest"}, Layers: []string{testenv.BusyboxTar(t), layer}}
			if err := testenv.WriteDockerArchive(archive, spec); err != nil {
				t.Fatal(err)
			}
			r.PushArchive(t, archive, "hostile/"+tc.name+":latest")
			ref := r.Ref("hostile/" + tc.name)

			_, errOut, code := w.run(t, "pull", ref)
			if tc.escapedTo != "" {
				if _, err := os.Stat(filepath.Join(outside, tc.escapedTo)); err == nil {
					t.Errorf("the layer wrote %s outside its directory", filepath.Join(outside, tc.escapedTo))
				}
			}
			if b, _ := os.ReadFile(filepath.Join(outside, "victim")); string(b) != "host file" {
				t.Errorf("the host file changed: %q", b)
			}
			ents, _ := os.ReadDir(outside)
			if len(ents) != 1 {
				t.Errorf("%s holds %d entries, want only victim", outside, len(ents))
			}
			if onReference() && tc.dockerOK {
				return
			}
			if code == 0 {
				t.Fatalf("pull of a hostile layer succeeded")
			}
			if !strings.Contains(errOut, tc.entry) {
				t.Errorf("the error does not name the entry %q: %s", tc.entry, errOut)
			}
			if hasImage(t, w, ref) {
				t.Errorf("%s registered after a failed pull", ref)
			}
		})
	}
}
