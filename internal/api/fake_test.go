package api

import (
	"context"
	"io"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/image"
)

// fakeBackend records calls; its func fields override the default answers.
type fakeBackend struct {
	calls []string
	nc    *network.NetworkingConfig // of the last create
	hc    *container.HostConfig     // of the last create

	create  func(name string, cfg *container.Config, hc *container.HostConfig) (container.CreateResponse, error)
	inspect func(ref string) (*container.InspectResponse, error)
	list    func(opts ListOptions) ([]container.Summary, error)
	wait    func(ref string, cond container.WaitCondition) (<-chan container.WaitResponse, error)
	logs    func(ref string, opts LogsOptions) (*OutputStream, error)
	attach  func(ref string, opts AttachOptions) (*Session, error)
	stop    func(ref, sig string, timeout *int) error
	exec    func(id string, detach bool) (*Session, error)
}

func (f *fakeBackend) record(s string) { f.calls = append(f.calls, s) }

func (f *fakeBackend) ContainerCreate(ctx context.Context, name string, cfg *container.Config, hc *container.HostConfig, nc *network.NetworkingConfig) (container.CreateResponse, error) {
	f.record("create " + name)
	f.nc, f.hc = nc, hc
	if f.create != nil {
		return f.create(name, cfg, hc)
	}
	return container.CreateResponse{ID: "abc"}, nil
}
func (f *fakeBackend) ContainerStart(ctx context.Context, ref string) error {
	f.record("start " + ref)
	return nil
}
func (f *fakeBackend) ContainerStop(ctx context.Context, ref, sig string, timeout *int) error {
	f.record("stop " + ref)
	if f.stop != nil {
		return f.stop(ref, sig, timeout)
	}
	return nil
}
func (f *fakeBackend) ContainerKill(ctx context.Context, ref, sig string) error {
	f.record("kill " + ref + " " + sig)
	return nil
}
func (f *fakeBackend) ContainerRestart(ctx context.Context, ref, sig string, timeout *int) error {
	f.record("restart " + ref)
	return nil
}
func (f *fakeBackend) ContainerWait(ctx context.Context, ref string, cond container.WaitCondition) (<-chan container.WaitResponse, error) {
	f.record("wait " + ref + " " + string(cond))
	if f.wait != nil {
		return f.wait(ref, cond)
	}
	ch := make(chan container.WaitResponse, 1)
	ch <- container.WaitResponse{}
	return ch, nil
}
func (f *fakeBackend) ContainerList(ctx context.Context, opts ListOptions) ([]container.Summary, error) {
	f.record("list")
	if f.list != nil {
		return f.list(opts)
	}
	return nil, nil
}
func (f *fakeBackend) ContainerInspect(ctx context.Context, ref string, size bool) (*container.InspectResponse, error) {
	f.record("inspect " + ref)
	if f.inspect != nil {
		return f.inspect(ref)
	}
	return nil, errdefs.NotFound("No such container: %s", ref)
}
func (f *fakeBackend) ContainerRemove(ctx context.Context, ref string, force, volumes bool) error {
	f.record("remove " + ref)
	return nil
}
func (f *fakeBackend) ContainerLogs(ctx context.Context, ref string, opts LogsOptions) (*OutputStream, error) {
	f.record("logs " + ref)
	return f.logs(ref, opts)
}
func (f *fakeBackend) ContainerAttach(ctx context.Context, ref string, opts AttachOptions) (*Session, error) {
	f.record("attach " + ref)
	return f.attach(ref, opts)
}
func (f *fakeBackend) ContainerResize(ctx context.Context, ref string, h, w uint) error {
	f.record("resize " + ref)
	return nil
}
func (f *fakeBackend) ContainerTop(ctx context.Context, ref, psArgs string) (*container.TopResponse, error) {
	f.record("top " + ref + " " + psArgs)
	return &container.TopResponse{Titles: []string{"PID"}}, nil
}
func (f *fakeBackend) ContainerRename(ctx context.Context, ref, name string) error {
	f.record("rename " + ref + " " + name)
	return nil
}
func (f *fakeBackend) ExecCreate(ctx context.Context, ref string, req container.ExecCreateRequest) (string, error) {
	f.record("exec-create " + ref)
	return "e1", nil
}
func (f *fakeBackend) ExecStart(ctx context.Context, id string, detach bool) (*Session, error) {
	f.record("exec-start " + id)
	return f.exec(id, detach)
}
func (f *fakeBackend) ExecInspect(ctx context.Context, id string) (*container.ExecInspectResponse, error) {
	return &container.ExecInspectResponse{ID: id, OpenStdin: true}, nil
}
func (f *fakeBackend) ExecResize(ctx context.Context, id string, h, w uint) error {
	f.record("exec-resize " + id)
	return nil
}
func (f *fakeBackend) Counts() (int, int, int, int) { return 3, 1, 0, 2 }

// fakeImages is an in-memory image store.
type fakeImages struct {
	imgs    []*image.Image
	calls   []string
	imports []string // body, ref, changes
}

func (f *fakeImages) Get(ref string) (*image.Image, error) {
	f.calls = append(f.calls, "get "+ref)
	for _, img := range f.imgs {
		for _, t := range img.RepoTags {
			if t == ref {
				return img, nil
			}
		}
	}
	return nil, errdefs.NotFound("No such image: %s", ref)
}
func (f *fakeImages) List() ([]*image.Image, error) { return f.imgs, nil }
func (f *fakeImages) Tag(source, ref string) error {
	f.calls = append(f.calls, "tag "+source+" "+ref)
	return nil
}
func (f *fakeImages) Delete(ref string, force bool, inUse func(digest.Digest) string) ([]image.DeleteResult, error) {
	f.calls = append(f.calls, "delete "+ref)
	return []image.DeleteResult{{Untagged: "docker.io/library/" + ref}, {Deleted: "sha256:1"}}, nil
}
func (f *fakeImages) Import(ctx context.Context, r io.Reader, ref string, changes []string, message string) (*image.Image, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	f.imports = append(f.imports, string(b), ref)
	f.imports = append(f.imports, changes...)
	if string(b) == "bad" {
		return nil, errdefs.Invalid("archive/tar: invalid tar header")
	}
	return &image.Image{ID: "sha256:feed"}, nil
}
