package api

import (
	"bytes"
	"context"
	"io"
	"log/slog"
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
			w.Header().Del("Content-Type")
			return err
		}
		// The tar is cut short; the client sees a truncated archive.
		slog.Error("image save failed mid-stream", "names", names, "err", err)
		panic(http.ErrAbortHandler)
	}
	if !out.started {
		return out.flush()
	}
	return nil
}

// startWriter holds back the first 64 KiB, so that an error early in the
// archive (an unreadable layer) is still a plain HTTP error, not a cut tar.
type startWriter struct {
	w       http.ResponseWriter
	buf     bytes.Buffer
	started bool
}

const holdBack = 64 << 10

func (s *startWriter) Write(p []byte) (int, error) {
	if s.started {
		return s.w.Write(p)
	}
	s.buf.Write(p)
	if s.buf.Len() >= holdBack {
		return len(p), s.flush()
	}
	return len(p), nil
}

func (s *startWriter) flush() error {
	s.started = true
	w := s.w
	w.WriteHeader(http.StatusOK)
	_, err := s.buf.WriteTo(w)
	return err
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
