package api

import (
	"net/http"

	"github.com/moby/moby/api/types/container"
)

func (s *Server) routeExec() {
	s.handle("POST /containers/{id}/exec", s.execCreate)
	s.handle("POST /exec/{id}/start", s.execStart)
	s.handle("GET /exec/{id}/json", s.execInspect)
	s.handle("POST /exec/{id}/resize", s.execResize)
}

func (s *Server) execCreate(w http.ResponseWriter, r *http.Request) error {
	var req container.ExecCreateRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	if len(req.Cmd) == 0 {
		return invalidf("No exec command specified")
	}
	id, err := s.cfg.Exec.ExecCreate(r.Context(), r.PathValue("id"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, container.ExecCreateResponse{ID: id})
	return nil
}

func (s *Server) execStart(w http.ResponseWriter, r *http.Request) error {
	var req container.ExecStartRequest
	if err := readOptionalJSON(r, &req); err != nil {
		return err
	}
	sess, err := s.cfg.Exec.ExecStart(r.Context(), r.PathValue("id"), req.Detach)
	if err != nil {
		return err
	}
	if req.Detach || sess == nil {
		w.WriteHeader(http.StatusOK)
		return nil
	}
	// Only an exec created with AttachStdin reads the client's stdin.
	stdin := true
	if e, err := s.cfg.Exec.ExecInspect(r.Context(), r.PathValue("id")); err == nil {
		stdin = e.OpenStdin
	}
	return hijack(w, r, sess, stdin)
}

func (s *Server) execInspect(w http.ResponseWriter, r *http.Request) error {
	e, err := s.cfg.Exec.ExecInspect(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) execResize(w http.ResponseWriter, r *http.Request) error {
	h, wd, err := sizeParams(r)
	if err != nil {
		return err
	}
	if err := s.cfg.Exec.ExecResize(r.Context(), r.PathValue("id"), h, wd); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}
