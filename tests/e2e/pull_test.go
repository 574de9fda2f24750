package e2e

import (
	"slices"
	"strings"
	"testing"

	"github.com/wharf/wharf/internal/testenv"
)

// TestPullFromRegistry pulls busybox (pushed by skopeo, not by us) with each
// client, checks Docker's closing lines, RepoDigests, and that it runs.
func TestPullFromRegistry(t *testing.T) {
	d := testenv.StartDaemon(t)
	cs := clients(d)
	var repos []string
	for _, c := range cs {
		repos = append(repos, repoName(c, "busybox"))
	}
	r := registryWithBusybox(t, repos...)
	for _, c := range cs {
		t.Run(c.name, func(t *testing.T) {
			repo := repoName(c, "busybox")
			ref := r.Ref(repo + ":latest")
			digest := r.ManifestDigest(t, repo, "latest")
			out := c.must(t, "pull", ref)
			for _, want := range []string{"Digest: " + digest, "Status: Downloaded newer image for " + ref} {
				if !strings.Contains(out, want) {
					t.Errorf("pull output lacks %q:\n%s", want, out)
				}
			}
			if got := c.must(t, "image", "inspect", "-f", "{{json .RepoDigests}}", ref); !strings.Contains(got, r.Addr()+"/"+repo+"@"+digest) {
				t.Errorf("RepoDigests %s, want %s@%s", got, repo, digest)
			}
			if got := c.must(t, "run", "--rm", ref, "echo", "pulled"); got != "pulled" {
				t.Errorf("run: %q", got)
			}
			// A second pull finds it up to date and downloads no layer (Docker
			// fetches nothing; re-reading the small config blob is tolerated).
			before, _ := r.BlobBytesSent()
			if out := c.must(t, "pull", ref); !strings.Contains(out, "Image is up to date for "+ref) {
				t.Errorf("second pull:\n%s", out)
			}
			if after, _ := r.BlobBytesSent(); after-before > 4096 {
				t.Errorf("second pull downloaded %d blob bytes: a layer again", after-before)
			}
		})
	}
}

// TestRunPullsMissingImage: run of an image that is not local pulls it first
// (create -> 404 -> POST /images/create -> create).
func TestRunPullsMissingImage(t *testing.T) {
	d := testenv.StartDaemon(t)
	cs := clients(d)
	var repos []string
	for _, c := range cs {
		repos = append(repos, repoName(c, "runme"))
	}
	r := registryWithBusybox(t, repos...)
	for _, c := range cs {
		t.Run(c.name, func(t *testing.T) {
			ref := r.Ref(repoName(c, "runme"))
			out, errOut, code := c.run(t, "run", "--rm", ref, "echo", "hi")
			if code != 0 || out != "hi\n" {
				t.Fatalf("run: exit %d, stdout %q, stderr %q", code, out, errOut)
			}
			if !strings.Contains(errOut, "Unable to find image '"+ref+":latest' locally") {
				t.Errorf("stderr lacks Docker's notice:\n%s", errOut)
			}
			if !hasImage(t, c, ref) {
				t.Errorf("%s not kept after run", ref)
			}
		})
	}
	// A tag the registry does not have: a 404 in Docker's words.
	c := cs[0]
	_, errOut, code := c.run(t, "pull", r.Ref("wharf/runme:nope"))
	if code == 0 || !strings.Contains(errOut, "manifest unknown") && !strings.Contains(errOut, "not found") {
		t.Errorf("pull of a missing tag: exit %d, stderr %q", code, errOut)
	}
}

// TestPullByDigest pulls repo@sha256:..., which lists under --digests and runs.
func TestPullByDigest(t *testing.T) {
	d := testenv.StartDaemon(t)
	r := registryWithBusybox(t, "bydigest/busybox")
	digest := r.ManifestDigest(t, "bydigest/busybox", "latest")
	ref := r.Ref("bydigest/busybox@" + digest)
	for _, c := range clients(d) {
		t.Run(c.name, func(t *testing.T) {
			out := c.must(t, "pull", ref)
			if !strings.Contains(out, "Digest: "+digest) {
				t.Errorf("pull output lacks the digest:\n%s", out)
			}
			lines := c.must(t, "images", "--digests", "--format", "{{.Repository}} {{.Digest}}")
			if !slices.Contains(strings.Split(lines, "\n"), r.Ref("bydigest/busybox")+" "+digest) {
				t.Errorf("images --digests:\n%s", lines)
			}
			if got := c.must(t, "run", "--rm", ref, "echo", "ok"); got != "ok" {
				t.Errorf("run by digest: %q", got)
			}
			c.must(t, "rmi", ref)
		})
	}
	// A digest the registry does not have.
	bad := r.Ref("bydigest/busybox@sha256:" + strings.Repeat("0", 64))
	if _, _, code := clients(d)[0].run(t, "pull", bad); code == 0 {
		t.Errorf("pull of an unknown digest succeeded")
	}
}

// TestPushPullRoundTrip pushes an image we imported, checks it in the
// registry with skopeo, removes it locally and pulls it back.
func TestPushPullRoundTrip(t *testing.T) {
	d, _ := setup(t)
	r := testenv.StartRegistry(t)
	for _, c := range clients(d) {
		t.Run(c.name, func(t *testing.T) {
			repo := repoName(c, "pushed")
			ref := r.Ref(repo + ":v1")
			c.must(t, "tag", "busybox", ref)
			id := c.must(t, "image", "inspect", "-f", "{{.Id}}", ref)
			out := c.must(t, "push", ref)
			digest := r.ManifestDigest(t, repo, "v1")
			if !strings.Contains(out, "v1: digest: "+digest+" size: ") {
				t.Errorf("push output lacks Docker's closing line with %s:\n%s", digest, out)
			}
			// Independent check: skopeo sees the same config (image ID).
			if got := configDigest(t, "docker://"+ref, r.SkopeoArgs("")...); got != id {
				t.Errorf("registry config digest %s, local image ID %s", got, id)
			}
			// Pushing again uploads no layer.
			if out := c.must(t, "push", ref); !strings.Contains(out, "Layer already exists") {
				t.Errorf("second push:\n%s", out)
			}
			if got := c.must(t, "image", "inspect", "-f", "{{json .RepoDigests}}", ref); !strings.Contains(got, repo+"@"+digest) {
				t.Errorf("RepoDigests after push: %s", got)
			}
			c.must(t, "rmi", ref)
			if hasImage(t, c, ref) {
				t.Fatalf("%s still present after rmi", ref)
			}
			c.must(t, "pull", ref)
			if got := c.must(t, "image", "inspect", "-f", "{{.Id}}", ref); got != id {
				t.Errorf("pulled back ID %s, pushed %s", got, id)
			}
			if got := c.must(t, "run", "--rm", ref, "cat", "/etc/group"); !strings.Contains(got, "wharfgrp") {
				t.Errorf("pulled image content: %q", got)
			}
		})
	}
	// An image that is not local cannot be pushed.
	if _, errOut, code := clients(d)[0].run(t, "push", r.Ref("nothere:1")); code == 0 || !strings.Contains(errOut, "An image does not exist locally with the tag: "+r.Ref("nothere")) {
		t.Errorf("push of a missing image: exit %d, stderr %q", code, errOut)
	}
}
