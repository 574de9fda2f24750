package api

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"

	"github.com/moby/moby/api/types/jsonstream"

	"github.com/wharf/wharf/internal/errdefs"
)

// imageCreate serves POST /images/create: pull (fromImage), or import from
// the body (fromSrc=-) or a URL.
func (s *Server) imageCreate(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if q.Get("fromImage") != "" {
		return s.imagePull(w, r)
	}
	src := q.Get("fromSrc")
	if src == "" {
		return invalidf("fromImage or fromSrc is required")
	}
	ref, err := repoTag(q.Get("repo"), q.Get("tag"))
	if err != nil {
		return err
	}
	out := &progressWriter{w: w}
	body := io.Reader(r.Body)
	if src != "-" {
		rc, err := download(r, src, out)
		if err != nil {
			return out.fail(err)
		}
		defer rc.Close()
		body = rc
	}
	img, err := s.cfg.Images.Import(r.Context(), body, ref, q["changes"], q.Get("message"))
	if err != nil {
		return out.fail(err)
	}
	out.send(jsonstream.Message{Status: img.ID.String()})
	return nil
}

// download opens an import source URL (http:// assumed when no scheme).
func download(r *http.Request, src string, out *progressWriter) (io.ReadCloser, error) {
	u, err := url.Parse(src)
	if err != nil {
		return nil, errdefs.Invalid("invalid fromSrc %q: %v", src, err)
	}
	if u.Scheme == "" {
		u, err = url.Parse("http://" + src)
		if err != nil {
			return nil, errdefs.Invalid("invalid fromSrc %q: %v", src, err)
		}
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, invalidf("fromSrc must be - or an http(s) URL, not %q", src)
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, errdefs.Invalid("%v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, errdefs.Unavailable("download %s: %v", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, errdefs.Unavailable("download %s: %s", u, resp.Status)
	}
	out.send(jsonstream.Message{Status: "Downloading from " + u.String()})
	return resp.Body, nil
}

// progressWriter writes JSON progress lines; the 200 header goes out with
// the first line, so an error before any line is a plain HTTP error.
type progressWriter struct {
	w       http.ResponseWriter
	started bool
}

func (p *progressWriter) send(m any) {
	if !p.started {
		p.w.Header().Set("Content-Type", "application/json")
		p.w.WriteHeader(http.StatusOK)
		p.started = true
	}
	b, _ := json.Marshal(m)
	_, _ = p.w.Write(append(b, '\r', '\n'))
	flush(p.w)
}

// fail returns err for the HTTP error path when nothing was sent yet, else
// reports it in the stream the way Docker does.
func (p *progressWriter) fail(err error) error {
	if !p.started {
		return err
	}
	p.send(struct {
		ErrorDetail jsonstream.Error `json:"errorDetail"`
		Error       string           `json:"error"`
	}{jsonstream.Error{Message: err.Error()}, err.Error()})
	return nil
}
