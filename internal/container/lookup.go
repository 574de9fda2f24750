package container

import (
	"errors"
	"path/filepath"
	"strings"

	"github.com/wharf/wharf/internal/errdefs"
)

func isNotFound(err error) bool { return errors.Is(err, errdefs.ErrNotFound) }

// lookupLocked resolves ref as Docker does: exact ID, then exact name (with
// or without "/"), then a unique ID prefix. Callers hold s.mu.
func (s *Service) lookupLocked(ref string) (*record, error) {
	if ref == "" {
		return nil, errdefs.NotFound("No such container: %s", ref)
	}
	if r, ok := s.byID[ref]; ok {
		return r, nil
	}
	if id, ok := s.names[strings.TrimPrefix(ref, "/")]; ok {
		if r, ok := s.byID[id]; ok {
			return r, nil
		}
	}
	if t := strings.Trim(ref, "/"); strings.Contains(t, "/") {
		i := strings.LastIndexByte(t, '/')
		return s.linkedLocked(t[:i], t[i+1:], ref)
	}
	var found *record
	for id, r := range s.byID {
		if strings.HasPrefix(id, ref) {
			if found != nil {
				return nil, errdefs.Invalid("multiple IDs found with provided prefix: %s", ref)
			}
			found = r
		}
	}
	if found == nil {
		return nil, errdefs.NotFound("No such container: %s", ref)
	}
	return found, nil
}

func (s *Service) lookup(ref string) (*record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lookupLocked(ref)
}

func errorsIsConflict(err error) bool { return errors.Is(err, errdefs.ErrConflict) }

func (s *Service) recordPath(id string) string { return filepath.Join(s.cfg.Root, id, recordFile) }

// linkedLocked finds the container a legacy link names "parent/alias"
// (Docker registers "/parent/alias" as a name of the linked container;
// links on user networks are DNS aliases only and name nothing).
func (s *Service) linkedLocked(parentRef, alias, ref string) (*record, error) {
	parent, err := s.lookupLocked(parentRef)
	if err != nil {
		return nil, errdefs.NotFound("No such container: %s", ref)
	}
	if mode := parent.HostConfig.NetworkMode; mode != "" && mode.IsUserDefined() {
		return nil, errdefs.NotFound("No such container: %s", ref)
	}
	ls, _ := parseLinks(parent.HostConfig.Links)
	for _, l := range ls {
		if l.alias == alias {
			if child, err := s.lookupLocked(l.name); err == nil {
				return child, nil
			}
		}
	}
	return nil, errdefs.NotFound("No such container: %s", ref)
}
