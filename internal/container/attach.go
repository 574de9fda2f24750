package container

import (
	"context"
	"io"
	"time"

	"github.com/wharf/wharf/internal/api"
	"github.com/wharf/wharf/internal/supervisor"
)

// pendingAttach is a session waiting for its container to start: Start
// attaches on its behalf between the runtime's create and start, so no
// early output is lost.
type pendingAttach struct {
	opts supervisor.AttachOptions
	ch   chan attachResult // buffered, one value
}

type attachResult struct {
	stream supervisor.Stream
	err    error
}

// handAttachers gives every waiting session its stream; the streams are
// returned so that a failed start can close them.
func (s *Service) handAttachers(ctx context.Context, r *record) []supervisor.Stream {
	s.mu.Lock()
	waiting := r.attachers
	r.attachers = nil
	s.mu.Unlock()
	var handed []supervisor.Stream
	for _, p := range waiting {
		st, err := s.sup.Attach(ctx, r.ID, p.opts)
		if err == nil {
			handed = append(handed, st)
		}
		p.ch <- attachResult{st, err}
	}
	return handed
}

func (s *Service) failAttachers(r *record, err error) {
	s.mu.Lock()
	waiting := r.attachers
	r.attachers = nil
	s.mu.Unlock()
	for _, p := range waiting {
		p.ch <- attachResult{err: err}
	}
}

// ContainerAttach resolves ref; the session replays logs if asked, then
// streams the container's stdio. Attaching to a container that is not
// running waits for its next start (the docker CLI attaches before start).
func (s *Service) ContainerAttach(ctx context.Context, ref string, opts api.AttachOptions) (*api.Session, error) {
	r, err := s.lookup(ref)
	if err != nil {
		return nil, err
	}
	keys, err := parseDetachKeys(opts.DetachKeys)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	tty := r.Config.Tty
	s.mu.Unlock()
	run := func(ctx context.Context, in io.Reader, out io.Writer) error {
		return s.runAttach(ctx, r, opts, keys, in, out)
	}
	return &api.Session{Tty: tty, Run: run}, nil
}

func (s *Service) runAttach(ctx context.Context, r *record, opts api.AttachOptions, keys []byte, in io.Reader, out io.Writer) error {
	if opts.Logs {
		lo := api.LogsOptions{Stdout: opts.Stdout, Stderr: opts.Stderr, Tail: "all"}
		if err := s.writeLogs(ctx, r, lo, out); err != nil {
			return err
		}
	}
	if !opts.Stream {
		return nil
	}
	sopts := supervisor.AttachOptions{Stdin: opts.Stdin && in != nil, Stdout: opts.Stdout, Stderr: opts.Stderr}
	st, err := s.attachStream(ctx, r, sopts)
	if err != nil || st == nil {
		return err
	}
	s.mu.Lock()
	stdinOnce := r.Config.StdinOnce
	s.mu.Unlock()
	ended, err := pump(ctx, st, in, out, keys, sopts.Stdin, stdinOnce)
	st.Close() // before waiting: the exit's handling must not wait for it
	if ended {
		s.awaitExit(ctx, r)
	}
	return err
}

// exitGrace bounds awaitExit: a process that closed its stdio yet runs on
// must not hold its attachers.
const exitGrace = 2 * time.Second

// awaitExit waits, after the output ended, until the container's exit is
// recorded (state, exit code, networks released), as dockerd, whose
// attachers end only once the exit is handled: clients inspect the exit
// code, or remove the container's networks, right after the stream ends.
func (s *Service) awaitExit(ctx context.Context, r *record) {
	s.mu.Lock()
	running := r.State.Status == stateRunning && !r.gone
	exited := r.exited
	s.mu.Unlock()
	if !running {
		return
	}
	t := time.NewTimer(exitGrace)
	defer t.Stop()
	select {
	case <-exited:
	case <-ctx.Done():
	case <-t.C:
	}
}

// attachStream attaches now if the container runs, else waits for Start.
func (s *Service) attachStream(ctx context.Context, r *record, opts supervisor.AttachOptions) (supervisor.Stream, error) {
	s.mu.Lock()
	if r.gone {
		s.mu.Unlock()
		return nil, nil
	}
	if r.State.Status == stateRunning {
		s.mu.Unlock()
		return s.sup.Attach(ctx, r.ID, opts)
	}
	p := &pendingAttach{opts: opts, ch: make(chan attachResult, 1)}
	r.attachers = append(r.attachers, p)
	s.mu.Unlock()
	select {
	case res := <-p.ch:
		return res.stream, res.err
	case <-ctx.Done():
		s.mu.Lock()
		for i, q := range r.attachers {
			if q == p {
				r.attachers = append(r.attachers[:i], r.attachers[i+1:]...)
				break
			}
		}
		s.mu.Unlock()
		select { // Start may have handed a stream meanwhile
		case res := <-p.ch:
			if res.stream != nil {
				res.stream.Close()
			}
		default:
		}
		return nil, ctx.Err()
	}
}

// pump copies the client's input to the process (watching for the detach
// keys) and the process's output to the client. It returns when the output
// ends (ended true), the client detaches or ctx ends.
func pump(ctx context.Context, st supervisor.Stream, in io.Reader, out io.Writer, keys []byte, stdin, closeStdin bool) (ended bool, err error) {
	outDone := make(chan error, 1)
	go func() {
		_, err := io.Copy(out, st)
		outDone <- err
	}()
	detached := make(chan struct{})
	if stdin && in != nil {
		go func() {
			det, err := copyInput(st, in, keys)
			if det {
				close(detached)
				return
			}
			if err == nil && closeStdin {
				st.CloseWrite()
			}
		}()
	}
	select {
	case <-outDone:
		// EOF, or the stream was closed under us (container removed):
		// either way the output is over.
		return true, nil
	case <-detached:
		return false, nil
	case <-ctx.Done():
		return false, nil
	}
}
