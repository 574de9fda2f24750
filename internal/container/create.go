package container

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/oci"
)

// ContainerCreate validates everything first, then writes the container's
// files, its RW layer and finally its record, so a crash or failure at any
// step leaves nothing that a record references (and NewService collects
// directories without a record).
func (s *Service) ContainerCreate(ctx context.Context, name string, cfg *container.Config, hc *container.HostConfig, nc *network.NetworkingConfig) (container.CreateResponse, error) {
	if cfg == nil {
		return container.CreateResponse{}, errdefs.Invalid("Config cannot be empty in order to create a container")
	}
	if hc == nil {
		hc = &container.HostConfig{}
	}
	if cfg.Image == "" {
		return container.CreateResponse{}, errdefs.Invalid("No image was specified")
	}
	if name != "" {
		n, err := validateName(name)
		if err != nil {
			return container.CreateResponse{}, err
		}
		name = n
	}
	img, err := s.images.Get(cfg.Image)
	if err != nil {
		return container.CreateResponse{}, err
	}
	if err := validateNetMode(cfg, hc, nc); err != nil {
		return container.CreateResponse{}, err
	}
	// User networks are checked against the network service below; oci
	// knows only the predefined modes.
	if err := oci.ValidateHostConfig(hc); err != nil {
		return container.CreateResponse{}, err
	}
	if err := validateLogConfig(hc); err != nil {
		return container.CreateResponse{}, err
	}
	if err := validateRestart(hc); err != nil {
		return container.CreateResponse{}, err
	}
	if cfg.StopSignal != "" {
		if _, err := oci.ParseSignal(cfg.StopSignal); err != nil {
			return container.CreateResponse{}, errdefs.Invalid("Invalid signal: %s", cfg.StopSignal)
		}
	}
	oci.MergeImageConfig(cfg, &img.Config.Config)
	if len(cfg.Entrypoint)+len(cfg.Cmd) == 0 {
		return container.CreateResponse{}, errdefs.Invalid("no command specified")
	}
	hc.NetworkMode = networkMode(hc)
	nets, err := s.createNetworks(hc, nc)
	if err != nil {
		return container.CreateResponse{}, err
	}
	if hc.LogConfig.Type == "" {
		hc.LogConfig.Type = "json-file"
	}

	id := newID()
	if cfg.Hostname == "" {
		cfg.Hostname = id[:12]
		if hc.NetworkMode.IsHost() {
			if h, err := os.Hostname(); err == nil {
				cfg.Hostname = h
			}
		}
	}

	// Reserve the name so concurrent creates cannot both take it.
	s.mu.Lock()
	if name == "" {
		name = generateName(func(n string) bool { _, ok := s.names[n]; return ok })
	} else if holder, ok := s.names[name]; ok {
		s.mu.Unlock()
		return container.CreateResponse{}, conflictName(name, holder)
	}
	s.names[name] = id
	s.mu.Unlock()

	r := newRecord(id)
	dir := filepath.Join(s.cfg.Root, id)
	r.Name, r.ImageID, r.Created = name, img.ID.String(), time.Now().UTC()
	r.ImageArch = img.Config.Architecture
	r.Config, r.HostConfig, r.Networks = cfg, hc, nets
	r.State = State{Status: stateCreated}
	r.LogPath = filepath.Join(dir, id+"-json.log")
	r.HostnamePath = filepath.Join(dir, "hostname")
	r.HostsPath = filepath.Join(dir, "hosts")
	r.ResolvConfPath = filepath.Join(dir, "resolv.conf")

	if err := s.createFiles(r, img.TopLayer); err != nil {
		s.removeFiles(id)
		s.mu.Lock()
		delete(s.names, name)
		s.mu.Unlock()
		return container.CreateResponse{}, err
	}
	s.mu.Lock()
	s.byID[id] = r
	s.mu.Unlock()
	return container.CreateResponse{ID: id, Warnings: []string{}}, nil
}

func (s *Service) createFiles(r *record, top digest.Digest) error {
	if err := os.MkdirAll(filepath.Join(s.cfg.Root, r.ID), 0o700); err != nil {
		return err
	}
	if err := writeNetworkFiles(r, s.cfg.DNS); err != nil {
		return fmt.Errorf("container %s: %w", r.ID, err)
	}
	if err := s.layers.CreateRW(r.ID, top); err != nil {
		return err
	}
	if err := s.addInitTarget(r); err != nil {
		return err
	}
	return s.save(r)
}

// createNetworks resolves and validates a new container's networks and
// links: legacy --link on the default bridge, endpoint links elsewhere
// (given as --link with a user network, the links go to that network).
func (s *Service) createNetworks(hc *container.HostConfig, nc *network.NetworkingConfig) (map[string]*network.EndpointSettings, error) {
	nets, err := s.networksFor(hc, nc)
	if err != nil {
		return nil, err
	}
	links := slices.Clone(hc.Links)
	for name, es := range nets {
		if name != "bridge" {
			links = append(links, es.Links...)
		}
	}
	if err := s.validateLinks(links); err != nil {
		return nil, err
	}
	if hc.NetworkMode.IsUserDefined() && len(hc.Links) > 0 {
		if es := nets[primaryName(&record{HostConfig: hc, Networks: nets})]; es != nil && len(es.Links) == 0 {
			es.Links = slices.Clone(hc.Links)
		}
	}
	return nets, nil
}

// validateLogConfig accepts the json-file driver and its rotation options.
func validateLogConfig(hc *container.HostConfig) error {
	switch hc.LogConfig.Type {
	case "", "json-file":
	default:
		return errdefs.Invalid("logging driver %q is not supported (only json-file)", hc.LogConfig.Type)
	}
	_, _, err := logLimits(hc, 0, 0)
	return err
}

// logLimits returns the rotation limits from --log-opt or the defaults.
func logLimits(hc *container.HostConfig, defSize int64, defFiles int) (int64, int, error) {
	size, files := defSize, defFiles
	for k, v := range hc.LogConfig.Config {
		switch k {
		case "max-size":
			n, err := units.RAMInBytes(v)
			if err != nil {
				return 0, 0, errdefs.Invalid("invalid value for log-opt max-size: %s", v)
			}
			size = n
		case "max-file":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return 0, 0, errdefs.Invalid("invalid value for log-opt max-file: %s", v)
			}
			files = n
		case "labels", "env", "env-regex", "tag", "compress":
		default:
			return 0, 0, errdefs.Invalid("unknown log opt '%s' for json-file log driver", k)
		}
	}
	return size, files, nil
}
