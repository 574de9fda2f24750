package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/configs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/errdefs"
)

// Container is one libcontainer container. The caller reaps the pids of
// the processes it starts (the init and execs are its direct children);
// libcontainer's own Process.Wait is not used, so that one SIGCHLD loop
// can serve every container without a blocked thread per process.
type Container struct {
	lc *libcontainer.Container
}

// Start lets the created init exec the user process.
func (c *Container) Start() error {
	if err := c.lc.Exec(); err != nil {
		return fmt.Errorf("container %s: start: %w", c.lc.ID(), err)
	}
	return nil
}

// Exec starts an extra process in the container's namespaces and cgroup.
func (c *Container) Exec(p *specs.Process, stdio Stdio) (*Process, error) {
	if p == nil || len(p.Args) == 0 {
		return nil, errdefs.Invalid("exec: no command")
	}
	lp, err := newProcess(p, false)
	if err != nil {
		return nil, err
	}
	return c.start(lp, stdio)
}

func (c *Container) start(lp *libcontainer.Process, stdio Stdio) (*Process, error) {
	proc, childEnds, err := stdio.setup(lp)
	if err != nil {
		return nil, err
	}
	var startErr error
	if lp.Init {
		startErr = c.lc.Start(lp)
	} else {
		startErr = c.lc.Run(lp)
	}
	for _, f := range childEnds {
		f.Close()
	}
	if startErr != nil {
		proc.Close()
		return nil, mapStartError(startErr)
	}
	if stdio.Terminal {
		if err := proc.recvConsole(); err != nil {
			_ = lp.Signal(unix.SIGKILL)
			proc.Close()
			return nil, fmt.Errorf("receiving the pty: %w", err)
		}
	}
	proc.Pid, _ = lp.Pid()
	return proc, nil
}

// Signal signals the init, or every process of the container when all.
// A SIGKILL also thaws a paused container: with the v1 freezer a frozen
// process is not killed until thawed. Other signals stay pending until
// Resume.
func (c *Container) Signal(sig syscall.Signal, all bool) error {
	if sig == unix.SIGKILL && c.Paused() {
		defer c.lc.Resume()
	}
	if !all {
		if err := c.lc.Signal(sig); err != nil {
			if errors.Is(err, libcontainer.ErrNotRunning) {
				return errdefs.Conflict("container %s is not running", c.lc.ID())
			}
			return err
		}
		return nil
	}
	pids, err := c.lc.Processes()
	if err != nil {
		return err
	}
	for _, pid := range pids {
		_ = unix.Kill(pid, sig)
	}
	return nil
}

// Pids lists the host pids in the container's cgroup.
func (c *Container) Pids() ([]int, error) { return c.lc.Processes() }

// OOMKilled says whether the kernel's OOM killer struck in the container's
// memory cgroup. Read before Destroy.
func (c *Container) OOMKilled() bool {
	st, err := c.lc.State()
	if err != nil {
		return false
	}
	if dir, ok := st.CgroupPaths["memory"]; ok { // v1
		return counter(filepath.Join(dir, "memory.oom_control"), "oom_kill") > 0
	}
	if dir, ok := st.CgroupPaths[""]; ok { // v2
		return counter(filepath.Join(dir, "memory.events"), "oom_kill") > 0
	}
	return false
}

func counter(file, key string) int {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		k, v, _ := strings.Cut(strings.TrimSpace(line), " ")
		if k == key {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return 0
}

// Destroy kills what is left, removes the cgroup and the runtime state.
func (c *Container) Destroy() error { return c.lc.Destroy() }

// newProcess converts an OCI process to libcontainer's.
func newProcess(p *specs.Process, init bool) (*libcontainer.Process, error) {
	lp := &libcontainer.Process{
		Args:            p.Args,
		Env:             p.Env,
		UID:             int(p.User.UID),
		GID:             int(p.User.GID),
		Cwd:             p.Cwd,
		Init:            init,
		NoNewPrivileges: &p.NoNewPrivileges,
		AppArmorProfile: p.ApparmorProfile,
		Label:           p.SelinuxLabel,
	}
	if p.ConsoleSize != nil {
		lp.ConsoleWidth = uint16(p.ConsoleSize.Width)
		lp.ConsoleHeight = uint16(p.ConsoleSize.Height)
	}
	for _, g := range p.User.AdditionalGids {
		lp.AdditionalGroups = append(lp.AdditionalGroups, int(g))
	}
	if c := p.Capabilities; c != nil {
		lp.Capabilities = &configs.Capabilities{
			Bounding: c.Bounding, Effective: c.Effective, Inheritable: c.Inheritable,
			Permitted: c.Permitted, Ambient: c.Ambient,
		}
	}
	return lp, nil
}
