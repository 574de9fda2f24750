// Package container is the engine's container service: it turns a Docker
// container config into an OCI spec plus rootfs mounts, keeps container
// records, and drives their lifecycle through the supervisor.
package container

import (
	"context"
	"net/netip"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/api"
	"github.com/wharf/wharf/internal/image"
	"github.com/wharf/wharf/internal/layer"
	"github.com/wharf/wharf/internal/network"
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
	CgroupParent string           // e.g. "/wharf"; each container gets CgroupParent/<id>
	InitPath     string           // static binary bind-mounted as the container's init for --init
	LogMaxSize   int64            // default json-file rotation (10 MiB)
	LogMaxFiles  int              // default 3
	Seccomp      bool             // apply the default seccomp profile (false when not compiled in)
	Network      *network.Service // nil: containers get no network beyond lo
	DNS          []netip.Addr     // the daemon's --dns: nameservers for containers without their own
}

var (
	_ api.ContainerBackend = (*Service)(nil)
	_ api.ExecBackend      = (*Service)(nil)
)

// Service holds every container record. mu guards the indexes and the
// mutable fields of records; each record's op lock serialises its lifecycle
// operations (start, stop, remove) without holding mu across slow calls.
type Service struct {
	cfg    Config
	images imageGetter
	layers layerStore
	sup    supervisorAPI
	net    networker                            // nil without Config.Network
	after  func(time.Duration) <-chan time.Time // the restart backoff's clock

	mu    sync.Mutex
	byID  map[string]*record
	names map[string]string // name without "/" -> ID (also reserved names during create)
	execs map[string]*execRecord
}

// NewService loads the records under cfg.Root.
func NewService(cfg Config) (*Service, error) {
	d := deps{}
	if cfg.Images != nil {
		d.images = cfg.Images
	}
	if cfg.Layers != nil {
		d.layers = cfg.Layers
	}
	if cfg.Supervisor != nil {
		d.sup = cfg.Supervisor
	}
	if cfg.Network != nil {
		d.net = cfg.Network
	}
	return newService(cfg, d)
}

// Restore reconciles records with the supervisor after the daemon starts:
// running containers are watched again, exits that happened while the
// daemon was down are recorded with their real exit codes, --rm ones removed.
func (s *Service) Restore(ctx context.Context) error { return s.restore(ctx) }

// InUse returns the ID of a container created from image id, or "".
func (s *Service) InUse(id digest.Digest) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.byID {
		if r.ImageID == id.String() {
			return r.ID
		}
	}
	return ""
}

// Counts for GET /info.
func (s *Service) Counts() (total, running, paused, stopped int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.byID {
		total++
		switch {
		case r.State.Status == stateRunning && r.State.Paused:
			paused++
		case r.State.Status == stateRunning, r.State.Status == stateRestarting:
			running++ // Docker counts a restarting container as running
		}
	}
	return total, running, paused, total - running - paused
}
