package distribution

import (
	"context"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/compression"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/moby/moby/api/types/registry"

	"github.com/wharf/wharf/internal/testenv"
)

// TestDebianTimes pulls and pushes the ~200 MB debootstrap'd Debian image
// against docker-registry and logs the times (WHARF_DIST_TIMES=1).
func TestDebianTimes(t *testing.T) {
	if os.Getenv("WHARF_DIST_TIMES") != "1" {
		t.Skip("set WHARF_DIST_TIMES=1 to measure pull and push of the Debian image")
	}
	tarPath := testenv.DebianRootfsTar(t)
	reg := testenv.StartRegistry(t)
	l, err := tarball.LayerFromFile(tarPath, tarball.WithCompression(compression.GZip), tarball.WithCompressionLevel(1))
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	img, _ = mutate.ConfigFile(img, cf)
	ref := reg.Addr() + "/debian:bookworm"
	putImage(t, ref, img)
	size, _ := l.Size()
	t.Logf("image: one layer, %d MB compressed", size>>20)

	ctx := context.Background()
	c := pullTimes(t, ref)
	if os.Getenv("WHARF_DIST_PUSH") == "0" {
		return
	}

	cold := testenv.StartRegistry(t)
	dst := cold.Addr() + "/debian:bookworm"
	if err := c.cfg.Images.Tag(ref, dst); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := c.Push(ctx, dst, registry.AuthConfig{}, nil); err != nil {
		t.Fatal(err)
	}
	t.Logf("cold push of the pulled image (stored blob): %v", time.Since(start).Round(time.Millisecond))

	f, err := os.Open(tarPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	imp := newClient(t, Config{})
	iref := cold.Addr() + "/imported:1"
	if _, err := imp.cfg.Images.Import(ctx, f, iref, nil, ""); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if err := imp.Push(ctx, iref, registry.AuthConfig{}, nil); err != nil {
		t.Fatal(err)
	}
	t.Logf("cold push of the imported image (diff tar + gzip): %v", time.Since(start).Round(time.Millisecond))
}

// pullTimes pulls ref WHARF_DIST_PULLS times (default 1), each into fresh
// stores, logs each time and the median, and returns the last client.
// WHARF_DIST_CPUPROFILE=FILE profiles the pulls only.
func pullTimes(t *testing.T, ref string) *Client {
	n, _ := strconv.Atoi(os.Getenv("WHARF_DIST_PULLS"))
	n = max(n, 1)
	if p := os.Getenv("WHARF_DIST_CPUPROFILE"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	var c *Client
	var times []time.Duration
	for range n {
		c = newClient(t, Config{})
		start := time.Now()
		if _, err := c.Pull(context.Background(), ref, PullOptions{}, nil); err != nil {
			t.Fatal(err)
		}
		d := time.Since(start)
		times = append(times, d)
		t.Logf("pull + unpack: %v", d.Round(time.Millisecond))
	}
	slices.Sort(times)
	t.Logf("pull + unpack median of %d: %v", n, times[n/2].Round(time.Millisecond))
	return c
}
