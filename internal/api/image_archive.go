package api

import (
	"context"
	"io"
	"net/http"

	"github.com/moby/moby/api/types/jsonstream"

	"github.com/wharf/wharf/internal/errdefs"
)

// ArchiveBackend writes and reads image archives (internal/image/archive
// over the image store; the engine wires it).
type ArchiveBackend interface {
	Save(ctx context.Context, refs []string, w io.Writer) error
	Load(ctx context.Context, r io.Reader, report func(line string)) error
}

func (s *Server) archive() (ArchiveBackend, error) {
	if s.cfg.Archive == nil {
		return nil, errdefs.NotImplemented("image save and load are not configured in this daemon")
	}
	return s.cfg.Archive, nil
}

// imagesGet serves GET /images/get?names= and GET /images/{name}/get: a tar
// in `docker save` format. Names are checked first so that an unknown one is
// a 404, not a broken tar.
func (s *Server) imagesGet(w http.ResponseWriter, r *http.Request, names []string) error {
	a, err := s.archive()
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return invalidf("no images specified")
	}
	for _, n := range names {
		if _, err := s.cfg.Images.Get(n); err != nil {
			return err
		}
	}
	w.Header().Set("Content-Type", "application/x-tar")
	out := &startWriter{w: w}
	if err := a.Save(r.Context(), names, out); err != nil {
		if !out.started {
			return err
		}
		// The tar is cut short; the client sees a truncated archive.
		panic(http.ErrAbortHandler)
	}
	if !out.started {
		w.WriteHeader(http.StatusOK)
	}
	return nil
}

// startWriter sends the 200 header with the first bytes, so an error before
// any byte is still a plain HTTP error.
type startWriter struct {
	w       http.ResponseWriter
	started bool
}

func (s *startWriter) Write(p []byte) (int, error) {
	s.started = true
	return s.w.Write(p)
}

// imagesLoad serves POST /images/load: the body is a docker-archive or OCI
// archive; the answer is Docker's JSON stream of "Loaded image" lines.
func (s *Server) imagesLoad(w http.ResponseWriter, r *http.Request) error {
	a, err := s.archive()
	if err != nil {
		return err
	}
	out := &progressWriter{w: w}
	err = a.Load(r.Context(), r.Body, func(line string) {
		out.send(jsonstream.Message{Stream: line + "\n"})
	})
	if err != nil {
		return out.fail(err)
	}
	if !out.started {
		out.send(jsonstream.Message{Stream: ""})
	}
	return nil
}
