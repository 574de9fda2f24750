// Package container is the engine's container service: it turns a Docker
// container config into an OCI spec plus rootfs mounts, keeps container
// records, and drives their lifecycle through the supervisor.
package container

import (
	"context"

	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/image"
	"github.com/wharf/wharf/internal/layer"
	"github.com/wharf/wharf/internal/supervisor"
)

// CONTRACT (used by internal/engine).

// Config wires the service.
type Config struct {
	Root         string // data-root/containers: records and logs, one dir per container
	ExecRoot     string // exec-root/containers: bundles (rootfs mountpoints)
	Images       *image.Store
	Layers       *layer.Store
	Supervisor   *supervisor.Client
	CgroupParent string // e.g. "/wharf"; each container gets CgroupParent/<id>
	InitPath     string // static binary bind-mounted as the container's init for --init
	LogMaxSize   int64  // default json-file rotation (10 MiB)
	LogMaxFiles  int    // default 3
	Seccomp      bool   // apply the default seccomp profile (false when not compiled in)
}

type Service struct{ cfg Config }

// NewService loads the records under cfg.Root.
func NewService(cfg Config) (*Service, error) {
	return nil, errdefs.NotImplemented("container: NewService")
}

// Restore reconciles records with the supervisor after the daemon starts:
// running containers are watched again, exits that happened while the
// daemon was down are recorded with their real exit codes, --rm ones removed.
func (s *Service) Restore(ctx context.Context) error {
	return errdefs.NotImplemented("container: Restore")
}

// InUse returns the ID of a container created from image id, or "".
func (s *Service) InUse(id digest.Digest) string { return "" }

// Counts for GET /info.
func (s *Service) Counts() (total, running, paused, stopped int) { return 0, 0, 0, 0 }
