package container

import (
	"github.com/wharf/wharf/internal/network/nat"

	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	mnet "github.com/moby/moby/api/types/network"
)

const recordFile = "config.v2.json"

const (
	stateCreated = container.StateCreated
	stateRunning = container.StateRunning
	stateExited  = container.StateExited
	stateDead    = container.StateDead
)

// State is a container's lifecycle state as recorded on disk.
type State struct {
	Status     container.ContainerState
	Pid        int
	ExitCode   int
	StartedAt  time.Time
	FinishedAt time.Time
	Error      string
	OOMKilled  bool
	Paused     bool // frozen; Status stays running, as in Docker
}

// record is one container. Exported fields are persisted in
// <root>/<id>/config.v2.json; the rest lives only in memory.
type record struct {
	ID             string
	Name           string // without the leading "/"
	ImageID        string // "sha256:..."
	ImageArch      string // image config architecture, for the seccomp filter
	Created        time.Time
	Config         *container.Config
	HostConfig     *container.HostConfig
	State          State
	RestartCount   int
	LogPath        string
	HostnamePath   string
	HostsPath      string
	ResolvConfPath string
	// HasBeenManuallyStopped: the user stopped or killed it, so that
	// unless-stopped is not started again, even by a new daemon.
	HasBeenManuallyStopped bool
	// Ports are the ports published by the current run, host ports picked.
	Ports []nat.Port `json:",omitempty"`
	// Networks are the networks joined at every start, by name, with their
	// configured endpoint settings (address, aliases, MAC, links).
	Networks map[string]*mnet.EndpointSettings `json:",omitempty"`

	op        sync.Mutex       // serialises start/stop/remove of this container
	exited    chan struct{}    // closed at the next exit, then replaced (guarded by Service.mu)
	removed   chan struct{}    // closed when the record is removed
	attachers []*pendingAttach // sessions waiting for Start to hand them a stream
	gone      bool             // removed from the indexes

	// Restart policy state, guarded by Service.mu (see restart.go).
	exitOnNext    bool          // a user stop/kill: do not restart at this exit
	backoff       time.Duration // delay before the last restart
	restartCancel chan struct{} // closed to cancel a pending restart
}

func newRecord(id string) *record {
	return &record{ID: id, exited: make(chan struct{}), removed: make(chan struct{})}
}

// save writes the record crash-safely: temp file, fsync, rename. Like
// Docker's, the directory is not synced: after a power loss the record is
// the old or the new one, never torn, and restore reconciles a state that
// went back with what the supervisor reports (containers do not survive a
// power loss anyway). Callers hold Service.mu (or own the record exclusively).
func (s *Service) save(r *record) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(s.cfg.Root, r.ID, recordFile), data, 0o600)
}

func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	return nil
}

var idPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

func loadRecord(path string) (*record, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if r.Config == nil || r.HostConfig == nil || !idPattern.MatchString(r.ID) {
		return nil, fmt.Errorf("%s: incomplete record", path)
	}
	rec := newRecord(r.ID)
	rec.Name, rec.ImageID, rec.Created = r.Name, r.ImageID, r.Created
	rec.Config, rec.HostConfig, rec.State, rec.RestartCount = r.Config, r.HostConfig, r.State, r.RestartCount
	rec.HasBeenManuallyStopped = r.HasBeenManuallyStopped
	rec.Ports, rec.Networks = r.Ports, r.Networks
	if rec.Networks == nil { // a record from before networks were kept
		rec.Networks = defaultNetworks(r.HostConfig)
	}
	rec.LogPath, rec.HostnamePath, rec.HostsPath, rec.ResolvConfPath = r.LogPath, r.HostnamePath, r.HostsPath, r.ResolvConfPath
	return rec, nil
}

func newService(cfg Config, d deps) (*Service, error) {
	if cfg.LogMaxSize == 0 {
		cfg.LogMaxSize = 10 << 20
	}
	if cfg.LogMaxFiles == 0 {
		cfg.LogMaxFiles = 3
	}
	s := &Service{
		cfg: cfg, images: d.images, layers: d.layers, sup: d.sup, net: d.net, after: time.After,
		byID: map[string]*record{}, names: map[string]string{}, execs: map[string]*execRecord{},
	}
	if err := os.MkdirAll(cfg.Root, 0o700); err != nil {
		return nil, err
	}
	if cfg.ExecRoot != "" {
		if err := os.MkdirAll(cfg.ExecRoot, 0o700); err != nil {
			return nil, err
		}
	}
	entries, err := os.ReadDir(cfg.Root)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if !e.IsDir() || !idPattern.MatchString(e.Name()) {
			continue
		}
		r, err := loadRecord(filepath.Join(cfg.Root, e.Name(), recordFile))
		if err != nil || r.ID != e.Name() {
			// A create that died before its record was written: nothing
			// references this directory or its RW layer.
			log.Printf("container: removing unreferenced %s: %v", e.Name(), err)
			s.removeFiles(e.Name())
			continue
		}
		s.byID[r.ID] = r
		s.names[r.Name] = r.ID
	}
	return s, nil
}

// removeFiles deletes what a container owns on disk: its RW layer, its
// bundle under the exec root (only once its rootfs is no longer mounted)
// and its record dir with logs.
func (s *Service) removeFiles(id string) error {
	var firstErr error
	if s.layers != nil {
		if err := s.layers.RemoveRW(id); err != nil && !isNotFound(err) {
			firstErr = err
		}
	}
	if s.cfg.ExecRoot != "" {
		bundle := filepath.Join(s.cfg.ExecRoot, id)
		// os.Remove fails on a mountpoint, so a still-mounted rootfs is never
		// walked into by RemoveAll.
		if err := os.Remove(filepath.Join(bundle, "rootfs")); err == nil || os.IsNotExist(err) {
			os.RemoveAll(bundle)
		} else if firstErr == nil {
			firstErr = err
		}
	}
	if err := os.RemoveAll(filepath.Join(s.cfg.Root, id)); err != nil && firstErr == nil {
		firstErr = err
	}
	return firstErr
}
