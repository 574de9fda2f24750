package e2e

import (
	"slices"
	"strings"
	"testing"
)

// TestCommitDiffHistory: a container adds, changes and deletes files and
// replaces a directory; diff shows A/C/D, commit makes an image whose
// containers see exactly that (whiteouts and opaque directories), with the
// author, message and --change, and history shows the new layer on top.
func TestCommitDiffHistory(t *testing.T) {
	d, _ := setup(t)
	for _, c := range clients(d) {
		t.Run(c.name, func(t *testing.T) {
			name := "cm-" + strings.ReplaceAll(c.name, ".", "")
			c.must(t, "run", "--name", name, "busybox", "sh", "-c",
				"echo new > /added && rm /etc/group && echo extra:x:5:5::/:/bin/sh >> /etc/passwd && rm -rf /home && mkdir /home && touch /home/only")
			diff := strings.Split(c.must(t, "diff", name), "\n")
			for _, want := range []string{"A /added", "D /etc/group", "C /etc/passwd", "C /etc", "A /home/only"} {
				if !slices.Contains(diff, want) {
					t.Errorf("diff lacks %q:\n%s", want, strings.Join(diff, "\n"))
				}
			}
			for _, line := range diff {
				if strings.Contains(line, "wharfuser") && !strings.HasPrefix(line, "D ") {
					t.Errorf("diff line %q: /home/wharfuser was deleted", line)
				}
			}

			img := "committed/" + name + ":v1"
			id := c.must(t, "commit", "-a", "Ada <ada@example.org>", "-m", "my change", "-c", `CMD ["cat", "/added"]`, name, img)
			if !strings.HasPrefix(id, "sha256:") {
				t.Errorf("commit printed %q, want the image ID", id)
			}
			if got := c.must(t, "run", "--rm", img); got != "new" {
				t.Errorf("CMD of the committed image printed %q", got)
			}
			check := "test ! -e /etc/group && tail -1 /etc/passwd && ls -A /home"
			if got := c.must(t, "run", "--rm", img, "sh", "-c", check); got != "extra:x:5:5::/:/bin/sh\nonly" {
				t.Errorf("committed filesystem: %q", got)
			}
			if got := c.must(t, "image", "inspect", "-f", "{{.Author}}|{{.Comment}}|{{len .RootFS.Layers}}", img); got != "Ada <ada@example.org>|my change|2" {
				t.Errorf("inspect: %q", got)
			}
			hist := strings.Split(c.must(t, "history", "--no-trunc", "--format", "{{.ID}}|{{.Comment}}|{{.CreatedBy}}", img), "\n")
			if len(hist) < 2 || !strings.HasPrefix(hist[0], id+"|my change|") || !strings.Contains(hist[0], "echo new > /added") {
				t.Errorf("history:\n%s", strings.Join(hist, "\n"))
			}
			// Committing the image again without changes and without a tag: a new, dangling image.
			dangling := c.must(t, "commit", name)
			if got := c.must(t, "images", "-q", "--no-trunc", "--filter", "dangling=true"); !strings.Contains(got, dangling) {
				t.Errorf("images --filter dangling=true %q lacks %s", got, dangling)
			}
			c.must(t, "rm", name)
			c.must(t, "rmi", img, dangling)
		})
	}
}

// TestRmiRules: untag versus delete, a container using the image, several
// tags, -f, and unknown names, with Docker's messages.
func TestRmiRules(t *testing.T) {
	d, w := setup(t)
	id := w.must(t, "image", "inspect", "-f", "{{.Id}}", "busybox")
	short := strings.TrimPrefix(id, "sha256:")[:12]
	for _, c := range clients(d) {
		t.Run(c.name, func(t *testing.T) {
			c.must(t, "tag", "busybox", "extra:1")
			if out := c.must(t, "rmi", "extra:1"); out != "Untagged: extra:1" {
				t.Errorf("rmi of a second tag printed %q, want only Untagged", out)
			}
			if !hasImage(t, c, "busybox") {
				t.Fatalf("untagging a second name removed the image")
			}

			c.must(t, "tag", "busybox", "extra:2")
			_, errOut, code := c.run(t, "rmi", short)
			if code == 0 || !strings.Contains(errOut, "conflict: unable to delete "+short+" (must be forced) - image is referenced in multiple repositories") {
				t.Errorf("rmi by ID with two tags: exit %d, stderr %q", code, errOut)
			}
			c.must(t, "rmi", "extra:2")

			cid := mustID(t, c.must(t, "create", "busybox", "true"))
			_, errOut, code = c.run(t, "rmi", "busybox")
			want := `conflict: unable to remove repository reference "busybox" (must force) - container ` + cid[:12] + " is using its referenced image " + short
			if code == 0 || !strings.Contains(errOut, want) {
				t.Errorf("rmi of an image in use: exit %d, stderr %q, want %q", code, errOut, want)
			}
			c.must(t, "rm", cid)

			_, errOut, code = c.run(t, "rmi", "no-such-image:1")
			if code == 0 || !strings.Contains(errOut, "No such image: no-such-image:1") {
				t.Errorf("rmi of an unknown image: exit %d, stderr %q", code, errOut)
			}
		})
	}
	// Deleting the last tag of an unused image deletes it.
	w.must(t, "tag", "busybox", "gone:1")
	w.must(t, "rmi", "busybox")
	out := w.must(t, "rmi", "gone:1")
	if !strings.Contains(out, "Untagged: gone:1") || !strings.Contains(out, "Deleted: "+id) {
		t.Errorf("rmi of the last tag printed %q, want Untagged and Deleted: %s", out, id)
	}
	if hasImage(t, w, id) {
		t.Errorf("image %s still present", id)
	}
}

// TestImagePrune: prune removes dangling images only; -a also removes
// unused tagged ones, never an image a container uses.
func TestImagePrune(t *testing.T) {
	d, _ := setup(t)
	for _, c := range clients(d) {
		t.Run(c.name, func(t *testing.T) {
			base := "busybox"
			if !hasImage(t, c, base) {
				d.ImportBusybox(t)
			}
			name := "pr-" + strings.ReplaceAll(c.name, ".", "")
			c.must(t, "run", "--name", name, base, "sh", "-c", "echo x > /x")
			dangling := c.must(t, "commit", name)
			unused := c.must(t, "commit", name, "unused/"+name+":1")
			c.must(t, "rm", name)
			user := mustID(t, c.must(t, "create", base, "true"))

			out := c.must(t, "image", "prune", "-f")
			if !strings.Contains(out, "deleted: "+dangling) || !strings.Contains(out, "Total reclaimed space:") {
				t.Errorf("image prune printed:\n%s", out)
			}
			if hasImage(t, c, dangling) {
				t.Errorf("dangling image %s survived prune", dangling)
			}
			if !hasImage(t, c, unused) {
				t.Errorf("prune without -a removed the tagged image %s", unused)
			}

			c.must(t, "image", "prune", "-a", "-f")
			if hasImage(t, c, unused) {
				t.Errorf("prune -a kept the unused image %s", unused)
			}
			if !hasImage(t, c, base) {
				t.Errorf("prune -a removed %s, which container %s uses", base, user[:12])
			}
			c.must(t, "rm", user)
		})
	}
}
