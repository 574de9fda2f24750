package container

import "github.com/wharf/wharf/internal/oci"

// initFiler is the optional ability of a layer store to hold a bind-mount
// target in the container's init layer, so the runtime need not create it
// in the upper dir (where diff and commit would see it).
type initFiler interface {
	EnsureInitFile(id, path string) error
}

// addInitTarget puts --init's mount target in the init layer.
func (s *Service) addInitTarget(r *record) error {
	f, ok := s.layers.(initFiler)
	if !ok || r.HostConfig == nil || r.HostConfig.Init == nil || !*r.HostConfig.Init {
		return nil
	}
	return f.EnsureInitFile(r.ID, oci.InitPathInContainer)
}
