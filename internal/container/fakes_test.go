package container

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	ocispec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/image"
	"github.com/wharf/wharf/internal/mount"
	"github.com/wharf/wharf/internal/supervisor"
)

const fakeImageID = digest.Digest("sha256:1111111111111111111111111111111111111111111111111111111111111111")

type fakeImages struct{}

func (fakeImages) Get(ref string) (*image.Image, error) {
	if ref != "busybox" && ref != fakeImageID.String() {
		return nil, errdefs.NotFound("No such image: %s:latest", ref)
	}
	img := &image.Image{ID: fakeImageID, TopLayer: "sha256:top", Size: 100}
	img.Config = ocispec.DockerOCIImage{}
	img.Config.Config.Cmd = []string{"sh"}
	img.Config.Config.Env = []string{"PATH=/usr/bin:/bin"}
	return img, nil
}

// fakeLayers keeps "RW layers" as directories with an /etc/passwd.
type fakeLayers struct {
	root       string
	failCreate error
	mu         sync.Mutex
	rw         map[string]bool
}

func (l *fakeLayers) CreateRW(id string, parent digest.Digest) error {
	if l.failCreate != nil {
		return l.failCreate
	}
	dir := filepath.Join(l.root, id, "etc")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	os.WriteFile(filepath.Join(dir, "passwd"), []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "group"), []byte("root:x:0:\n"), 0o644)
	l.mu.Lock()
	l.rw[id] = true
	l.mu.Unlock()
	return nil
}

func (l *fakeLayers) RemoveRW(id string) error {
	l.mu.Lock()
	delete(l.rw, id)
	l.mu.Unlock()
	return os.RemoveAll(filepath.Join(l.root, id))
}

func (l *fakeLayers) has(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rw[id]
}

func (l *fakeLayers) Mounts(id string) ([]mount.Mount, error) {
	return []mount.Mount{{Type: "overlay", Source: "overlay"}}, nil
}
func (l *fakeLayers) Dirs(id string) ([]string, error) {
	return []string{filepath.Join(l.root, id)}, nil
}
func (l *fakeLayers) RWSize(id string) (int64, error) { return 7, nil }

// fakeSup simulates the supervisor: processes exit when signalled (unless
// they ignore the signal) or when the test calls exit.
type fakeSup struct {
	mu        sync.Mutex
	states    map[string]*supervisor.State
	done      map[string]chan struct{}
	final     map[chan struct{}]supervisor.State // exit state per run
	ignore    map[syscall.Signal]bool
	pending   map[string][]syscall.Signal // signals held by a paused container
	pauses    []string                    // "pause id" / "resume id", in order
	createErr error
	deletes   int
	conns     []net.Conn // container sides of attach streams
}

func newFakeSup() *fakeSup {
	return &fakeSup{states: map[string]*supervisor.State{}, done: map[string]chan struct{}{}, final: map[chan struct{}]supervisor.State{}, ignore: map[syscall.Signal]bool{}}
}

func (f *fakeSup) Create(ctx context.Context, req supervisor.CreateRequest) (supervisor.State, error) {
	if req.Spec == nil || req.Log.Path == "" {
		return supervisor.State{}, errors.New("bad request")
	}
	if f.createErr != nil {
		return supervisor.State{}, f.createErr
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.states[req.ID]; ok {
		return supervisor.State{}, errdefs.Conflict("exists")
	}
	f.states[req.ID] = &supervisor.State{ID: req.ID, Status: supervisor.StatusCreated, Pid: 4242}
	f.done[req.ID] = make(chan struct{})
	return *f.states[req.ID], nil
}

func (f *fakeSup) Start(ctx context.Context, id string) (supervisor.State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.states[id]
	st.Status, st.StartedAt = supervisor.StatusRunning, time.Now()
	return *st, nil
}

func (f *fakeSup) exit(id string, code int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.states[id]
	if !ok || st.Status != supervisor.StatusRunning {
		return
	}
	st.Status, st.ExitCode, st.FinishedAt = supervisor.StatusExited, code, time.Now()
	f.final[f.done[id]] = *st
	close(f.done[id])
	for _, c := range f.conns {
		c.Close()
	}
	f.conns = nil
}

func (f *fakeSup) Kill(ctx context.Context, id string, sig syscall.Signal, all bool) error {
	f.mu.Lock()
	st, ok := f.states[id]
	ignored := f.ignore[sig]
	f.mu.Unlock()
	if !ok || st.Status != supervisor.StatusRunning && st.Status != supervisor.StatusPaused {
		return errdefs.Conflict("not running")
	}
	if f.killPaused(id, sig) {
		return nil
	}
	if !ignored {
		go f.exit(id, 128+int(sig))
	}
	return nil
}

func (f *fakeSup) State(ctx context.Context, id string) (supervisor.State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if st, ok := f.states[id]; ok {
		return *st, nil
	}
	return supervisor.State{}, errdefs.NotFound("no such container")
}

func (f *fakeSup) List(ctx context.Context) ([]supervisor.State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []supervisor.State
	for _, st := range f.states {
		out = append(out, *st)
	}
	return out, nil
}

func (f *fakeSup) Wait(ctx context.Context, id string) (supervisor.State, error) {
	f.mu.Lock()
	ch, ok := f.done[id]
	f.mu.Unlock()
	if !ok {
		return supervisor.State{}, errdefs.NotFound("no such container")
	}
	select {
	case <-ch:
	case <-ctx.Done():
		return supervisor.State{}, ctx.Err()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.final[ch], nil
}

func (f *fakeSup) Attach(ctx context.Context, id string, opts supervisor.AttachOptions) (supervisor.Stream, error) {
	a, b := net.Pipe()
	f.mu.Lock()
	f.conns = append(f.conns, b)
	f.mu.Unlock()
	return pipeStream{a}, nil
}

type pipeStream struct{ net.Conn }

func (p pipeStream) CloseWrite() error { return nil }

func (f *fakeSup) Resize(ctx context.Context, id, execID string, w, h uint16) error { return nil }
func (f *fakeSup) Exec(ctx context.Context, req supervisor.ExecRequest) (supervisor.Stream, error) {
	return nil, &supervisor.CommandError{ExitCode: 127, Msg: `exec: "nope": executable file not found in $PATH`}
}
func (f *fakeSup) ExecState(ctx context.Context, id, execID string) (supervisor.ExecState, error) {
	return supervisor.ExecState{}, errdefs.NotFound("no exec")
}
func (f *fakeSup) Pids(ctx context.Context, id string) ([]int, error) { return []int{os.Getpid()}, nil }

func (f *fakeSup) Delete(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.states[id]
	if !ok {
		return errdefs.NotFound("no such container")
	}
	if st.Status == supervisor.StatusRunning || st.Status == supervisor.StatusPaused {
		return errdefs.Conflict("running")
	}
	delete(f.states, id)
	delete(f.done, id)
	f.deletes++
	return nil
}

type fixture struct {
	s      *Service
	layers *fakeLayers
	sup    *fakeSup
	cfg    Config
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{layers: &fakeLayers{root: filepath.Join(dir, "layers"), rw: map[string]bool{}}, sup: newFakeSup()}
	f.cfg = Config{Root: filepath.Join(dir, "containers"), ExecRoot: filepath.Join(dir, "exec")}
	t.Cleanup(func() { // containers left running keep their netns mounted
		left, _ := filepath.Glob(filepath.Join(f.cfg.ExecRoot, "*", "netns"))
		for _, p := range left {
			removeNetns(p)
		}
	})
	f.s = f.reload(t)
	return f
}

// reload builds a new service over the same directories (a daemon restart).
func (f *fixture) reload(t *testing.T) *Service {
	t.Helper()
	s, err := newService(f.cfg, deps{images: fakeImages{}, layers: f.layers, sup: f.sup})
	if err != nil {
		t.Fatal(err)
	}
	f.s = s
	return s
}

var commandErr127 = supervisor.CommandError{ExitCode: 127, Msg: `unable to start container process: exec: "nope": executable file not found in $PATH`}
