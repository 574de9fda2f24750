package container

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/storage"
)

// ContainerInspect answers GET /containers/{id}/json in Docker's shape.
func (s *Service) ContainerInspect(ctx context.Context, ref string, size bool) (*container.InspectResponse, error) {
	s.mu.Lock()
	r, err := s.lookupLocked(ref)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	resp := s.inspectLocked(r)
	s.mu.Unlock()
	if size {
		rw, total := s.sizes(r)
		resp.SizeRw, resp.SizeRootFs = &rw, &total
	}
	return resp, nil
}

func (s *Service) inspectLocked(r *record) *container.InspectResponse {
	argv := command(r.Config)
	path, args := "", []string{}
	if len(argv) > 0 {
		path, args = argv[0], argv[1:]
	}
	cfg := *r.Config
	hc := *r.HostConfig
	if len(hc.Links) > 0 {
		hc.Links = normalLinks(r.Name, hc.Links)
	}
	st := r.State
	resp := &container.InspectResponse{
		ID:      r.ID,
		Created: r.Created.UTC().Format(time.RFC3339Nano),
		Path:    path,
		Args:    args,
		State: &container.State{
			Status:     statusOf(st),
			Running:    st.Status == stateRunning || st.Status == stateRestarting,
			Paused:     st.Status == stateRunning && st.Paused,
			Restarting: st.Status == stateRestarting,
			OOMKilled:  st.OOMKilled,
			Dead:       st.Status == stateDead,
			Pid:        st.Pid,
			ExitCode:   st.ExitCode,
			Error:      st.Error,
			StartedAt:  st.StartedAt.UTC().Format(time.RFC3339Nano),
			FinishedAt: st.FinishedAt.UTC().Format(time.RFC3339Nano),
		},
		Image:          r.ImageID,
		ResolvConfPath: r.ResolvConfPath,
		HostnamePath:   r.HostnamePath,
		HostsPath:      r.HostsPath,
		LogPath:        r.LogPath,
		Name:           "/" + r.Name,
		RestartCount:   r.RestartCount,
		Driver:         "overlay2",
		Platform:       "linux",
		ExecIDs:        s.execIDsLocked(r.ID),
		HostConfig:     &hc,
		Config:         &cfg,
		GraphDriver:    &storage.DriverData{Name: "overlay2", Data: map[string]string{}},
		Mounts:         []container.MountPoint{},
		NetworkSettings: &container.NetworkSettings{
			Networks: map[string]*network.EndpointSettings{},
		},
	}
	running := st.Status == stateRunning
	if running {
		resp.NetworkSettings.SandboxKey = "/proc/" + strconv.Itoa(st.Pid) + "/ns/net"
		// Docker's sandbox ID is per start; ours names this run of the
		// container's namespace the same way (tools test it for "").
		sum := sha256.Sum256([]byte(r.ID + "/" + st.StartedAt.UTC().Format(time.RFC3339Nano)))
		resp.NetworkSettings.SandboxID = hex.EncodeToString(sum[:])
	}
	s.networkSettings(r, resp.NetworkSettings, running)
	return resp
}

// command is the process argv: entrypoint then cmd.
func command(c *container.Config) []string {
	return append(append([]string{}, c.Entrypoint...), c.Cmd...)
}

// sizes returns the RW layer's size and that plus the image's.
func (s *Service) sizes(r *record) (rw, total int64) {
	rw, _ = s.layers.RWSize(r.ID)
	total = rw
	if img, err := s.images.Get(r.ImageID); err == nil {
		total += img.Size
	}
	return rw, total
}
