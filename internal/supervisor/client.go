package supervisor

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/wharf/wharf/internal/errdefs"
)

// Client talks to the supervisor over its unix socket. Safe for concurrent use.
// Errors carry errdefs kinds (NotFound for an unknown container, Conflict for
// a wrong state, Invalid for bad requests); an exec'd command that is missing
// or not executable is reported so that the engine can map it to 127/126:
// Create and Exec then return a *CommandError (errors.As) whose ExitCode is
// 127 or 126 and whose kind is errdefs.ErrInvalid. An unreachable supervisor
// gives errdefs.ErrUnavailable.
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
func Dial(socket string) (*Client, error) {
	c := &Client{socket: socket}
	if err := c.call(context.Background(), &request{Op: opPing}, &reply{}); err != nil {
		return nil, err
	}
	return c, nil
}

// EnsureRunning returns a client of the supervisor for execRoot, starting
// `exe supervisor --exec-root execRoot` (detached, own session) if none answers.
func EnsureRunning(exe, execRoot string) (*Client, error) {
	sock := filepath.Join(execRoot, "supervisor.sock")
	if c, err := Dial(sock); err == nil {
		return c, nil
	}
	if err := os.MkdirAll(execRoot, 0o711); err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(filepath.Join(execRoot, "supervisor.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(exe, "supervisor", "--exec-root", execRoot)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Dir = "/"
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the supervisor: %w", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }() // reap it if it loses the lock race
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := Dial(sock); err == nil {
			return c, nil
		}
		if time.Now().After(deadline) {
			return nil, errdefs.Unavailable("supervisor for %s did not start: see %s", execRoot, logf.Name())
		}
		select {
		case <-exited: // another caller's supervisor won the lock: keep dialing
		default:
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// conn opens a connection and sends req; the caller reads the reply.
func (c *Client) open(ctx context.Context, req *request) (*net.UnixConn, *bufio.Reader, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unix", c.socket)
	if err != nil {
		return nil, nil, errdefs.Unavailable("supervisor at %s: %v", c.socket, err)
	}
	conn := nc.(*net.UnixConn)
	b, _ := json.Marshal(req)
	if _, err := conn.Write(append(b, '\n')); err != nil {
		conn.Close()
		return nil, nil, errdefs.Unavailable("supervisor: %v", err)
	}
	return conn, bufio.NewReader(conn), nil
}

func readReply(ctx context.Context, conn *net.UnixConn, br *bufio.Reader, rep *reply) error {
	stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	line, err := br.ReadBytes('\n')
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return errdefs.Unavailable("supervisor: %v", err)
	}
	if err := json.Unmarshal(line, rep); err != nil {
		return fmt.Errorf("supervisor: bad reply: %w", err)
	}
	return rep.Err.err()
}

// call is a request/reply round trip on its own connection.
func (c *Client) call(ctx context.Context, req *request, rep *reply) error {
	conn, br, err := c.open(ctx, req)
	if err != nil {
		return err
	}
	defer conn.Close()
	return readReply(ctx, conn, br, rep)
}

func (c *Client) stateCall(ctx context.Context, req *request) (State, error) {
	var rep reply
	err := c.call(ctx, req, &rep)
	if rep.State == nil {
		return State{}, err
	}
	return *rep.State, err
}

func (c *Client) Create(ctx context.Context, req CreateRequest) (State, error) {
	return c.stateCall(ctx, &request{Op: opCreate, ID: req.ID, Create: &req})
}

// Start runs the user process of a created container.
func (c *Client) Start(ctx context.Context, id string) (State, error) {
	return c.stateCall(ctx, &request{Op: opStart, ID: id})
}

// Kill signals the container's init (all=true: every process in it).
func (c *Client) Kill(ctx context.Context, id string, sig syscall.Signal, all bool) error {
	return c.call(ctx, &request{Op: opKill, ID: id, Signal: int(sig), All: all}, &reply{})
}

func (c *Client) State(ctx context.Context, id string) (State, error) {
	return c.stateCall(ctx, &request{Op: opState, ID: id})
}

// List returns every container the supervisor holds, exited ones included
// until Delete.
func (c *Client) List(ctx context.Context) ([]State, error) {
	var rep reply
	err := c.call(ctx, &request{Op: opList}, &rep)
	return rep.States, err
}

// Wait blocks until the container has exited (or ctx ends) and returns its final state.
func (c *Client) Wait(ctx context.Context, id string) (State, error) {
	return c.stateCall(ctx, &request{Op: opWait, ID: id})
}

func (c *Client) Attach(ctx context.Context, id string, opts AttachOptions) (Stream, error) {
	return c.stream(ctx, &request{Op: opAttach, ID: id, Attach: opts})
}

// Resize sets the pty size of the init (execID "") or of an exec process.
func (c *Client) Resize(ctx context.Context, id, execID string, width, height uint16) error {
	return c.call(ctx, &request{Op: opResize, ID: id, ExecID: execID, Width: width, Height: height}, &reply{})
}

// Exec starts a process; the returned Stream is nil when req.Detach.
func (c *Client) Exec(ctx context.Context, req ExecRequest) (Stream, error) {
	r := &request{Op: opExec, ID: req.ID, ExecID: req.ExecID, Exec: &req}
	if req.Detach {
		return nil, c.call(ctx, r, &reply{})
	}
	return c.stream(ctx, r)
}

func (c *Client) ExecState(ctx context.Context, id, execID string) (ExecState, error) {
	var rep reply
	err := c.call(ctx, &request{Op: opExecState, ID: id, ExecID: execID}, &rep)
	if rep.Exec == nil {
		return ExecState{}, err
	}
	return *rep.Exec, err
}

// Pids lists the host pids of the container's processes.
func (c *Client) Pids(ctx context.Context, id string) ([]int, error) {
	var rep reply
	err := c.call(ctx, &request{Op: opPids, ID: id}, &rep)
	return rep.Pids, err
}

// Pause freezes every process of a running container. Conflict if it is
// not running or already paused.
func (c *Client) Pause(ctx context.Context, id string) error {
	return c.call(ctx, &request{Op: opPause, ID: id}, &reply{})
}

// Resume thaws a paused container. Conflict if it is not paused.
func (c *Client) Resume(ctx context.Context, id string) error {
	return c.call(ctx, &request{Op: opResume, ID: id}, &reply{})
}

// Delete forgets an exited (or created) container: destroys its runtime
// state and cgroup, unmounts its rootfs. Conflict if it is running.
func (c *Client) Delete(ctx context.Context, id string) error {
	return c.call(ctx, &request{Op: opDelete, ID: id}, &reply{})
}

func (c *Client) stream(ctx context.Context, req *request) (Stream, error) {
	conn, br, err := c.open(ctx, req)
	if err != nil {
		return nil, err
	}
	if err := readReply(ctx, conn, br, &reply{}); err != nil {
		conn.Close()
		return nil, err
	}
	conn.SetReadDeadline(time.Time{})
	return &stream{UnixConn: conn, br: br}, nil
}

// stream reads through the buffer that read the reply line.
type stream struct {
	*net.UnixConn
	br *bufio.Reader
}

func (s *stream) Read(p []byte) (int, error) { return s.br.Read(p) }
