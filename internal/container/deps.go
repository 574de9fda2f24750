package container

import (
	"context"
	"syscall"

	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/image"
	"github.com/wharf/wharf/internal/mount"
	"github.com/wharf/wharf/internal/supervisor"
)

// The service's view of its collaborators: the concrete stores and the
// supervisor client satisfy these; unit tests use small fakes.

type imageGetter interface {
	Get(ref string) (*image.Image, error)
}

type layerStore interface {
	CreateRW(id string, parent digest.Digest) error
	RemoveRW(id string) error
	Mounts(id string) ([]mount.Mount, error)
	Dirs(id string) ([]string, error)
	RWSize(id string) (int64, error)
}

type supervisorAPI interface {
	Create(ctx context.Context, req supervisor.CreateRequest) (supervisor.State, error)
	Start(ctx context.Context, id string) (supervisor.State, error)
	Kill(ctx context.Context, id string, sig syscall.Signal, all bool) error
	State(ctx context.Context, id string) (supervisor.State, error)
	List(ctx context.Context) ([]supervisor.State, error)
	Wait(ctx context.Context, id string) (supervisor.State, error)
	Attach(ctx context.Context, id string, opts supervisor.AttachOptions) (supervisor.Stream, error)
	Resize(ctx context.Context, id, execID string, width, height uint16) error
	Exec(ctx context.Context, req supervisor.ExecRequest) (supervisor.Stream, error)
	ExecState(ctx context.Context, id, execID string) (supervisor.ExecState, error)
	Pids(ctx context.Context, id string) ([]int, error)
	Delete(ctx context.Context, id string) error
	Pause(ctx context.Context, id string) error
	Resume(ctx context.Context, id string) error
}

type deps struct {
	images imageGetter
	layers layerStore
	sup    supervisorAPI
	net    networker
}
