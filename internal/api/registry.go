package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/registry"
	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/distribution"
	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/image"
)

// RegistryBackend is what the API uses of the distribution client
// (*distribution.Client).
type RegistryBackend interface {
	Pull(ctx context.Context, ref string, opts distribution.PullOptions, p distribution.Progress) (*image.Image, error)
	Push(ctx context.Context, ref string, auth registry.AuthConfig, p distribution.Progress) error
	Login(ctx context.Context, auth registry.AuthConfig) (status, identityToken string, err error)
	Search(ctx context.Context, term string, limit int, auth registry.AuthConfig) ([]registry.SearchResult, error)
}

func (s *Server) routeRegistry() {
	s.handle("POST /auth", s.auth)
	s.handle("GET /images/search", s.imageSearch)
}

func (s *Server) registry() (RegistryBackend, error) {
	if s.cfg.Registry == nil {
		return nil, errdefs.NotImplemented("registries are not configured in this daemon")
	}
	return s.cfg.Registry, nil
}

// authFromHeader decodes X-Registry-Auth: base64url (padded or not) JSON
// of an AuthConfig. An absent or empty header is anonymous.
func authFromHeader(r *http.Request) (registry.AuthConfig, error) {
	var a registry.AuthConfig
	h := strings.TrimSpace(r.Header.Get(registry.AuthHeader))
	if h == "" || h == "{}" {
		return a, nil
	}
	b, err := base64.URLEncoding.DecodeString(h)
	if err != nil {
		// Some clients send unpadded or standard base64.
		if b, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(h, "=")); err != nil {
			if b, err = base64.StdEncoding.DecodeString(h); err != nil {
				return a, invalidf("invalid X-Registry-Auth header: %v", err)
			}
		}
	}
	if err := json.Unmarshal(b, &a); err != nil {
		return a, invalidf("invalid X-Registry-Auth header: %v", err)
	}
	return a, nil
}

// lockedProgress serialises a progress stream: distribution calls it from
// parallel layer transfers.
type lockedProgress struct {
	mu  sync.Mutex
	out *progressWriter
}

func (l *lockedProgress) send(m any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.out.send(m)
}

func (l *lockedProgress) fail(err error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.out.fail(err)
}

// pullRef joins fromImage and tag (a tag or a digest). With neither a tag
// nor a digest anywhere, Docker pulls every tag of the repository.
func pullRef(from, tag string) (ref string, allTags bool, err error) {
	named, err := reference.ParseNormalizedNamed(from)
	if err != nil {
		return "", false, errdefs.Invalid("invalid reference format: %v", err)
	}
	if tag != "" {
		if strings.Contains(tag, ":") {
			dgst, err := digest.Parse(tag)
			if err != nil {
				return "", false, errdefs.Invalid("invalid digest %q: %v", tag, err)
			}
			named, err = reference.WithDigest(reference.TrimNamed(named), dgst)
			if err != nil {
				return "", false, errdefs.Invalid("invalid reference format: %v", err)
			}
		} else if named, err = reference.WithTag(reference.TrimNamed(named), tag); err != nil {
			return "", false, errdefs.Invalid("invalid tag format: %v", err)
		}
	}
	_, tagged := named.(reference.Tagged)
	_, digested := named.(reference.Digested)
	return named.String(), !tagged && !digested, nil
}

// imagePull serves POST /images/create?fromImage=: progress as JSON lines.
func (s *Server) imagePull(w http.ResponseWriter, r *http.Request) error {
	reg, err := s.registry()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	ref, all, err := pullRef(q.Get("fromImage"), q.Get("tag"))
	if err != nil {
		return err
	}
	auth, err := authFromHeader(r)
	if err != nil {
		return err
	}
	out := &lockedProgress{out: &progressWriter{w: w}}
	var sawStatus atomic.Bool
	progress := func(e distribution.Event) {
		if strings.HasPrefix(e.Status, "Status: ") {
			sawStatus.Store(true)
		}
		out.send(eventMessage(e))
	}
	opts := distribution.PullOptions{Platform: q.Get("platform"), AllTags: all, Auth: auth}
	if _, err := reg.Pull(r.Context(), ref, opts, progress); err != nil {
		return out.fail(err)
	}
	if !sawStatus.Load() {
		out.send(wireMessage{Status: "Status: Downloaded newer image for " + familiarOne(ref)})
	}
	return nil
}

// pushResult is the aux record after a push, read by `docker push` and
// content-trust tooling.
type pushResult struct {
	Tag    string
	Digest string
	Size   int
}

var pushedLine = regexp.MustCompile(`^(\S+): digest: (\S+) size: (\d+)$`)

// imagePush serves POST /images/{name}/push?tag=.
func (s *Server) imagePush(w http.ResponseWriter, r *http.Request, name string) error {
	reg, err := s.registry()
	if err != nil {
		return err
	}
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return errdefs.Invalid("invalid reference format: %v", err)
	}
	ref := named.String()
	if tag := r.URL.Query().Get("tag"); tag != "" {
		tagged, err := reference.WithTag(reference.TrimNamed(named), tag)
		if err != nil {
			return errdefs.Invalid("invalid tag format: %v", err)
		}
		ref = tagged.String()
	}
	auth, err := authFromHeader(r)
	if err != nil {
		return err
	}
	out := &lockedProgress{out: &progressWriter{w: w}}
	progress := func(e distribution.Event) {
		out.send(eventMessage(e))
		// The "tag: digest: d size: n" line is followed by Docker's aux record.
		if m := pushedLine.FindStringSubmatch(e.Status); m != nil && e.ID == "" {
			size, _ := strconv.Atoi(m[3])
			out.send(wireMessage{Aux: pushResult{Tag: m[1], Digest: m[2], Size: size}})
		}
	}
	if err := reg.Push(r.Context(), ref, auth, progress); err != nil {
		return out.fail(err)
	}
	if !out.out.started {
		// Nothing to report is still a 200 stream, as dockerd answers.
		out.send(wireMessage{Status: "The push refers to repository [" + named.Name() + "]"})
	}
	return nil
}

// auth serves POST /auth: check credentials against the registry.
func (s *Server) auth(w http.ResponseWriter, r *http.Request) error {
	reg, err := s.registry()
	if err != nil {
		return err
	}
	var a registry.AuthConfig
	if err := readJSON(r, &a); err != nil {
		return err
	}
	status, token, err := reg.Login(r.Context(), a)
	if err != nil {
		return err
	}
	if status == "" {
		status = "Login Succeeded"
	}
	writeJSON(w, http.StatusOK, registry.AuthResponse{Status: status, IdentityToken: token})
	return nil
}

// imageSearch serves GET /images/search?term=&limit=&filters=.
func (s *Server) imageSearch(w http.ResponseWriter, r *http.Request) error {
	reg, err := s.registry()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	term := q.Get("term")
	if term == "" {
		return invalidf("term is required")
	}
	limit := 25
	if l, err := intParam(r, "limit"); err != nil {
		return err
	} else if l != nil {
		if *l < 1 || *l > 100 {
			return invalidf("limit %d is outside the range of [1, 100]", *l)
		}
		limit = *l
	}
	filters, err := decodeFilters(q.Get("filters"))
	if err != nil {
		return err
	}
	match, err := searchFilter(filters)
	if err != nil {
		return err
	}
	auth, err := authFromHeader(r)
	if err != nil {
		return err
	}
	res, err := reg.Search(r.Context(), term, limit, auth)
	if err != nil {
		return err
	}
	out := []registry.SearchResult{}
	for _, x := range res {
		if match(x) && len(out) < limit {
			out = append(out, x)
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// searchFilter compiles the is-official, is-automated and stars filters.
func searchFilter(f map[string][]string) (func(registry.SearchResult) bool, error) {
	for k := range f {
		if k != "is-official" && k != "is-automated" && k != "stars" {
			return nil, invalidf("invalid filter '%s'", k)
		}
	}
	boolOf := func(key string) (*bool, error) {
		vs := f[key]
		if len(vs) == 0 {
			return nil, nil
		}
		b, err := strconv.ParseBool(vs[0])
		if err != nil {
			return nil, invalidf("invalid filter '%s=%s'", key, vs[0])
		}
		return &b, nil
	}
	official, err := boolOf("is-official")
	if err != nil {
		return nil, err
	}
	automated, err := boolOf("is-automated")
	if err != nil {
		return nil, err
	}
	stars := 0
	for _, v := range f["stars"] {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, invalidf("invalid filter 'stars=%s'", v)
		}
		stars = max(stars, n)
	}
	return func(x registry.SearchResult) bool {
		return (official == nil || *official == x.IsOfficial) &&
			(automated == nil || *automated == x.IsAutomated) && x.StarCount >= stars
	}, nil
}
