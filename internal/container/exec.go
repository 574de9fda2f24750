package container

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wharf/wharf/internal/api"
	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/oci"
	"github.com/wharf/wharf/internal/supervisor"
)

// execRecord is one exec instance; its mutable fields are guarded by mu.
type execRecord struct {
	ID          string
	ContainerID string
	Req         container.ExecCreateRequest
	Process     *specs.Process
	keys        []byte

	mu       sync.Mutex
	started  bool
	running  bool
	pid      int
	exitCode *int
}

// ExecCreate prepares a process to run in a running container.
func (s *Service) ExecCreate(ctx context.Context, ref string, req container.ExecCreateRequest) (string, error) {
	r, err := s.lookup(ref)
	if err != nil {
		return "", err
	}
	if len(req.Cmd) == 0 {
		return "", errdefs.Invalid("No exec command specified")
	}
	keys, err := parseDetachKeys(req.DetachKeys)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	running, paused := r.State.Status == stateRunning, r.State.Paused
	s.mu.Unlock()
	if !running {
		return "", errdefs.Conflict("container %s is not running", r.ID)
	}
	if paused {
		return "", pausedForExec(ref) // named as given, like dockerd
	}
	dirs, err := s.layers.Dirs(r.ID)
	if err != nil {
		return "", err
	}
	proc, err := oci.ExecProcess(s.ociInput(r, dirs), req)
	if err != nil {
		return "", err
	}
	e := &execRecord{ID: newID(), ContainerID: r.ID, Req: req, Process: proc, keys: keys}
	s.mu.Lock()
	s.execs[e.ID] = e
	s.mu.Unlock()
	return e.ID, nil
}

func (s *Service) getExec(id string) (*execRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.execs[id]; ok {
		return e, nil
	}
	return nil, errdefs.NotFound("No such exec instance: %s", id)
}

// ExecStart starts the process now when detached, else in the session that
// runs after the hijack, so that a failure reaches the client's stream.
func (s *Service) ExecStart(ctx context.Context, execID string, detach bool) (*api.Session, error) {
	e, err := s.getExec(execID)
	if err != nil {
		return nil, err
	}
	r, err := s.lookup(e.ContainerID)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	running, paused := r.State.Status == stateRunning, r.State.Paused
	s.mu.Unlock()
	if !running {
		return nil, errdefs.Conflict("container %s is not running", r.ID)
	}
	if paused {
		return nil, pausedForExec(r.ID)
	}
	e.mu.Lock()
	if e.started {
		e.mu.Unlock()
		return nil, errdefs.Conflict("Error: Exec command %s is already running", e.ID)
	}
	e.started = true
	e.mu.Unlock()
	req := supervisor.ExecRequest{ID: e.ContainerID, ExecID: e.ID, Process: e.Process,
		Tty: e.Req.Tty, Stdin: e.Req.AttachStdin, Detach: detach}
	if detach {
		if _, err := s.sup.Exec(context.WithoutCancel(ctx), req); err != nil {
			code, msg := execFailure(e, err)
			e.finish(code)
			return nil, errdefs.Invalid("%s", msg)
		}
		e.setRunning()
		return nil, nil
	}
	run := func(ctx context.Context, in io.Reader, out io.Writer) error {
		st, err := s.sup.Exec(context.WithoutCancel(ctx), req)
		if err != nil {
			code, msg := execFailure(e, err)
			e.finish(code)
			var w io.Writer = out
			if !e.Req.Tty {
				w = &frameWriter{w: out, stream: stdcopy.Stdout}
			}
			io.WriteString(w, msg+"\r\n")
			return nil
		}
		defer st.Close()
		e.setRunning()
		_, err = pump(ctx, st, in, out, e.keys, e.Req.AttachStdin, true)
		s.refreshExec(context.WithoutCancel(ctx), e)
		return err
	}
	return &api.Session{Tty: e.Req.Tty, Run: run}, nil
}

func (e *execRecord) setRunning() {
	e.mu.Lock()
	if e.exitCode == nil {
		e.running = true
	}
	e.mu.Unlock()
}

func (e *execRecord) finish(code int) {
	e.mu.Lock()
	e.running = false
	e.exitCode = &code
	e.mu.Unlock()
}

// execFailure maps a failed exec to Docker's exit code and message.
func execFailure(e *execRecord, err error) (int, string) {
	code, detail := classifyExecError(err.Error(), e.Req.Cmd[0])
	var ce *supervisor.CommandError
	if errors.As(err, &ce) {
		code = ce.ExitCode
	}
	return code, "OCI runtime exec failed: exec failed: unable to start container process: " + detail + ": unknown"
}

// refreshExec asks the supervisor about a running exec.
func (s *Service) refreshExec(ctx context.Context, e *execRecord) {
	e.mu.Lock()
	running := e.running
	e.mu.Unlock()
	if !running {
		return
	}
	st, err := s.sup.ExecState(ctx, e.ContainerID, e.ID)
	switch {
	case err == nil:
		e.mu.Lock()
		e.pid = st.Pid
		e.mu.Unlock()
		if !st.Running {
			e.finish(st.ExitCode)
		}
	case isNotFound(err):
		e.finish(137) // gone with its container
	}
}

// ExecInspect reports an exec's state.
func (s *Service) ExecInspect(ctx context.Context, execID string) (*container.ExecInspectResponse, error) {
	e, err := s.getExec(execID)
	if err != nil {
		return nil, err
	}
	s.refreshExec(ctx, e)
	e.mu.Lock()
	defer e.mu.Unlock()
	var code *int
	if e.exitCode != nil {
		c := *e.exitCode
		code = &c
	}
	return &container.ExecInspectResponse{
		ID:       e.ID,
		Running:  e.running,
		ExitCode: code,
		ProcessConfig: &container.ExecProcessConfig{
			Tty:        e.Req.Tty,
			Entrypoint: e.Req.Cmd[0],
			Arguments:  append([]string{}, e.Req.Cmd[1:]...),
			Privileged: &e.Req.Privileged,
			User:       e.Req.User,
		},
		OpenStdin:   e.Req.AttachStdin,
		OpenStdout:  e.Req.AttachStdout,
		OpenStderr:  e.Req.AttachStderr,
		CanRemove:   e.exitCode != nil,
		ContainerID: e.ContainerID,
		DetachKeys:  e.keys,
		Pid:         e.pid,
	}, nil
}

// ExecResize sets the size of an exec's TTY.
func (s *Service) ExecResize(ctx context.Context, execID string, height, width uint) error {
	e, err := s.getExec(execID)
	if err != nil {
		return err
	}
	return s.sup.Resize(ctx, e.ContainerID, e.ID, uint16(width), uint16(height))
}

func (s *Service) execIDsLocked(containerID string) []string {
	var ids []string
	for id, e := range s.execs {
		if e.ContainerID == containerID {
			ids = append(ids, id)
		}
	}
	return ids
}

// closeExecs settles the execs of a container that exited: their
// processes died with it.
func (s *Service) closeExecs(containerID string) {
	s.mu.Lock()
	var list []*execRecord
	for _, e := range s.execs {
		if e.ContainerID == containerID {
			list = append(list, e)
		}
	}
	s.mu.Unlock()
	for _, e := range list {
		s.refreshExec(context.Background(), e)
		e.mu.Lock()
		still := e.running
		e.mu.Unlock()
		if still {
			e.finish(137)
		}
	}
}

func (s *Service) dropExecs(containerID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, e := range s.execs {
		if e.ContainerID == containerID {
			delete(s.execs, id)
		}
	}
}
