package e2e

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharf/wharf/internal/testenv"
)

// TestKillDaemonDuringPull kills -9 the daemon while it pulls the ~200 MB
// Debian image, restarts it and checks that the image is either absent or
// whole (never half-registered), that no unpack temp is left, and that the
// next pull succeeds and runs.
func TestKillDaemonDuringPull(t *testing.T) {
	rootfs := testenv.DebianRootfsTar(t) // skips with WHARF_TEST_SKIP_DEBIAN=1
	r := testenv.StartRegistry(t)
	archive := filepath.Join(t.TempDir(), "debian.tar")
	if err := testenv.WriteDockerArchive(archive, testenv.ImageSpec{Tags: []string{"debian:bookworm"}, Cmd: []string{"bash"}, Layers: []string{rootfs}}); err != nil {
		t.Fatal(err)
	}
	r.PushArchive(t, archive, "debian:bookworm")
	ref := r.Ref("debian:bookworm")

	d := testenv.StartDaemon(t)
	w := clients(d)[0]
	killed := false
	for attempt := 0; attempt < 3 && !killed; attempt++ {
		pull := d.Command("pull", ref)
		var out syncBuffer
		pull.Stdout, pull.Stderr = &out, &out
		if err := pull.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- pull.Wait() }()
		// Kill once the daemon has written a few MB (download or unpack under way).
		base := dirSize(d.DataRoot)
		deadline := time.Now().Add(2 * time.Minute)
		for !killed && time.Now().Before(deadline) {
			select {
			case err := <-done:
				t.Logf("attempt %d: the pull ended (%v) before the kill:\n%s", attempt, err, out.String())
				w.must(t, "rmi", ref)
				deadline = time.Time{}
				continue
			default:
			}
			if dirSize(d.DataRoot)-base > 8<<20 {
				d.Kill9()
				killed = true
			}
			time.Sleep(5 * time.Millisecond)
		}
		if killed {
			<-done // the CLI sees its connection drop
			t.Logf("killed mid-pull; the CLI printed:\n%s", out.String())
		}
	}
	if !killed {
		t.Fatalf("could not kill the daemon during a pull in 3 attempts")
	}

	if onReference() {
		// dockerd 20.10 here does not come back after a SIGKILL: its next
		// start times out waiting for its containerd, with or without the old one.
		t.Skip("dockerd 20.10 cannot restart after kill -9 on this machine")
	}
	d.Restart()
	if hasImage(t, w, ref) {
		// Acceptable only if it is whole.
		if got := w.must(t, "run", "--rm", ref, "cat", "/etc/debian_version"); !strings.HasPrefix(got, "12.") {
			t.Fatalf("an image registered by the killed pull is not whole: %q", got)
		}
		t.Logf("the pull had completed before the kill")
	}
	if list := w.must(t, "images", "-a", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"); strings.Contains(list, "<none>") {
		t.Errorf("a half-registered image after the restart:\n%s", list)
	}
	for _, leftover := range tempsUnder(d.DataRoot) {
		t.Errorf("leftover temp after the restart: %s", leftover)
	}

	out := w.must(t, "pull", ref)
	if !strings.Contains(out, "Digest: "+r.ManifestDigest(t, "debian", "bookworm")) {
		t.Errorf("pull after the restart:\n%s", out)
	}
	if got := w.must(t, "run", "--rm", ref, "cat", "/etc/debian_version"); !strings.HasPrefix(got, "12.") {
		t.Errorf("run of the pulled Debian image: %q", got)
	}
}

// dirSize sums the sizes of regular files under dir (errors ignored: files
// come and go while the daemon works).
func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if e.Type().IsRegular() {
			if fi, err := e.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// tempsUnder lists the ingest and unpack temps of the content and layer
// stores (.tmp-*, *.partial, ingest/ entries) that a restart must clear.
func tempsUnder(dir string) []string {
	var found []string
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		base := e.Name()
		if strings.HasPrefix(base, ".tmp-") || strings.HasSuffix(base, ".partial") ||
			(filepath.Base(filepath.Dir(p)) == "ingest" && p != dir) {
			found = append(found, p)
			if e.IsDir() {
				return filepath.SkipDir
			}
		}
		// Container root filesystems are not the stores' business.
		if e.IsDir() && (base == "containers" || base == "mounts") {
			return filepath.SkipDir
		}
		return nil
	})
	return found
}
