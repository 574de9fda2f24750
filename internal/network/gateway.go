package network

import (
	"github.com/wharf/wharf/internal/network/bridge"
)

// electGateway puts the container's default route on the endpoint Docker
// would pick, recomputed at every connect and disconnect: of its networks
// that are not --internal, the highest gw-priority, ties to the first
// network by name. With none, it keeps no route out. s.mu is held.
func (s *Service) electGateway(containerID string) error {
	var best, held *record
	for _, r := range s.nets {
		ep, ok := r.Endpoints[containerID]
		if !ok {
			continue
		}
		if ep.Gateway {
			held = r
		}
		if r.Internal {
			continue
		}
		if best == nil || betterGateway(r, ep, best, best.Endpoints[containerID]) {
			best = r
		}
	}
	if best == nil || best == held {
		return nil
	}
	ep := best.Endpoints[containerID]
	if err := bridge.SetGateway(ep.NetnsPath, ep.IfName, best.Gateway); err != nil {
		return err
	}
	ep.Gateway = true
	if err := s.save(best, false); err != nil {
		return err
	}
	if held != nil {
		held.Endpoints[containerID].Gateway = false
		return s.save(held, false)
	}
	return nil
}

func betterGateway(r *record, ep *endpoint, than *record, thanEP *endpoint) bool {
	if ep.GwPriority != thanEP.GwPriority {
		return ep.GwPriority > thanEP.GwPriority
	}
	return r.Name < than.Name
}
