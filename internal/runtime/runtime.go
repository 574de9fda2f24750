// Package runtime runs OCI bundles. Its first implementation embeds
// libcontainer: the container's init is this binary re-executed with the
// argument "init" (registered below), and the caller keeps each
// container's stdio as plain files (pipes or a pty master).
package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"

	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/specconv"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	_ "github.com/opencontainers/cgroups/devices" // v1 devices controller
	_ "github.com/opencontainers/runc/libcontainer/nsenter"

	"github.com/wharf/wharf/internal/errdefs"
)

func init() {
	// The container's init: nsenter's C constructor has already joined
	// or created the namespaces; libcontainer finishes the setup and execs
	// the user process. Never returns.
	if len(os.Args) > 1 && os.Args[1] == "init" {
		goruntime.GOMAXPROCS(1)
		goruntime.LockOSThread()
		libcontainer.Init()
	}
}

// Runtime creates containers whose libcontainer state lives under one
// root. The root must not be in the same tree as the binary (libcontainer
// then copies the binary at every start).
type Runtime struct {
	root string
}

// New prepares the state root.
func New(root string) (*Runtime, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, err
	}
	return &Runtime{root: root}, nil
}

// Create makes the container and its init, blocked before exec'ing the
// user process until Container.Start. Spec.Root.Path must be the mounted
// rootfs. Nothing is left behind on error.
func (r *Runtime) Create(id string, spec *specs.Spec, stdio Stdio) (*Container, *Process, error) {
	if spec == nil || spec.Process == nil || spec.Root == nil {
		return nil, nil, errdefs.Invalid("container %s: spec needs process and root", id)
	}
	s := *spec
	if !SeccompSupported() && s.Linux != nil && s.Linux.Seccomp != nil {
		l := *s.Linux
		l.Seccomp = nil
		s.Linux = &l
	}
	if adj := s.Process.OOMScoreAdj; adj != nil && *adj < ownOOMScoreAdj() {
		// Lowering it needs CAP_SYS_RESOURCE, which root may lack: keep ours.
		p := *s.Process
		p.OOMScoreAdj = nil
		s.Process = &p
	}
	config, err := specconv.CreateLibcontainerConfig(&specconv.CreateOpts{
		CgroupName: id, // used only when Spec.Linux.CgroupsPath is empty
		Spec:       &s,
	})
	if err != nil {
		return nil, nil, errdefs.Invalid("container %s: %v", id, err)
	}
	lc, err := libcontainer.Create(r.root, id, config)
	if errors.Is(err, libcontainer.ErrExist) && r.removeStale(id) {
		lc, err = libcontainer.Create(r.root, id, config)
	}
	if err != nil {
		if errors.Is(err, libcontainer.ErrExist) {
			return nil, nil, errdefs.Conflict("container %s already exists in the runtime", id)
		}
		return nil, nil, fmt.Errorf("container %s: %w", id, err)
	}
	c := &Container{lc: lc}
	p, err := newProcess(s.Process, true)
	if err != nil {
		_ = lc.Destroy()
		return nil, nil, err
	}
	proc, err := c.start(p, stdio)
	if err != nil {
		_ = lc.Destroy()
		return nil, nil, err
	}
	return c, proc, nil
}

// removeStale destroys the state a previous supervisor left for id, if
// its container is no longer running.
func (r *Runtime) removeStale(id string) bool {
	lc, err := libcontainer.Load(r.root, id)
	if errors.Is(err, libcontainer.ErrNotExist) { // a create that died before saving state
		return os.RemoveAll(filepath.Join(r.root, id)) == nil
	}
	if err != nil {
		return false
	}
	if st, err := lc.Status(); err != nil || st != libcontainer.Stopped {
		return false
	}
	return lc.Destroy() == nil
}

func ownOOMScoreAdj() int {
	b, _ := os.ReadFile("/proc/self/oom_score_adj")
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}
