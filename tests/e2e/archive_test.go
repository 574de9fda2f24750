package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wharf/wharf/internal/testenv"
)

// TestSaveLoadRoundTrip: save writes Docker's format (checked by skopeo and
// by its file names), load brings the image back under its tag and ID; the
// piped form (stdout/stdin) works too.
func TestSaveLoadRoundTrip(t *testing.T) {
	d, w := setup(t)
	id := w.must(t, "image", "inspect", "-f", "{{.Id}}", "busybox")
	w.must(t, "tag", "busybox", "second:tag")
	// Each client starts from both tags, whatever the one before it left.
	master := filepath.Join(t.TempDir(), "master.tar")
	w.must(t, "save", "-o", master, "busybox:latest", "second:tag")
	for _, c := range clients(d) {
		t.Run(c.name, func(t *testing.T) {
			c.must(t, "load", "-i", master)
			dir := t.TempDir()
			file := filepath.Join(dir, "save.tar")
			c.must(t, "save", "-o", file, "busybox:latest", "second:tag")
			names := tarNames(t, file)
			if !slices.Contains(names, "manifest.json") {
				t.Errorf("saved archive has no manifest.json: %v", names)
			}
			if got := configDigest(t, "docker-archive:"+file+":busybox:latest"); got != id {
				t.Errorf("skopeo reads config %s from the archive, image ID is %s", got, id)
			}
			// skopeo can turn it into an OCI layout: the layers are sound.
			skopeoOut(t, "copy", "--quiet", "docker-archive:"+file+":second:tag", "oci:"+filepath.Join(dir, "oci")+":x")

			c.must(t, "rmi", "busybox:latest", "second:tag")
			if hasImage(t, c, id) {
				t.Fatalf("image still present after rmi of both tags")
			}
			out := c.must(t, "load", "-i", file)
			for _, want := range []string{"Loaded image: busybox:latest", "Loaded image: second:tag"} {
				if !strings.Contains(out, want) {
					t.Errorf("load output lacks %q:\n%s", want, out)
				}
			}
			if got := c.must(t, "image", "inspect", "-f", "{{.Id}}", "second:tag"); got != id {
				t.Errorf("loaded ID %s, saved %s", got, id)
			}
			if got := c.must(t, "run", "--rm", "busybox", "echo", "loaded"); got != "loaded" {
				t.Errorf("run after load: %q", got)
			}

			// save > file, load < file: the stdout and stdin forms.
			piped := filepath.Join(dir, "piped.tar")
			tarball, errOut, code := c.run(t, "save", "busybox")
			if code != 0 {
				t.Fatalf("save to stdout: exit %d: %s", code, errOut)
			}
			if err := os.WriteFile(piped, []byte(tarball), 0o644); err != nil {
				t.Fatal(err)
			}
			c.must(t, "rmi", "busybox")
			in, err := os.Open(piped)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			load := c.cmd(t, "load")
			load.Stdin = in
			if out, errOut, code := testenv.Run(t, load); code != 0 || !strings.Contains(out, "Loaded image: busybox:latest") {
				t.Fatalf("load from stdin: exit %d, stdout %q, stderr %q", code, out, errOut)
			}
		})
	}
}

// TestLoadFromSkopeo loads archives that skopeo wrote from a registry image:
// docker-archive always, oci-archive (Docker 25+) except against dockerd 20.10.
func TestLoadFromSkopeo(t *testing.T) {
	d := testenv.StartDaemon(t)
	w := clients(d)[0]
	r := registryWithBusybox(t, "interop/busybox")
	src := "docker://" + r.Ref("interop/busybox:latest")
	id := configDigest(t, src, r.SkopeoArgs("")...)
	dir := t.TempDir()

	darchive := filepath.Join(dir, "docker.tar")
	if err := r.CopyWithSkopeo(src, "docker-archive:"+darchive+":skopeo/busybox:docker"); err != nil {
		t.Fatal(err)
	}
	if out := w.must(t, "load", "-i", darchive); !strings.Contains(out, "Loaded image: skopeo/busybox:docker") {
		t.Errorf("load of skopeo's docker-archive:\n%s", out)
	}
	if got := w.must(t, "image", "inspect", "-f", "{{.Id}}", "skopeo/busybox:docker"); got != id {
		t.Errorf("ID %s, config digest %s", got, id)
	}
	w.must(t, "rmi", "skopeo/busybox:docker")

	if onReference() {
		t.Log("dockerd 20.10 cannot load OCI archives; skipping that part")
		return
	}
	oarchive := filepath.Join(dir, "oci.tar")
	if err := r.CopyWithSkopeo(src, "oci-archive:"+oarchive+":ocitag"); err != nil {
		t.Fatal(err)
	}
	// skopeo rewrites a Docker config into an OCI one when it writes an OCI
	// archive, so the image ID to expect is that archive's own config digest.
	id = configDigest(t, "oci-archive:"+oarchive+":ocitag")
	out, errOut, code := w.run(t, "load", "-i", oarchive)
	if code != 0 {
		t.Fatalf("load of an oci-archive: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if !hasImage(t, w, id) {
		t.Fatalf("after loading the oci-archive no image has ID %s; load said %q", id, out)
	}
	if got := w.must(t, "run", "--rm", id, "echo", "from-oci"); got != "from-oci" {
		t.Errorf("run: %q", got)
	}
}

// TestExportImport: export flattens a container's filesystem into a tar;
// import makes it an image again, with --change and a message.
func TestExportImport(t *testing.T) {
	d, _ := setup(t)
	for _, c := range clients(d) {
		t.Run(c.name, func(t *testing.T) {
			name := "exp-" + strings.ReplaceAll(c.name, ".", "")
			c.must(t, "run", "--name", name, "busybox", "sh", "-c", "echo exported > /marker && rm /etc/group")
			file := filepath.Join(t.TempDir(), "export.tar")
			c.must(t, "export", "-o", file, name)
			names := tarNames(t, file)
			for _, want := range []string{"marker", "bin/busybox", "etc/passwd"} {
				if !slices.Contains(names, want) && !slices.Contains(names, "./"+want) {
					t.Errorf("export lacks %s", want)
				}
			}
			for _, n := range names {
				if strings.Contains(n, ".wh.") || strings.HasSuffix(n, "etc/group") {
					t.Errorf("export has %s: a deleted file or a whiteout", n)
				}
			}
			img := "imported/" + name + ":1"
			out := c.must(t, "import", "-m", "from export", "--change", `CMD ["cat", "/marker"]`, file, img)
			if !strings.HasPrefix(out, "sha256:") {
				t.Errorf("import printed %q, want the image ID", out)
			}
			if got := c.must(t, "run", "--rm", img); got != "exported" {
				t.Errorf("run of the imported image: %q", got)
			}
			if got := c.must(t, "history", "--format", "{{.Comment}}", img); !strings.Contains(got, "from export") {
				t.Errorf("history comment: %q", got)
			}
			if got := c.must(t, "image", "inspect", "-f", "{{len .RootFS.Layers}}", img); got != "1" {
				t.Errorf("imported image has %s layers, want 1", got)
			}
			c.must(t, "rm", name)
			c.must(t, "rmi", img)
		})
	}
}
