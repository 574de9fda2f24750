package container

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/oci"
	"github.com/wharf/wharf/internal/supervisor"
)

// ContainerStart runs a created or exited container.
func (s *Service) ContainerStart(ctx context.Context, ref string) error {
	r, err := s.lookup(ref)
	if err != nil {
		return err
	}
	r.op.Lock()
	defer r.op.Unlock()
	s.mu.Lock()
	if r.State.Status == stateRestarting {
		s.mu.Unlock()
		// Docker holds a restarting container for running.
		return errdefs.NotModified("Container %s is already running", r.ID)
	}
	userStartLocked(r)
	s.mu.Unlock()
	return s.startLocked(context.WithoutCancel(ctx), r)
}

// startLocked runs with r.op held. The steps follow runc's create/start
// split: the supervisor creates the init blocked before exec, waiting
// attach sessions get their streams, then the user process starts.
func (s *Service) startLocked(ctx context.Context, r *record) error {
	s.mu.Lock()
	if r.gone {
		s.mu.Unlock()
		return errdefs.NotFound("No such container: %s", r.ID)
	}
	if r.State.Status == stateRunning && r.State.Paused {
		s.mu.Unlock()
		return errdefs.Conflict("cannot start a paused container, try unpause instead")
	}
	if r.State.Status == stateRunning {
		s.mu.Unlock()
		return errdefs.NotModified("Container %s is already running", r.ID)
	}
	s.mu.Unlock()

	// A container on networks joins a namespace made here, which is
	// connected while the supervisor creates the init.
	netns := ""
	if s.net != nil && bridgeNetwork(r.HostConfig) != "" {
		if netns = s.netnsFile(r.ID); netns != "" {
			if err := newNetns(netns); err != nil {
				return s.startFailed(ctx, r, err, nil)
			}
		}
	}
	req, err := s.createRequest(r, netns)
	if err != nil {
		return s.startFailed(ctx, r, err, nil)
	}
	// The network is joined on this goroutine (the network service works
	// in its caller's namespace), the supervisor's create on another.
	created := make(chan error, 1)
	go func() {
		_, err := s.supCreate(ctx, req)
		created <- err
	}()
	// A network failure (a taken port, say) wins: Docker sets up the
	// network before it creates the task.
	err = s.connectNetwork(ctx, r, netns)
	if cerr := <-created; err == nil {
		err = cerr
	}
	if err != nil {
		return s.startFailed(ctx, r, err, nil)
	}
	handed := s.handAttachers(ctx, r)
	st, err := s.sup.Start(ctx, r.ID)
	if err != nil {
		return s.startFailed(ctx, r, err, handed)
	}

	s.mu.Lock()
	r.State = State{Status: stateRunning, Pid: st.Pid, StartedAt: st.StartedAt}
	if r.State.StartedAt.IsZero() {
		r.State.StartedAt = time.Now().UTC()
	}
	err = s.save(r)
	exited := r.exited
	s.mu.Unlock()
	go s.watch(r, exited)
	return err
}

// supCreate creates the container in the supervisor. A stale entry (an
// exit not yet deleted, say after a daemon restart) makes Create fail with
// a conflict: only then is it deleted and Create retried, which spares the
// usual start a round trip.
func (s *Service) supCreate(ctx context.Context, req supervisor.CreateRequest) (int, error) {
	st, err := s.sup.Create(ctx, req)
	if !errors.Is(err, errdefs.ErrConflict) {
		return st.Pid, err
	}
	if err := s.sup.Delete(ctx, req.ID); err != nil && !isNotFound(err) {
		return 0, err
	}
	st, err = s.sup.Create(ctx, req)
	return st.Pid, err
}

// createRequest builds the supervisor's request; netns, when set, is the
// network namespace the container joins.
func (s *Service) createRequest(r *record, netns string) (supervisor.CreateRequest, error) {
	mounts, err := s.layers.Mounts(r.ID)
	if err != nil {
		return supervisor.CreateRequest{}, err
	}
	dirs, err := s.layers.Dirs(r.ID)
	if err != nil {
		return supervisor.CreateRequest{}, err
	}
	in := s.ociInput(r, dirs)
	in.Config = withLinkEnv(in.Config, s.linkEnv(r))
	in.NetNSPath = netns
	if mode := r.HostConfig.NetworkMode; mode.IsContainer() {
		other, err := s.lookup(mode.ConnectedContainer())
		if err != nil {
			return supervisor.CreateRequest{}, err
		}
		s.mu.Lock()
		pid, running := other.State.Pid, other.State.Status == stateRunning
		otherName, otherState := other.Name, statusOf(other.State)
		// Like Docker: the other container's hostname, hosts and resolv.conf.
		cfg := *in.Config
		cfg.Hostname, cfg.Domainname = other.Config.Hostname, other.Config.Domainname
		in.Config, in.HostsPath, in.ResolvConfPath, in.HostnamePath = &cfg, other.HostsPath, other.ResolvConfPath, other.HostnamePath
		s.mu.Unlock()
		if other.ID == r.ID {
			return supervisor.CreateRequest{}, errdefs.Invalid("cannot join own network namespace")
		}
		if !running {
			return supervisor.CreateRequest{}, errdefs.Conflict("cannot join network namespace of a non running container: container %s is %s", otherName, otherState)
		}
		in.NetNSPath = fmt.Sprintf("/proc/%d/ns/net", pid)
	}
	spec, err := oci.Spec(in)
	if err != nil {
		return supervisor.CreateRequest{}, err
	}
	if err := os.MkdirAll(in.RootPath, 0o700); err != nil {
		return supervisor.CreateRequest{}, err
	}
	size, files, err := logLimits(r.HostConfig, s.cfg.LogMaxSize, s.cfg.LogMaxFiles)
	if err != nil {
		return supervisor.CreateRequest{}, err
	}
	return supervisor.CreateRequest{
		ID:        r.ID,
		Bundle:    filepath.Join(s.cfg.ExecRoot, r.ID),
		Spec:      spec,
		Rootfs:    mounts,
		Tty:       r.Config.Tty,
		OpenStdin: r.Config.OpenStdin,
		StdinOnce: r.Config.StdinOnce,
		Log:       supervisor.LogConfig{Path: r.LogPath, MaxSize: size, MaxFiles: files},
	}, nil
}

func (s *Service) ociInput(r *record, dirs []string) oci.Input {
	return oci.Input{
		ID:             r.ID,
		Config:         r.Config,
		HostConfig:     r.HostConfig,
		RootPath:       filepath.Join(s.cfg.ExecRoot, r.ID, "rootfs"),
		RootfsDirs:     dirs,
		HostsPath:      r.HostsPath,
		HostnamePath:   r.HostnamePath,
		ResolvConfPath: r.ResolvConfPath,
		InitPath:       s.cfg.InitPath,
		CgroupParent:   s.cfg.CgroupParent,
		Seccomp:        s.cfg.Seccomp,
		ImageArch:      r.ImageArch,
	}
}

// startFailed undoes a partial start (runtime state, mounts, handed
// streams) and records Docker's exit code for the failure: 127 for a missing
// command, 126 for one that cannot be executed.
func (s *Service) startFailed(ctx context.Context, r *record, cause error, handed []supervisor.Stream) error {
	for _, st := range handed {
		st.Close()
	}
	if err := s.sup.Delete(ctx, r.ID); err != nil && !isNotFound(err) {
		s.sup.Kill(ctx, r.ID, 9, true)
		s.sup.Delete(ctx, r.ID)
	}
	s.releaseNetwork(r)
	s.failAttachers(r, cause)
	code, err := startError(r, cause)
	s.mu.Lock()
	r.State.ExitCode = code
	r.State.Error = err.Error()
	s.save(r)
	auto := r.HostConfig.AutoRemove
	s.mu.Unlock()
	if auto {
		// Like Docker: a --rm container whose start failed is removed, which
		// also ends the client's `wait condition=removed`.
		if rerr := s.removeLocked(ctx, r); rerr != nil {
			log.Printf("container %s: remove after failed start: %v", r.ID[:12], rerr)
		}
	}
	return err
}

// startError maps a runtime failure to Docker's exit code and message.
func startError(r *record, cause error) (int, error) {
	argv0 := ""
	if argv := command(r.Config); len(argv) > 0 {
		argv0 = argv[0]
	}
	var ce *supervisor.CommandError
	if errors.As(cause, &ce) {
		_, detail := classifyExecError(ce.Msg, argv0)
		return ce.ExitCode, errdefs.Invalid("failed to create task for container: OCI runtime create failed: unable to start container process: %s: unknown", detail)
	}
	if errors.Is(cause, errdefs.ErrInvalid) || errors.Is(cause, errdefs.ErrConflict) ||
		errors.Is(cause, errdefs.ErrNotImplemented) ||
		errors.Is(cause, errdefs.ErrNotFound) && !strings.Contains(cause.Error(), "exec") {
		return 125, cause // the engine's own failure, not the command's
	}
	code, detail := classifyExecError(cause.Error(), argv0)
	if code == 128 {
		return code, fmt.Errorf("failed to create task for container: OCI runtime create failed: %s", detail)
	}
	return code, errdefs.Invalid("failed to create task for container: OCI runtime create failed: unable to start container process: %s: unknown", detail)
}

// classifyExecError turns the runtime's complaint about starting argv0 into
// Docker's exit code (127 missing, 126 not executable, else 128) and the
// detail Docker prints, e.g. `exec: "x": executable file not found in $PATH`.
func classifyExecError(msg, argv0 string) (int, string) {
	lower := strings.ToLower(msg)
	switch {
	case strings.Contains(lower, "not found"), strings.Contains(lower, "no such file or directory"):
		if i := strings.Index(msg, "exec: "); i >= 0 {
			return 127, strings.TrimSuffix(msg[i:], ": unknown")
		}
		if strings.Contains(argv0, "/") {
			return 127, fmt.Sprintf("exec: %q: stat %s: no such file or directory", argv0, argv0)
		}
		return 127, fmt.Sprintf("exec: %q: executable file not found in $PATH", argv0)
	case strings.Contains(lower, "permission denied"), strings.Contains(lower, "is a directory"):
		if i := strings.Index(msg, "exec: "); i >= 0 {
			return 126, strings.TrimSuffix(msg[i:], ": unknown")
		}
		return 126, fmt.Sprintf("exec: %q: permission denied", argv0)
	}
	return 128, msg
}
