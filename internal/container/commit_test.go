package container

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/api"
	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/image"
	"github.com/wharf/wharf/internal/layer"
)

// filesLayers adds the diff, changes and export abilities to fakeLayers.
type filesLayers struct{ *fakeLayers }

func (filesLayers) RWDiffTar(id string) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader("diff-of-" + id)), nil
}
func (filesLayers) RWChanges(id string) ([]layer.Change, error) {
	return []layer.Change{{Path: "/etc", Kind: 0}, {Path: "/etc/new", Kind: 1}, {Path: "/gone", Kind: 2}}, nil
}
func (filesLayers) ExportRW(id string) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader("rootfs-of-" + id)), nil
}

// committingImages records what Commit was given.
type committingImages struct {
	fakeImages
	parent *image.Image
	tar    string
	opts   image.CommitOptions
}

func (c *committingImages) Commit(ctx context.Context, parent *image.Image, r io.Reader, opts image.CommitOptions) (*image.Image, error) {
	b, _ := io.ReadAll(r)
	c.parent, c.tar, c.opts = parent, string(b), opts
	return &image.Image{ID: "sha256:c0ffee"}, nil
}

func TestCommitDiffExport(t *testing.T) {
	dir := t.TempDir()
	imgs := &committingImages{}
	layers := filesLayers{&fakeLayers{root: filepath.Join(dir, "layers"), rw: map[string]bool{}}}
	s, err := newService(Config{Root: filepath.Join(dir, "c"), ExecRoot: filepath.Join(dir, "e")}, deps{images: imgs, layers: layers, sup: newFakeSup()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cfg := &container.Config{Image: "busybox", Cmd: []string{"sh"}, Env: []string{"A=1", "B=2"}, Labels: map[string]string{"x": "1"}}
	resp, err := s.ContainerCreate(ctx, "box", cfg, &container.HostConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.ContainerCommit(ctx, "box", api.CommitOptions{
		Ref: "me/img:1", Author: "A", Comment: "m", Changes: []string{"CMD ls"},
		Config: &container.Config{Env: []string{"B=3", "C=4"}, Labels: map[string]string{"y": "2"}},
	})
	if err != nil || id != "sha256:c0ffee" {
		t.Fatalf("commit: %q %v", id, err)
	}
	if imgs.parent.ID != fakeImageID || imgs.tar != "diff-of-"+resp.ID || imgs.opts.Ref != "me/img:1" ||
		imgs.opts.Author != "A" || imgs.opts.Comment != "m" || imgs.opts.Changes[0] != "CMD ls" {
		t.Errorf("commit got parent %v tar %q opts %+v", imgs.parent.ID, imgs.tar, imgs.opts)
	}
	var got container.Config
	if err := json.Unmarshal(imgs.opts.Config, &got); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.Env, ",") != "A=1,B=3,PATH=/usr/bin:/bin,C=4" || got.Labels["x"] != "1" || got.Labels["y"] != "2" || got.Cmd[0] != "sh" {
		t.Errorf("merged config %+v", got)
	}
	if cfg.Labels["y"] != "" {
		t.Error("the container's own config was changed")
	}

	changes, err := s.ContainerChanges(ctx, resp.ID[:8])
	if err != nil || len(changes) != 3 || changes[1] != (container.FilesystemChange{Path: "/etc/new", Kind: container.ChangeAdd}) ||
		changes[2].Kind != container.ChangeDelete {
		t.Errorf("changes %+v %v", changes, err)
	}
	rc, err := s.ContainerExport(ctx, "box")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	if string(b) != "rootfs-of-"+resp.ID {
		t.Errorf("export %q", b)
	}
	for _, err := range []error{
		func() error { _, err := s.ContainerCommit(ctx, "nope", api.CommitOptions{}); return err }(),
		func() error { _, err := s.ContainerChanges(ctx, "nope"); return err }(),
		func() error { _, err := s.ContainerExport(ctx, "nope"); return err }(),
	} {
		if !errors.Is(err, errdefs.ErrNotFound) {
			t.Errorf("unknown container: %v", err)
		}
	}
}
