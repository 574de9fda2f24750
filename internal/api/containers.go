package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/errdefs"
)

func (s *Server) routeContainers() {
	s.handle("POST /containers/create", s.containerCreate)
	s.handle("GET /containers/json", s.containerList)
	s.handle("GET /containers/{id}/json", s.containerInspect)
	s.handle("POST /containers/{id}/start", s.containerStart)
	s.handle("POST /containers/{id}/stop", s.containerStop)
	s.handle("POST /containers/{id}/restart", s.containerRestart)
	s.handle("POST /containers/{id}/kill", s.containerKill)
	s.handle("POST /containers/{id}/wait", s.containerWait)
	s.handle("DELETE /containers/{id}", s.containerRemove)
	s.handle("GET /containers/{id}/logs", s.containerLogs)
	s.handle("POST /containers/{id}/attach", s.containerAttach)
	s.handle("POST /containers/{id}/resize", s.containerResize)
	s.handle("GET /containers/{id}/top", s.containerTop)
	s.handle("POST /containers/{id}/rename", s.containerRename)
}

func (s *Server) containerCreate(w http.ResponseWriter, r *http.Request) error {
	var req createBody
	if err := readJSON(r, &req); err != nil {
		return err
	}
	if req.Config == nil {
		return invalidf("config cannot be empty in order to create a container")
	}
	if req.HostConfig == nil {
		req.HostConfig = &container.HostConfig{}
	}
	warnings, err := normalizeNetworking(versionFrom(r.Context()), &req)
	if err != nil {
		return err
	}
	resp, err := s.cfg.Containers.ContainerCreate(r.Context(), r.URL.Query().Get("name"), req.Config, req.HostConfig, req.NetworkingConfig)
	if err != nil {
		return err
	}
	resp.Warnings = append(append([]string{}, resp.Warnings...), warnings...)
	writeJSON(w, http.StatusCreated, resp)
	return nil
}

func (s *Server) containerList(w http.ResponseWriter, r *http.Request) error {
	filters, err := decodeFilters(r.URL.Query().Get("filters"))
	if err != nil {
		return err
	}
	limit, err := intParam(r, "limit")
	if err != nil {
		return err
	}
	opts := ListOptions{All: boolValue(r, "all"), Size: boolValue(r, "size"), Filters: filters}
	if limit != nil {
		opts.Limit = *limit
	}
	list, err := s.cfg.Containers.ContainerList(r.Context(), opts)
	if err != nil {
		return err
	}
	if list == nil {
		list = []container.Summary{}
	}
	writeJSON(w, http.StatusOK, list)
	return nil
}

func (s *Server) containerInspect(w http.ResponseWriter, r *http.Request) error {
	c, err := s.cfg.Containers.ContainerInspect(r.Context(), r.PathValue("id"), boolValue(r, "size"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, inspectFor(versionFrom(r.Context()), c))
	return nil
}

func (s *Server) containerStart(w http.ResponseWriter, r *http.Request) error {
	if err := s.cfg.Containers.ContainerStart(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) containerStop(w http.ResponseWriter, r *http.Request) error {
	timeout, err := intParam(r, "t")
	if err != nil {
		return err
	}
	if err := s.cfg.Containers.ContainerStop(r.Context(), r.PathValue("id"), r.URL.Query().Get("signal"), timeout); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) containerRestart(w http.ResponseWriter, r *http.Request) error {
	timeout, err := intParam(r, "t")
	if err != nil {
		return err
	}
	if err := s.cfg.Containers.ContainerRestart(r.Context(), r.PathValue("id"), r.URL.Query().Get("signal"), timeout); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) containerKill(w http.ResponseWriter, r *http.Request) error {
	if err := s.cfg.Containers.ContainerKill(r.Context(), r.PathValue("id"), r.URL.Query().Get("signal")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// containerWait sends the 200 header at once, so that a client knows the
// wait is registered before it starts the container, then the result.
func (s *Server) containerWait(w http.ResponseWriter, r *http.Request) error {
	cond := container.WaitCondition(r.URL.Query().Get("condition"))
	switch cond {
	case "":
		cond = container.WaitConditionNotRunning
	case container.WaitConditionNotRunning, container.WaitConditionNextExit, container.WaitConditionRemoved:
	default:
		return invalidf("invalid condition: %q", cond)
	}
	ch, err := s.cfg.Containers.ContainerWait(r.Context(), r.PathValue("id"), cond)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	flush(w)
	select {
	case resp, ok := <-ch:
		if !ok {
			resp = container.WaitResponse{StatusCode: -1, Error: &container.WaitExitError{Message: "wait ended without a result"}}
		}
		_ = json.NewEncoder(w).Encode(resp)
	case <-r.Context().Done():
	}
	return nil
}

// LinkRemover is an ability of the container backend: `docker rm --link
// /parent/alias` removes a legacy link, not a container.
type LinkRemover interface {
	ContainerRemoveLink(ctx context.Context, name string) error
}

func (s *Server) containerRemove(w http.ResponseWriter, r *http.Request) error {
	var err error
	if boolValue(r, "link") {
		lr, ok := s.cfg.Containers.(LinkRemover)
		if !ok {
			return errdefs.NotImplemented("removing links is not supported")
		}
		err = lr.ContainerRemoveLink(r.Context(), r.PathValue("id"))
	} else {
		err = s.cfg.Containers.ContainerRemove(r.Context(), r.PathValue("id"), boolValue(r, "force"), boolValue(r, "v"))
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) containerLogs(w http.ResponseWriter, r *http.Request) error {
	opts := LogsOptions{
		Stdout:     boolValue(r, "stdout"),
		Stderr:     boolValue(r, "stderr"),
		Follow:     boolValue(r, "follow"),
		Timestamps: boolValue(r, "timestamps"),
		Tail:       r.URL.Query().Get("tail"),
		Since:      r.URL.Query().Get("since"),
		Until:      r.URL.Query().Get("until"),
	}
	if !opts.Stdout && !opts.Stderr {
		return invalidf("Bad parameters: you must choose at least one stream")
	}
	if opts.Tail == "" {
		opts.Tail = "all"
	}
	stream, err := s.cfg.Containers.ContainerLogs(r.Context(), r.PathValue("id"), opts)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", streamType(stream.Tty))
	w.WriteHeader(http.StatusOK)
	flush(w)
	if err := stream.WriteTo(r.Context(), flushWriter{w}); err != nil {
		slog.Debug("api: logs stream ended", "container", r.PathValue("id"), "err", err)
	}
	return nil
}

func (s *Server) containerAttach(w http.ResponseWriter, r *http.Request) error {
	opts := AttachOptions{
		Stdin:      boolValue(r, "stdin"),
		Stdout:     boolValue(r, "stdout"),
		Stderr:     boolValue(r, "stderr"),
		Stream:     boolValue(r, "stream"),
		Logs:       boolValue(r, "logs"),
		DetachKeys: r.URL.Query().Get("detachKeys"),
	}
	sess, err := s.cfg.Containers.ContainerAttach(r.Context(), r.PathValue("id"), opts)
	if err != nil {
		return err
	}
	return hijack(w, r, sess, opts.Stdin)
}

// sizeParams reads a resize request's h and w.
func sizeParams(r *http.Request) (h, w uint, err error) {
	if h, err = uintParam(r, "h"); err != nil {
		return 0, 0, err
	}
	w, err = uintParam(r, "w")
	return h, w, err
}

func (s *Server) containerResize(w http.ResponseWriter, r *http.Request) error {
	h, wd, err := sizeParams(r)
	if err != nil {
		return err
	}
	if err := s.cfg.Containers.ContainerResize(r.Context(), r.PathValue("id"), h, wd); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) containerTop(w http.ResponseWriter, r *http.Request) error {
	top, err := s.cfg.Containers.ContainerTop(r.Context(), r.PathValue("id"), r.URL.Query().Get("ps_args"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, top)
	return nil
}

func (s *Server) containerRename(w http.ResponseWriter, r *http.Request) error {
	name := r.URL.Query().Get("name")
	if name == "" {
		return invalidf("Neither old nor new names may be empty")
	}
	if err := s.cfg.Containers.ContainerRename(r.Context(), r.PathValue("id"), name); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
