package oci

import (
	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wharf/wharf/internal/errdefs"
)

// execProcess: the exec inherits the container's environment, user and
// working directory unless the request overrides them; TERM follows the
// exec's own tty, as in Docker.
func execProcess(in Input, req container.ExecCreateRequest) (*specs.Process, error) {
	if in.Config == nil || in.HostConfig == nil || len(in.ID) < 12 {
		return nil, errdefs.Invalid("exec: container config and ID are required")
	}
	if len(req.Cmd) == 0 {
		return nil, errdefs.Invalid("No exec command specified")
	}
	user := req.User
	if user == "" {
		user = in.Config.User
	}
	cwd := req.WorkingDir
	if cwd == "" {
		cwd = in.Config.WorkingDir
	}
	p, err := process(in, append([]string(nil), req.Cmd...), user, cwd, req.Tty, req.Env, req.Privileged || in.HostConfig.Privileged)
	if err != nil {
		return nil, err
	}
	if req.Tty && req.ConsoleSize != nil && req.ConsoleSize[0] > 0 && req.ConsoleSize[1] > 0 {
		p.ConsoleSize = &specs.Box{Height: req.ConsoleSize[0], Width: req.ConsoleSize[1]}
	}
	return p, nil
}
