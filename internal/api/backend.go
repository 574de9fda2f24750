package api

import (
	"context"
	"io"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// CONTRACT between the HTTP edge and the engine's services. The container
// service (internal/container) implements ContainerBackend and ExecBackend.
// "ref" is a name, a full ID or an unambiguous ID prefix. Errors carry
// errdefs kinds; the API maps them to HTTP codes.

type ContainerBackend interface {
	ContainerCreate(ctx context.Context, name string, cfg *container.Config, hc *container.HostConfig, nc *network.NetworkingConfig) (container.CreateResponse, error)
	ContainerStart(ctx context.Context, ref string) error // NotModified if already running
	ContainerStop(ctx context.Context, ref string, signal string, timeout *int) error
	ContainerKill(ctx context.Context, ref string, signal string) error
	ContainerRestart(ctx context.Context, ref string, signal string, timeout *int) error
	// ContainerWait registers the wait and returns at once (so the API can
	// flush its 200 header); the channel yields one response.
	ContainerWait(ctx context.Context, ref string, cond container.WaitCondition) (<-chan container.WaitResponse, error)
	ContainerList(ctx context.Context, opts ListOptions) ([]container.Summary, error)
	ContainerInspect(ctx context.Context, ref string, size bool) (*container.InspectResponse, error)
	ContainerRemove(ctx context.Context, ref string, force, volumes bool) error
	// ContainerLogs resolves ref and returns a stream to write after the 200 header.
	ContainerLogs(ctx context.Context, ref string, opts LogsOptions) (*OutputStream, error)
	// ContainerAttach resolves ref; the returned session runs after the hijack.
	ContainerAttach(ctx context.Context, ref string, opts AttachOptions) (*Session, error)
	ContainerResize(ctx context.Context, ref string, height, width uint) error
	ContainerTop(ctx context.Context, ref string, psArgs string) (*container.TopResponse, error)
	ContainerRename(ctx context.Context, ref, newName string) error
}

type ExecBackend interface {
	ExecCreate(ctx context.Context, ref string, req container.ExecCreateRequest) (string, error)
	// ExecStart returns a session (nil when detach) that runs after the hijack.
	ExecStart(ctx context.Context, execID string, detach bool) (*Session, error)
	ExecInspect(ctx context.Context, execID string) (*container.ExecInspectResponse, error)
	ExecResize(ctx context.Context, execID string, height, width uint) error
}

// ListOptions of GET /containers/json. Filters is the decoded "filters"
// parameter (name -> values).
type ListOptions struct {
	All     bool
	Limit   int
	Size    bool
	Filters map[string][]string
}

type LogsOptions struct {
	Stdout, Stderr, Follow, Timestamps bool
	Tail                               string // "all" or a number
	Since, Until                       string // unix seconds[.nanos] or RFC3339; "" for none
}

type AttachOptions struct {
	Stdin, Stdout, Stderr, Stream, Logs bool
	DetachKeys                          string // "" = ctrl-p,ctrl-q
}

// OutputStream is a container's output in wire format: raw when Tty,
// stdcopy-multiplexed otherwise.
type OutputStream struct {
	Tty     bool
	WriteTo func(ctx context.Context, w io.Writer) error
}

// Session is an attach or exec-start stream. Run copies in (the client's
// raw stdin; nil when not attached) to the process and the process's output
// in wire format to out, and returns when the output ends or the client
// detaches (detach keys).
type Session struct {
	Tty bool
	Run func(ctx context.Context, in io.Reader, out io.Writer) error
}
