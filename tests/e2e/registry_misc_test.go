package e2e

import (
	"slices"
	"strings"
	"testing"

	"github.com/wharf/wharf/internal/testenv"
)

// TestSearchCatalog: search against a private v2 registry lists the catalog's
// repositories whose name contains the term, prefixed with the registry's
// host, and --limit cuts the list.
func TestSearchCatalog(t *testing.T) {
	if onReference() {
		// dockerd 20.10 asks the registry's v1 search endpoint, which
		// distribution 2.8 does not serve; the issue wants the v2 catalog.
		t.Skip("dockerd 20.10 cannot search a v2-only registry")
	}
	r := registryWithBusybox(t, "busybox", "team/busybox", "other/busy-tool", "alpine", "team/nginx")
	d := testenv.StartDaemon(t)
	want := []string{r.Ref("busybox"), r.Ref("other/busy-tool"), r.Ref("team/busybox")}
	for _, c := range clients(d) {
		t.Run(c.name, func(t *testing.T) {
			out := c.must(t, "search", "--format", "{{.Name}}", r.Ref("bus"))
			got := strings.Fields(out)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("search %s: got %q, want %q", r.Ref("bus"), got, want)
			}
			limited := strings.Fields(c.must(t, "search", "--limit", "2", "--format", "{{.Name}}", r.Ref("bus")))
			if len(limited) != 2 {
				t.Errorf("search --limit 2: %q", limited)
			}
			for _, n := range limited {
				if !slices.Contains(want, n) {
					t.Errorf("search --limit 2 gave %q, not a match", n)
				}
			}
			if out := c.must(t, "search", "--format", "{{.Name}}", r.Ref("nomatch")); out != "" {
				t.Errorf("search for a term nothing matches: %q", out)
			}
			// The default table has Docker's headers.
			if out := c.must(t, "search", r.Ref("nginx")); !strings.HasPrefix(out, "NAME") || !strings.Contains(out, r.Ref("team/nginx")) {
				t.Errorf("search table:\n%s", out)
			}
		})
	}
}

// TestRegistryMirror: with registry-mirrors set, `pull busybox` (docker.io,
// which cannot be reached here) is served by the mirror.
func TestRegistryMirror(t *testing.T) {
	r := registryWithBusybox(t, "library/busybox")
	d := testenv.StartDaemon(t, testenv.WithRegistryMirror(r.URL()))
	for _, c := range clients(d) {
		t.Run(c.name, func(t *testing.T) {
			before := len(r.Requests())
			out := c.must(t, "pull", "busybox")
			if !strings.Contains(out, "Status: Downloaded newer image for busybox:latest") {
				t.Errorf("pull busybox through the mirror:\n%s", out)
			}
			served := false
			for _, q := range r.Requests()[before:] {
				served = served || (q.Method == "GET" && strings.HasPrefix(q.Path, "/v2/library/busybox/") && q.Status == 200)
			}
			if !served {
				t.Errorf("the mirror served no GET for library/busybox:\n%s", r.AccessLog())
			}
			if got := c.must(t, "run", "--rm", "busybox", "echo", "mirrored"); got != "mirrored" {
				t.Errorf("run: %q", got)
			}
			c.must(t, "rmi", "busybox")
		})
	}
}
