package supervisor

import (
	"log"
	"os"
	"path/filepath"
	"sync"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/jsonlog"
	"github.com/wharf/wharf/internal/runtime"
)

// drainGrace bounds how long output may outlive its process (a background
// child holding the pipes) before the streams are cut.
const drainGrace = 2 * time.Second

// ctr is one container held by the supervisor.
type ctr struct {
	id      string
	root    string   // rootfs mountpoint (Spec.Root.Path)
	mounted []string // what we mounted for it
	rc      *runtime.Container
	init    *runtime.Process
	io      *hub
	done    chan struct{} // closed once exited and its output drained
	// destroyed is closed once the runtime state and cgroups are gone,
	// after done: the exit is reported without waiting for the cgroup
	// removal (1-3 ms, the kernel offlines each hierarchy's css).
	destroyed chan struct{}
	sharedPID bool // no pid namespace of its own: processes may outlive the init

	mu    sync.Mutex
	state State
	execs map[string]*execProc
}

type execProc struct {
	proc  *runtime.Process
	io    *hub
	state ExecState // guarded by the container's mu
}

func (s *server) create(req *CreateRequest) (st State, err error) {
	if req.ID == "" || req.Spec == nil || req.Spec.Root == nil || !filepath.IsAbs(req.Spec.Root.Path) {
		return State{}, errdefs.Invalid("create: id and a spec with an absolute root path are required")
	}
	if !s.reserve(req.ID) {
		return State{}, errdefs.Conflict("container %s already exists", req.ID)
	}
	defer func() {
		if err != nil {
			s.release(req.ID)
		}
	}()
	root := req.Spec.Root.Path
	mounted, err := mountRootfs(req.Rootfs, root)
	if err != nil {
		return State{}, err
	}
	defer func() {
		if err != nil {
			unmountAll(mounted)
		}
	}()
	var lw *jsonlog.Writer
	if req.Log.Path != "" {
		if err := os.MkdirAll(filepath.Dir(req.Log.Path), 0o700); err != nil {
			return State{}, err
		}
		if lw, err = jsonlog.NewWriter(req.Log.Path, req.Log.MaxSize, req.Log.MaxFiles); err != nil {
			return State{}, err
		}
	}
	rc, proc, err := s.rt.Create(req.ID, req.Spec, runtime.Stdio{Terminal: req.Tty, Stdin: req.OpenStdin && !req.Tty})
	if err != nil {
		if lw != nil {
			lw.Close()
		}
		return State{}, err
	}
	c := &ctr{id: req.ID, root: root, mounted: mounted, rc: rc, init: proc,
		done: make(chan struct{}), destroyed: make(chan struct{}), execs: map[string]*execProc{},
		sharedPID: !ownsPIDNamespace(req.Spec)}
	c.state = State{ID: req.ID, Status: StatusCreated, Pid: proc.Pid}
	c.io = newHub(req.Tty, req.StdinOnce, lw, stdinOf(proc, req.Tty, req.OpenStdin))
	if req.Tty {
		c.io.start(proc.Console, nil)
	} else {
		c.io.start(proc.Stdout, proc.Stderr)
	}
	s.add(c)
	s.reaper.watch(proc.Pid, func() { c.exited(proc.Wait()) })
	return c.snapshot(), nil
}

func stdinOf(p *runtime.Process, tty, open bool) *os.File {
	switch {
	case !open:
		return nil
	case tty:
		return p.Console
	default:
		return p.Stdin
	}
}

func (c *ctr) snapshot() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// exited runs when the init has been reaped. The exit is reported first,
// the runtime state destroyed after: waiters need not wait for the cgroup
// removal. With a pid namespace of its own the container has no process
// left (the kernel killed them with the init); without one, Destroy kills
// the rest before delete unmounts (see server.delete).
func (c *ctr) exited(code int) {
	oom := c.rc.OOMKilled() // before Destroy removes the memory cgroup
	if c.sharedPID {
		c.destroy()
	}
	c.io.drain(drainGrace)
	c.mu.Lock()
	c.state.Status = StatusExited
	c.state.ExitCode = code
	c.state.OOMKilled = oom
	c.state.FinishedAt = time.Now().UTC()
	c.mu.Unlock()
	close(c.done)
	c.io.close()
	if !c.sharedPID {
		c.destroy()
	}
}

func (c *ctr) destroy() {
	if err := c.rc.Destroy(); err != nil {
		log.Printf("container %s: destroy: %v", c.id, err)
	}
	close(c.destroyed)
}

// ownsPIDNamespace says whether the spec gives the container a new pid
// namespace (no path to join).
func ownsPIDNamespace(spec *specs.Spec) bool {
	if spec.Linux == nil {
		return false
	}
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type == specs.PIDNamespace {
			return ns.Path == ""
		}
	}
	return false
}

func (c *ctr) start() (State, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.Status != StatusCreated {
		return c.state, errdefs.Conflict("container %s is %s", c.id, c.state.Status)
	}
	if err := c.rc.Start(); err != nil {
		c.state.Error = err.Error()
		return c.state, err
	}
	c.state.Status = StatusRunning
	c.state.StartedAt = time.Now().UTC()
	return c.state, nil
}

func (c *ctr) exec(s *server, req *ExecRequest) (*execProc, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.Status == StatusPaused {
		return nil, errdefs.Conflict("container %s is paused", c.id)
	}
	if c.state.Status != StatusRunning {
		return nil, errdefs.Conflict("container %s is not running", c.id)
	}
	if req.ExecID == "" {
		return nil, errdefs.Invalid("exec: an exec id is required")
	}
	if _, ok := c.execs[req.ExecID]; ok {
		return nil, errdefs.Conflict("exec %s already exists", req.ExecID)
	}
	proc, err := c.rc.Exec(req.Process, runtime.Stdio{
		Terminal: req.Tty, Stdin: req.Stdin && !req.Tty, Discard: req.Detach})
	if err != nil {
		return nil, err
	}
	e := &execProc{proc: proc, state: ExecState{Running: true, Pid: proc.Pid}}
	// An exec's stdin ends with its attacher's (stdinOnce).
	e.io = newHub(req.Tty, true, nil, stdinOf(proc, req.Tty, req.Stdin))
	c.execs[req.ExecID] = e
	return e, nil
}

// execExited runs when an exec process has been reaped.
func (c *ctr) execExited(e *execProc, code int) {
	e.io.drain(drainGrace)
	c.mu.Lock()
	e.state.Running = false
	e.state.ExitCode = code
	c.mu.Unlock()
	e.io.close()
}
