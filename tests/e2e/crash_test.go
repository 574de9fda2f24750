package e2e

import (
	"os"
	osexec "os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wharf/wharf/internal/testenv"
)

// TestKillDaemonDuringPush kills -9 the daemon while it uploads the Debian
// image to a fresh registry; after a restart the store is intact (same
// images, same layers and blobs, no temps), the push then succeeds and the
// image pulls back with the same ID.
func TestKillDaemonDuringPush(t *testing.T) {
	rootfs := testenv.DebianRootfsTar(t) // skips with WHARF_TEST_SKIP_DEBIAN=1
	archive := filepath.Join(t.TempDir(), "debian.tar")
	if err := testenv.WriteDockerArchive(archive, testenv.ImageSpec{Tags: []string{"debian:bookworm"}, Cmd: []string{"bash"}, Layers: []string{rootfs}}); err != nil {
		t.Fatal(err)
	}
	d := testenv.StartDaemon(t)
	w := clients(d)[0]
	w.must(t, "load", "-i", archive)
	id := w.must(t, "image", "inspect", "-f", "{{.Id}}", "debian:bookworm")

	var r *testenv.Registry
	var ref string
	killed := false
	for attempt := 0; attempt < 3 && !killed; attempt++ {
		r = testenv.StartRegistry(t) // fresh: nothing to skip
		ref = r.Ref("debian:bookworm")
		w.must(t, "tag", "debian:bookworm", ref)
		listBefore := imageList(t, w)
		storeBefore := storeEntries(d.DataRoot)
		killed = killWhile(t, d, d.Command("push", ref), func() bool {
			return dirSize(r.Dir) > 4<<20 // a few MB uploaded
		})
		if !killed {
			w.must(t, "rmi", ref)
			continue
		}
		if onReference() {
			t.Skip("dockerd 20.10 cannot restart after kill -9 on this machine")
		}
		d.Restart()
		if got := imageList(t, w); !slices.Equal(got, listBefore) {
			t.Errorf("images after the restart:\n%s\nbefore the push:\n%s", strings.Join(got, "\n"), strings.Join(listBefore, "\n"))
		}
		if got := storeEntries(d.DataRoot); !slices.Equal(got, storeBefore) {
			t.Errorf("layers and blobs after the restart differ:\n%s\nbefore:\n%s", strings.Join(got, "\n"), strings.Join(storeBefore, "\n"))
		}
	}
	if !killed {
		t.Fatalf("could not kill the daemon during a push in 3 attempts")
	}
	for _, leftover := range tempsUnder(d.DataRoot) {
		t.Errorf("leftover temp after the restart: %s", leftover)
	}
	out := w.must(t, "push", ref)
	if digest := r.ManifestDigest(t, "debian", "bookworm"); !strings.Contains(out, "digest: "+digest) {
		t.Errorf("push after the restart (registry has %s):\n%s", digest, out)
	}
	w.must(t, "rmi", ref, "debian:bookworm")
	w.must(t, "pull", ref)
	if got := w.must(t, "image", "inspect", "-f", "{{.Id}}", ref); got != id {
		t.Errorf("pulled back as %s, pushed %s", got, id)
	}
	if got := w.must(t, "run", "--rm", ref, "cat", "/etc/debian_version"); !strings.HasPrefix(got, "12.") {
		t.Errorf("run of the pulled-back image: %q", got)
	}
}

// TestKillDaemonDuringCommit kills -9 the daemon while it commits a
// container with 200 MB in its upper dir; after a restart no image is
// half-registered, GC left no orphan layer or blob, and commit works.
func TestKillDaemonDuringCommit(t *testing.T) {
	d, w := setup(t)
	w.must(t, "run", "--name", "big", "busybox", "dd", "if=/dev/urandom", "of=/big", "bs=1M", "count=200")
	listBefore := imageList(t, w)
	storeBefore := storeEntries(d.DataRoot)
	base := dirSize(d.DataRoot)
	killed := false
	for attempt := 0; attempt < 3 && !killed; attempt++ {
		killed = killWhile(t, d, d.Command("commit", "big", "big:committed"), func() bool {
			return dirSize(d.DataRoot)-base > 8<<20
		})
		if !killed {
			w.must(t, "rmi", "big:committed")
		}
	}
	if !killed {
		t.Fatalf("could not kill the daemon during a commit in 3 attempts")
	}
	if onReference() {
		t.Skip("dockerd 20.10 cannot restart after kill -9 on this machine")
	}
	d.Restart()
	if got := imageList(t, w); !slices.Equal(got, listBefore) {
		t.Errorf("images after the restart (a half-registered commit?):\n%s\nbefore:\n%s", strings.Join(got, "\n"), strings.Join(listBefore, "\n"))
	}
	if got := storeEntries(d.DataRoot); !slices.Equal(got, storeBefore) {
		t.Errorf("orphan layers or blobs after the restart:\n%s\nbefore:\n%s", strings.Join(got, "\n"), strings.Join(storeBefore, "\n"))
	}
	for _, leftover := range tempsUnder(d.DataRoot) {
		t.Errorf("leftover temp after the restart: %s", leftover)
	}
	w.must(t, "commit", "big", "big:committed")
	if got := w.must(t, "run", "--rm", "big:committed", "stat", "-c", "%s", "/big"); got != "209715200" {
		t.Errorf("size of /big in the committed image: %q", got)
	}
}

// killWhile starts cmd and kills -9 the daemon as soon as busy() holds while
// cmd still runs; false if cmd ended first (then nothing was killed).
func killWhile(t *testing.T, d *testenv.Daemon, cmd *osexec.Cmd, busy func() bool) bool {
	t.Helper()
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(2 * time.Minute)
	for {
		select {
		case err := <-done:
			t.Logf("%q ended (%v) before the kill:\n%s", cmd.Args, err, out.String())
			return false
		case <-deadline:
			cmd.Process.Kill()
			<-done
			t.Fatalf("%q: not busy within 2 minutes:\n%s", cmd.Args, out.String())
		default:
		}
		if busy() {
			d.Kill9()
			<-done // the CLI sees its connection drop
			t.Logf("killed the daemon during %q; the CLI printed:\n%s", cmd.Args, out.String())
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// imageList is `images -a` with ID, repository and tag, sorted.
func imageList(t testing.TB, c tool) []string {
	t.Helper()
	list := strings.Split(c.must(t, "images", "-a", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}"), "\n")
	slices.Sort(list)
	return list
}

// storeEntries lists the data root's layer directories and content blobs
// (Wharf's layout: layers/<chain>, content/blobs/sha256/<digest>, and
// anything in content/ingest), sorted; nil on the reference dockerd.
func storeEntries(dataRoot string) []string {
	var out []string
	for _, dir := range []string{"layers", "content/blobs/sha256", "content/ingest"} {
		ents, _ := os.ReadDir(filepath.Join(dataRoot, dir))
		for _, e := range ents {
			out = append(out, dir+"/"+e.Name())
		}
	}
	slices.Sort(out)
	return out
}
