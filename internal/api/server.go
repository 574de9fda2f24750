package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strings"

	"github.com/moby/moby/api/types/registry"
)

// API versions we serve. Paths without a version get the maximum.
const (
	APIVersion    = "1.51"
	MinAPIVersion = "1.24"
)

// Config wires the server to the engine's services.
type Config struct {
	Containers ContainerBackend
	Exec       ExecBackend
	Images     ImageBackend
	Registry   RegistryBackend // nil: pull, push, login and search answer 501
	Archive    ArchiveBackend  // nil: save and load answer 501
	System     SystemInfo
	// Networks is the engine's *network.Service, for the /networks routes
	// (any: api must not import internal/network's kernel code for this).
	Networks any
}

// SystemInfo holds the engine's facts for /info and /version; host facts
// (CPUs, memory, kernel) are read by the server itself.
type SystemInfo struct {
	ID       string // engine ID, stable across restarts
	Version  string // wharf's version
	DataRoot string
	Debug    bool
	Seccomp  bool // the default seccomp profile is applied
	// Registry is /info's RegistryConfig (mirrors, insecure registries).
	Registry *registry.ServiceConfig
	// Network, when set, gives /info the firewall backend, the default
	// bridge and network warnings.
	Network func() NetworkInfo
}

// NetworkInfo is what /info reports about networking.
type NetworkInfo struct {
	FirewallBackend string      // e.g. "nftables"
	FirewallInfo    [][2]string // label/value pairs shown under it
	DefaultBridge   string      // interface of the "bridge" network
	DefaultSubnet   netip.Prefix
	Warnings        []string // whole lines, "WARNING: ..."
}

// Optional abilities of the container backend, found by type assertion.
type (
	counter interface {
		Counts() (total, running, paused, stopped int)
	}
)

// Server is the Docker Engine API over HTTP.
type Server struct {
	cfg Config
	mux *http.ServeMux
}

// New returns the API handler.
func New(cfg Config) *Server {
	s := &Server{cfg: cfg, mux: http.NewServeMux()}
	s.routeSystem()
	s.routeVolumes()
	s.routeContainers()
	s.routeExec()
	s.routeImages()
	s.routeRegistry()
	s.routeContainerFiles()
	s.routePause()
	s.routeNetworks()
	return s
}

type versionKey struct{}

// versionFrom returns the API version of the request (the maximum when the
// path had none).
func versionFrom(ctx context.Context) string {
	if v, ok := ctx.Value(versionKey{}).(string); ok {
		return v
	}
	return APIVersion
}

var versionPrefix = regexp.MustCompile(`^/v([0-9]+(?:\.[0-9]+)*)(/.*)$`)

// ServeHTTP strips a /vX.Y prefix, checks the version and dispatches.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	slog.Debug("api request", "method", r.Method, "path", r.URL.Path, "query", r.URL.RawQuery)
	h := w.Header()
	h.Set("Server", "Wharf/"+s.cfg.System.Version+" (linux)")
	h.Set("Api-Version", APIVersion)
	h.Set("Ostype", "linux")

	version := APIVersion
	if m := versionPrefix.FindStringSubmatch(r.URL.Path); m != nil {
		version = m[1]
		if compareVersions(version, MinAPIVersion) < 0 {
			writeError(w, invalidf("client version %s is too old. Minimum supported API version is %s, please upgrade your client to a newer version", version, MinAPIVersion))
			return
		}
		if compareVersions(version, APIVersion) > 0 {
			writeError(w, invalidf("client version %s is too new. Maximum supported API version is %s", version, APIVersion))
			return
		}
		r2 := r.Clone(context.WithValue(r.Context(), versionKey{}, version))
		r2.URL.Path = m[2]
		r2.URL.RawPath = ""
		r = r2
	}
	if _, pattern := s.mux.Handler(r); pattern == "" {
		r2, ok := nestedName(r)
		if _, pattern = s.mux.Handler(r2); !ok || pattern == "" {
			writeError(w, notFoundf("page not found"))
			return
		}
		r = r2
	}
	s.mux.ServeHTTP(w, r)
}

// nestedName lets a container reference hold slashes, as Docker's routes
// do ({name:.*}): a legacy link's name "/parent/alias" is a way to name the
// linked container, e.g. GET /containers/app/db/json. The path
// /containers/a/b/ACTION becomes /containers/a%2Fb/ACTION, whose {id} is
// "a/b".
func nestedName(r *http.Request) (*http.Request, bool) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/containers/")
	if !ok {
		return r, false
	}
	r2 := r.Clone(r.Context())
	if r.Method == http.MethodDelete { // DELETE /containers/{name}: no action
		if name := strings.Trim(rest, "/"); strings.Contains(name, "/") {
			r2.URL.Path, r2.URL.RawPath = "/containers/"+name, "/containers/"+url.PathEscape(name)
			return r2, true
		}
		return r, false
	}
	i := strings.LastIndexByte(rest, '/')
	if i <= 0 || !strings.Contains(rest[:i], "/") {
		return r, false
	}
	name, action := strings.Trim(rest[:i], "/"), rest[i+1:]
	r2.URL.Path = "/containers/" + name + "/" + action
	r2.URL.RawPath = "/containers/" + url.PathEscape(name) + "/" + url.PathEscape(action)
	return r2, true
}

// compareVersions compares dotted versions numerically.
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		var x, y int
		if i < len(as) {
			x = atoiOr(as[i], 0)
		}
		if i < len(bs) {
			y = atoiOr(bs[i], 0)
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// handle registers a handler that returns an error, mapped in one place.
func (s *Server) handle(pattern string, fn func(w http.ResponseWriter, r *http.Request) error) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			writeError(w, err)
		}
	})
}
