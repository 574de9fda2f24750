package api

import (
	"context"
	"net/http"

	"github.com/wharf/wharf/internal/errdefs"
)

// PauseBackend freezes and thaws containers (implemented by
// internal/container); an optional ability of the container backend.
type PauseBackend interface {
	ContainerPause(ctx context.Context, ref string) error
	ContainerUnpause(ctx context.Context, ref string) error
}

func (s *Server) routePause() {
	s.handle("POST /containers/{id}/pause", s.containerPause)
	s.handle("POST /containers/{id}/unpause", s.containerUnpause)
}

func (s *Server) pauser() (PauseBackend, error) {
	if p, ok := s.cfg.Containers.(PauseBackend); ok {
		return p, nil
	}
	return nil, errdefs.NotImplemented("pause is not supported")
}

func (s *Server) containerPause(w http.ResponseWriter, r *http.Request) error {
	p, err := s.pauser()
	if err != nil {
		return err
	}
	if err := p.ContainerPause(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) containerUnpause(w http.ResponseWriter, r *http.Request) error {
	p, err := s.pauser()
	if err != nil {
		return err
	}
	if err := p.ContainerUnpause(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
