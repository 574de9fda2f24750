package api

import (
	"context"
	"io"
	"net/http"

	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/errdefs"
)

// ContainerFilesBackend is the container service's filesystem side: commit,
// diff and export (implemented by internal/container).
type ContainerFilesBackend interface {
	// ContainerCommit makes an image of the container's changes and returns its ID.
	ContainerCommit(ctx context.Context, ref string, opts CommitOptions) (string, error)
	ContainerChanges(ctx context.Context, ref string) ([]container.FilesystemChange, error)
	// ContainerExport streams the flattened filesystem as a tar.
	ContainerExport(ctx context.Context, ref string) (io.ReadCloser, error)
}

// CommitOptions of POST /commit.
type CommitOptions struct {
	Ref     string // familiar "repo:tag", "" for an untagged image
	Comment string
	Author  string
	Changes []string // Dockerfile instructions (CMD, ENV, ...)
	Pause   bool
	Config  *container.Config // the request body; nil when empty
}

func (s *Server) routeContainerFiles() {
	s.handle("POST /commit", s.commit)
	s.handle("GET /containers/{id}/changes", s.containerChanges)
	s.handle("GET /containers/{id}/export", s.containerExport)
}

func (s *Server) files() (ContainerFilesBackend, error) {
	if f, ok := s.cfg.Containers.(ContainerFilesBackend); ok {
		return f, nil
	}
	return nil, errdefs.NotImplemented("commit, diff and export are not supported")
}

// commit serves POST /commit?container=&repo=&tag=&comment=&author=&changes=&pause=.
func (s *Server) commit(w http.ResponseWriter, r *http.Request) error {
	f, err := s.files()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var cfg *container.Config
	if err := readOptionalJSON(r, &cfg); err != nil {
		return err
	}
	ref, err := repoTag(q.Get("repo"), q.Get("tag"))
	if err != nil {
		return err
	}
	// Pause defaults to true since API 1.13, as in dockerd.
	pause := boolValue(r, "pause") || q.Get("pause") == ""
	id, err := f.ContainerCommit(r.Context(), q.Get("container"), CommitOptions{
		Ref: ref, Comment: q.Get("comment"), Author: q.Get("author"),
		Changes: q["changes"], Pause: pause, Config: cfg,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, container.CommitResponse{ID: id})
	return nil
}

func (s *Server) containerChanges(w http.ResponseWriter, r *http.Request) error {
	f, err := s.files()
	if err != nil {
		return err
	}
	changes, err := f.ContainerChanges(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if changes == nil {
		changes = []container.FilesystemChange{}
	}
	writeJSON(w, http.StatusOK, changes)
	return nil
}

func (s *Server) containerExport(w http.ResponseWriter, r *http.Request) error {
	f, err := s.files()
	if err != nil {
		return err
	}
	rc, err := f.ContainerExport(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "application/x-tar")
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, rc); err != nil {
		// Headers are gone; cut the connection so the client sees a short tar.
		panic(http.ErrAbortHandler)
	}
	return nil
}
