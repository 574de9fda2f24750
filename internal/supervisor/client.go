package supervisor

import (
	"context"
	"net"
	"syscall"

	"github.com/wharf/wharf/internal/errdefs"
)

// Client talks to the supervisor over its unix socket. Safe for concurrent use.
// Errors carry errdefs kinds (NotFound for an unknown container, Conflict for
// a wrong state, Invalid for bad requests); an exec'd command that is missing
// or not executable is reported so that the engine can map it to 127/126.
type Client struct {
	socket string
}

// Stream is an attach or exec connection. Reads yield the container's output:
// raw bytes for a TTY, Docker's stdcopy framing (8-byte header: stream 1/2,
// 0,0,0, big-endian uint32 size) otherwise. Writes go to the process's stdin;
// CloseWrite ends stdin. The read side reaches EOF when the process has exited
// and its output is drained (exec) or when the container exits (attach).
type Stream interface {
	Read(p []byte) (int, error)
	Write(p []byte) (int, error)
	CloseWrite() error
	Close() error
}

var _ Stream = (*net.UnixConn)(nil)

// Dial connects to a running supervisor.
func Dial(socket string) (*Client, error) { return nil, errdefs.NotImplemented("supervisor: Dial") }

// EnsureRunning returns a client of the supervisor for execRoot, starting
// `exe supervisor --exec-root execRoot` (detached, own session) if none answers.
func EnsureRunning(exe, execRoot string) (*Client, error) {
	return nil, errdefs.NotImplemented("supervisor: EnsureRunning")
}

func (c *Client) Create(ctx context.Context, req CreateRequest) (State, error) {
	return State{}, errdefs.NotImplemented("supervisor: Create")
}

// Start runs the user process of a created container.
func (c *Client) Start(ctx context.Context, id string) (State, error) {
	return State{}, errdefs.NotImplemented("supervisor: Start")
}

// Kill signals the container's init (all=true: every process in it).
func (c *Client) Kill(ctx context.Context, id string, sig syscall.Signal, all bool) error {
	return errdefs.NotImplemented("supervisor: Kill")
}

func (c *Client) State(ctx context.Context, id string) (State, error) {
	return State{}, errdefs.NotImplemented("supervisor: State")
}

// List returns every container the supervisor holds, exited ones included
// until Delete.
func (c *Client) List(ctx context.Context) ([]State, error) {
	return nil, errdefs.NotImplemented("supervisor: List")
}

// Wait blocks until the container has exited (or ctx ends) and returns its final state.
func (c *Client) Wait(ctx context.Context, id string) (State, error) {
	return State{}, errdefs.NotImplemented("supervisor: Wait")
}

func (c *Client) Attach(ctx context.Context, id string, opts AttachOptions) (Stream, error) {
	return nil, errdefs.NotImplemented("supervisor: Attach")
}

// Resize sets the pty size of the init (execID "") or of an exec process.
func (c *Client) Resize(ctx context.Context, id, execID string, width, height uint16) error {
	return errdefs.NotImplemented("supervisor: Resize")
}

// Exec starts a process; the returned Stream is nil when req.Detach.
func (c *Client) Exec(ctx context.Context, req ExecRequest) (Stream, error) {
	return nil, errdefs.NotImplemented("supervisor: Exec")
}

func (c *Client) ExecState(ctx context.Context, id, execID string) (ExecState, error) {
	return ExecState{}, errdefs.NotImplemented("supervisor: ExecState")
}

// Pids lists the host pids of the container's processes.
func (c *Client) Pids(ctx context.Context, id string) ([]int, error) {
	return nil, errdefs.NotImplemented("supervisor: Pids")
}

// Delete forgets an exited (or created) container: destroys its runtime
// state and cgroup, unmounts its rootfs. Conflict if it is running.
func (c *Client) Delete(ctx context.Context, id string) error {
	return errdefs.NotImplemented("supervisor: Delete")
}
