package e2e

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wharf/wharf/internal/testenv"
)

// TestPullFullDisk: with the data root on a 40 MB tmpfs, a pull of the
// ~200 MB Debian image fails with "no space left on device", registers
// nothing and leaves no partial blob or layer behind, so that a small image
// then pulls and runs.
func TestPullFullDisk(t *testing.T) {
	rootfs := testenv.DebianRootfsTar(t) // skips with WHARF_TEST_SKIP_DEBIAN=1
	archive := filepath.Join(t.TempDir(), "debian.tar")
	if err := testenv.WriteDockerArchive(archive, testenv.ImageSpec{Tags: []string{"debian:bookworm"}, Cmd: []string{"bash"}, Layers: []string{rootfs}}); err != nil {
		t.Fatal(err)
	}
	r := registryWithBusybox(t, "small/busybox")
	r.PushArchive(t, archive, "debian:bookworm")

	d := testenv.StartDaemon(t, testenv.WithTmpfsDataRoot("40m"))
	d.ImportBusybox(t)
	w := clients(d)[0]
	listBefore := imageList(t, w)
	storeBefore := storeEntries(d.DataRoot)

	_, errOut, code := w.run(t, "pull", r.Ref("debian:bookworm"))
	if code == 0 || !strings.Contains(errOut, "no space left on device") {
		t.Fatalf("pull onto a full disk: exit %d, stderr:\n%s\nwant an error saying \"no space left on device\"", code, errOut)
	}
	t.Logf("pull onto a full disk: %s", strings.TrimSpace(errOut))
	if got := imageList(t, w); !slices.Equal(got, listBefore) {
		t.Errorf("images after the failed pull:\n%s\nbefore:\n%s", strings.Join(got, "\n"), strings.Join(listBefore, "\n"))
	}
	if !onReference() {
		if got := storeEntries(d.DataRoot); !slices.Equal(got, storeBefore) {
			t.Errorf("the failed pull left layers or blobs:\n%s\nbefore:\n%s", strings.Join(got, "\n"), strings.Join(storeBefore, "\n"))
		}
		for _, leftover := range tempsUnder(d.DataRoot) {
			t.Errorf("the failed pull left a temp: %s", leftover)
		}
	}

	small := r.Ref("small/busybox")
	w.must(t, "pull", small)
	if got := w.must(t, "run", "--rm", small, "echo", "still-works"); got != "still-works" {
		t.Errorf("run after the full disk: %q", got)
	}
	if got := w.must(t, "run", "--rm", "busybox", "echo", "local"); got != "local" {
		t.Errorf("run of the local image after the full disk: %q", got)
	}
}
