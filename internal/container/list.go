package container

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
	mnet "github.com/moby/moby/api/types/network"

	"github.com/wharf/wharf/internal/api"
	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/network/nat"
)

// ContainerList answers GET /containers/json: newest first.
func (s *Service) ContainerList(ctx context.Context, opts api.ListOptions) ([]container.Summary, error) {
	f, err := s.compileFilters(opts.Filters)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	recs := make([]*record, 0, len(s.byID))
	for _, r := range s.byID {
		recs = append(recs, r)
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].Created.After(recs[j].Created) })
	now := time.Now()
	out := []container.Summary{}
	var picked []*record
	linkNames := s.linkNamesLocked()
	for _, r := range recs {
		if opts.Limit > 0 && len(out) >= opts.Limit {
			break
		}
		// Like Docker: without "all" only running containers, unless a
		// limit or a status filter asks for more.
		if !opts.All && opts.Limit <= 0 && len(f.status) == 0 && r.State.Status != stateRunning && r.State.Status != stateRestarting {
			continue
		}
		if !f.match(r) {
			continue
		}
		sum := summaryLocked(r, now)
		sum.Names = append(sum.Names, linkNames[r.ID]...)
		s.summaryNetworks(r, &sum)
		out = append(out, sum)
		picked = append(picked, r)
	}
	s.mu.Unlock()
	if opts.Size {
		for i, r := range picked {
			out[i].SizeRw, out[i].SizeRootFs = s.sizes(r)
		}
	}
	return out, nil
}

// linkNamesLocked gives, by container ID, the names legacy links give it:
// "/parent/alias" for each container linking to it outside user networks
// (on those, links are DNS aliases), as dockerd lists them. Callers hold s.mu.
func (s *Service) linkNamesLocked() map[string][]string {
	out := map[string][]string{}
	for _, p := range s.byID {
		if p.gone || len(p.HostConfig.Links) == 0 || (p.HostConfig.NetworkMode != "" && p.HostConfig.NetworkMode.IsUserDefined()) {
			continue
		}
		ls, err := parseLinks(p.HostConfig.Links)
		if err != nil {
			continue
		}
		for _, l := range ls {
			if child, err := s.lookupLocked(l.name); err == nil {
				out[child.ID] = append(out[child.ID], "/"+p.Name+"/"+l.alias)
			}
		}
	}
	for _, names := range out {
		slices.Sort(names)
	}
	return out
}

func summaryLocked(r *record, now time.Time) container.Summary {
	sum := container.Summary{
		ID:      r.ID,
		Names:   []string{"/" + r.Name},
		Image:   r.Config.Image,
		ImageID: r.ImageID,
		Command: strings.Join(command(r.Config), " "),
		Created: r.Created.Unix(),
		Ports:   []container.PortSummary{},
		Labels:  r.Config.Labels,
		State:   statusOf(r.State),
		Status:  humanStatus(r.State, now),
		Mounts:  []container.MountPoint{},
	}
	if sum.Labels == nil {
		sum.Labels = map[string]string{}
	}
	sum.HostConfig.NetworkMode = string(r.HostConfig.NetworkMode)
	return sum
}

// humanStatus is the STATUS column of `docker ps`.
func humanStatus(st State, now time.Time) string {
	switch st.Status {
	case stateRunning:
		up := "Up " + units.HumanDuration(now.Sub(st.StartedAt))
		if st.Paused {
			return up + " (Paused)"
		}
		return up
	case stateExited:
		if st.FinishedAt.IsZero() {
			return ""
		}
		return fmt.Sprintf("Exited (%d) %s ago", st.ExitCode, units.HumanDuration(now.Sub(st.FinishedAt)))
	case stateRestarting:
		return fmt.Sprintf("Restarting (%d) %s ago", st.ExitCode, units.HumanDuration(now.Sub(st.FinishedAt)))
	case stateDead:
		return "Dead"
	case stateCreated:
		return "Created"
	}
	return string(st.Status)
}

// statusOf is Docker's state string: "paused" for a paused running container.
func statusOf(st State) container.ContainerState {
	if st.Status == stateRunning && st.Paused {
		return container.StatePaused
	}
	return st.Status
}

// filters are the compiled "filters" of a list request.
type filters struct {
	ids, names []*regexp.Regexp
	labels     []string
	status     map[string]bool
	exited     map[int]bool
	ancestors  map[string]bool // image IDs and the names as given
	networks   []string        // names or IDs (prefixes)
	publish    []mnet.Port     // container-side ports published
	expose     []mnet.Port     // container-side ports exposed
}

var validStatus = map[string]bool{"created": true, "restarting": true, "running": true, "removing": true, "paused": true, "exited": true, "dead": true}

func (s *Service) compileFilters(in map[string][]string) (*filters, error) {
	f := &filters{status: map[string]bool{}, exited: map[int]bool{}, ancestors: map[string]bool{}}
	for key, values := range in {
		for _, v := range values {
			switch key {
			case "id", "name":
				re, err := regexp.Compile(v)
				if err != nil {
					return nil, errdefs.Invalid("invalid filter '%s=%s': %v", key, v, err)
				}
				if key == "id" {
					f.ids = append(f.ids, re)
				} else {
					f.names = append(f.names, re)
				}
			case "label":
				f.labels = append(f.labels, v)
			case "status":
				if !validStatus[v] {
					return nil, errdefs.Invalid("invalid filter 'status=%s'", v)
				}
				f.status[v] = true
			case "exited":
				n, err := strconv.Atoi(v)
				if err != nil {
					return nil, errdefs.Invalid("invalid filter 'exited=%s'", v)
				}
				f.exited[n] = true
			case "ancestor":
				f.ancestors[v] = true
				if s.images != nil {
					if img, err := s.images.Get(v); err == nil {
						f.ancestors[img.ID.String()] = true
					}
				}
			case "network":
				f.networks = append(f.networks, v)
			case "publish", "expose":
				if !strings.Contains(v, "/") {
					v += "/tcp"
				}
				p, err := mnet.ParsePort(v)
				if err != nil {
					return nil, errdefs.Invalid("invalid filter '%s=%s': %v", key, v, err)
				}
				if key == "publish" {
					f.publish = append(f.publish, p)
				} else {
					f.expose = append(f.expose, p)
				}
			default:
				return nil, errdefs.Invalid("invalid filter '%s'", key)
			}
		}
	}
	return f, nil
}

// match applies the filters: values of one key are alternatives (OR),
// different keys must all match (AND); labels must all match, like Docker.
func (f *filters) match(r *record) bool {
	if len(f.ids) > 0 && !anyMatch(f.ids, r.ID) {
		return false
	}
	if len(f.names) > 0 && !anyMatch(f.names, "/"+r.Name) {
		return false
	}
	for _, l := range f.labels {
		k, v, hasValue := strings.Cut(l, "=")
		got, ok := r.Config.Labels[k]
		if !ok || hasValue && got != v {
			return false
		}
	}
	if len(f.status) > 0 && !f.status[string(statusOf(r.State))] {
		return false
	}
	if len(f.exited) > 0 && (r.State.Status != stateExited || !f.exited[r.State.ExitCode]) {
		return false
	}
	if len(f.ancestors) > 0 && !f.ancestors[r.ImageID] && !f.ancestors[r.Config.Image] {
		return false
	}
	if len(f.networks) > 0 && !slices.ContainsFunc(f.networks, func(n string) bool { return onNetwork(r, n) }) {
		return false
	}
	if len(f.publish) > 0 && !slices.ContainsFunc(r.Ports, func(p nat.Port) bool {
		k, _ := mnet.PortFrom(p.ContainerPort, mnet.IPProtocol(p.Proto))
		return slices.Contains(f.publish, k)
	}) {
		return false
	}
	if len(f.expose) > 0 && !slices.ContainsFunc(f.expose, func(p mnet.Port) bool { _, ok := r.Config.ExposedPorts[p]; return ok }) {
		return false
	}
	return true
}

// onNetwork: the container is configured on the network named ref (or
// whose ID starts with it).
func onNetwork(r *record, ref string) bool {
	for name, es := range r.Networks {
		if name == ref || es != nil && es.NetworkID != "" && strings.HasPrefix(es.NetworkID, ref) {
			return true
		}
	}
	return false
}

// summaryNetworks fills ps's Ports and NetworkSettings. Callers hold s.mu.
func (s *Service) summaryNetworks(r *record, sum *container.Summary) {
	ns := &container.NetworkSettings{Networks: map[string]*mnet.EndpointSettings{}}
	s.networkSettings(r, ns, r.State.Status == stateRunning)
	sum.NetworkSettings = &container.NetworkSettingsSummary{Networks: ns.Networks}
	for p, bs := range ns.Ports {
		if len(bs) == 0 {
			sum.Ports = append(sum.Ports, container.PortSummary{PrivatePort: p.Num(), Type: string(p.Proto())})
		}
		for _, b := range bs {
			n, _ := strconv.ParseUint(b.HostPort, 10, 16)
			sum.Ports = append(sum.Ports, container.PortSummary{IP: b.HostIP, PrivatePort: p.Num(), PublicPort: uint16(n), Type: string(p.Proto())})
		}
	}
	slices.SortFunc(sum.Ports, func(a, b container.PortSummary) int {
		return cmp.Or(cmp.Compare(a.PrivatePort, b.PrivatePort), strings.Compare(a.Type, b.Type), cmp.Compare(a.PublicPort, b.PublicPort))
	})
}

func anyMatch(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}
