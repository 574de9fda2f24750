package distribution

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
)

// tokenRegistry is ggcr's in-memory registry behind the Docker token auth
// flow (distribution's token access controller and a token server in one):
// /v2/ wants "Authorization: Bearer <token>", /token hands tokens out for
// alice/s3cret (basic auth, or her refresh token by OAuth POST) and
// pull-only ones to anonymous clients for repositories under "public/".
type tokenRegistry struct {
	*httptest.Server
	mu     sync.Mutex
	tokens map[string]grant // issued bearer tokens
	asks   []tokenAsk       // requests to /token, in order
}

const (
	tokenService = "test-registry"
	tokenUser    = "alice"
	tokenPass    = "s3cret"
	aliceRefresh = "refresh-alice" // alice's identity (refresh) token
)

// grant is what a token allows: repository -> actions.
type grant struct {
	user   string
	access map[string][]string
}

func (g grant) allows(repo, action string) bool {
	for _, a := range g.access[repo] {
		if a == action || a == "*" {
			return true
		}
	}
	return false
}

// tokenAsk is one request the token endpoint saw.
type tokenAsk struct {
	method, grantType, user string // user "" when anonymous
	scopes                  []string
	status                  int
}

func newTokenRegistry(t testing.TB) *tokenRegistry {
	tr := &tokenRegistry{tokens: map[string]grant{}}
	inner := ggcrregistry.New(ggcrregistry.Logger(nopLogger()))
	mux := http.NewServeMux()
	mux.HandleFunc("/token", tr.serveToken)
	mux.Handle("/v2/", tr.guard(inner))
	tr.Server = httptest.NewServer(mux)
	t.Cleanup(tr.Close)
	return tr
}

func (tr *tokenRegistry) host() string { return strings.TrimPrefix(tr.URL, "http://") }

// issue makes a token for user with the given access, as the token
// endpoint does; tests use it for AuthConfig.RegistryToken.
func (tr *tokenRegistry) issue(user string, access map[string][]string) string {
	// The token carries its grant readably (like a JWT's "access" claim);
	// the random part makes it unguessable, the map makes it checkable.
	claim, _ := json.Marshal(access)
	var nonce [8]byte
	_, _ = rand.Read(nonce[:])
	tok := base64.RawURLEncoding.EncodeToString(claim) + "." + hex.EncodeToString(nonce[:])
	tr.mu.Lock()
	tr.tokens[tok] = grant{user: user, access: access}
	tr.mu.Unlock()
	return tok
}

func (tr *tokenRegistry) tokenAsks() []tokenAsk {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]tokenAsk(nil), tr.asks...)
}

// serveToken: GET with optional basic auth (Docker's token flow) or POST
// with grant_type=refresh_token|password (the OAuth flow).
func (tr *tokenRegistry) serveToken(w http.ResponseWriter, r *http.Request) {
	ask := tokenAsk{method: r.Method}
	defer func() {
		tr.mu.Lock()
		tr.asks = append(tr.asks, ask)
		tr.mu.Unlock()
	}()
	fail := func(status int, body string) {
		ask.status = status
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}
	var service string
	switch r.Method {
	case http.MethodGet:
		q := r.URL.Query()
		service, ask.scopes = q.Get("service"), q["scope"]
		if user, pass, ok := r.BasicAuth(); ok {
			if user != tokenUser || pass != tokenPass {
				// Docker Hub's auth server's answer; dockerd prints its details.
				fail(http.StatusUnauthorized, `{"details":"incorrect username or password"}`)
				return
			}
			ask.user = user
		}
	case http.MethodPost:
		if err := r.ParseForm(); err != nil {
			fail(http.StatusBadRequest, `{"error":"invalid_request"}`)
			return
		}
		service, ask.grantType = r.PostForm.Get("service"), r.PostForm.Get("grant_type")
		ask.scopes = strings.Fields(r.PostForm.Get("scope"))
		switch {
		case ask.grantType == "refresh_token" && r.PostForm.Get("refresh_token") == aliceRefresh,
			ask.grantType == "password" && r.PostForm.Get("username") == tokenUser && r.PostForm.Get("password") == tokenPass:
			ask.user = tokenUser
		default:
			fail(http.StatusUnauthorized, `{"error":"invalid_grant"}`)
			return
		}
	default:
		fail(http.StatusMethodNotAllowed, `{}`)
		return
	}
	if service != tokenService {
		fail(http.StatusBadRequest, `{"details":"unknown service"}`)
		return
	}
	access := map[string][]string{}
	for _, s := range ask.scopes {
		repo, actions, ok := parseScope(s)
		if !ok {
			continue
		}
		for _, a := range actions {
			// Anonymous clients may only pull public repositories; an
			// ungranted action is left out, not refused, like the Hub.
			if ask.user != "" || (a == "pull" && strings.HasPrefix(repo, "public/")) {
				access[repo] = append(access[repo], a)
			}
		}
	}
	tok := tr.issue(ask.user, access)
	ask.status = http.StatusOK
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"token": tok, "access_token": tok, "expires_in": 300})
}

// parseScope splits "repository:name:pull,push".
func parseScope(s string) (repo string, actions []string, ok bool) {
	parts := strings.Split(s, ":")
	if len(parts) < 3 || parts[0] != "repository" {
		return "", nil, false
	}
	repo = strings.Join(parts[1:len(parts)-1], ":")
	return repo, strings.Split(parts[len(parts)-1], ","), true
}

// guard is the registry's access controller.
func (tr *tokenRegistry) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		repo, actions := needs(r)
		g, ok := tr.bearer(r)
		if !ok {
			tr.challenge(w, repo, actions, "")
			return
		}
		for _, a := range actions {
			if g.allows(repo, a) {
				continue
			}
			if a == "pull" {
				tr.challenge(w, repo, actions, "insufficient_scope")
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}`)
			return
		}
		// A cross-repository mount from a repository the token cannot read
		// becomes a plain upload, as in distribution.
		if from := r.URL.Query().Get("from"); from != "" && !g.allows(from, "pull") {
			q := r.URL.Query()
			q.Del("from")
			q.Del("mount")
			r.URL.RawQuery = q.Encode()
		}
		next.ServeHTTP(w, r)
	})
}

// needs names the repository and actions a /v2/ request needs; "" and
// none for /v2/ itself (any valid token will do).
func needs(r *http.Request) (string, []string) {
	p := strings.TrimPrefix(r.URL.Path, "/v2/")
	for _, sep := range []string{"/manifests/", "/blobs/", "/tags/"} {
		if i := strings.LastIndex(p, sep); i > 0 {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				return p[:i], []string{"pull"}
			}
			return p[:i], []string{"pull", "push"}
		}
	}
	return "", nil
}

func (tr *tokenRegistry) bearer(r *http.Request) (grant, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return grant{}, false
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	g, ok := tr.tokens[tok]
	return g, ok
}

// challenge answers 401 with distribution's body and a Bearer challenge
// naming the scope the request needs.
func (tr *tokenRegistry) challenge(w http.ResponseWriter, repo string, actions []string, errParam string) {
	c := fmt.Sprintf(`Bearer realm=%q,service=%q`, tr.URL+"/token", tokenService)
	if repo != "" {
		c += fmt.Sprintf(`,scope="repository:%s:%s"`, repo, strings.Join(actions, ","))
	}
	if errParam != "" {
		c += fmt.Sprintf(`,error=%q`, errParam)
	}
	w.Header().Set("WWW-Authenticate", c)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	detail := []map[string]string{}
	for _, a := range actions {
		detail = append(detail, map[string]string{"Type": "repository", "Class": "", "Name": repo, "Action": a})
	}
	body, _ := json.Marshal(map[string]any{"errors": []map[string]any{{"code": "UNAUTHORIZED", "message": "authentication required", "detail": detail}}})
	w.Write(body)
}

// scopesOf lists the scopes of the asks, sorted, for messages.
func scopesOf(asks []tokenAsk) []string {
	var out []string
	for _, a := range asks {
		out = append(out, a.scopes...)
	}
	sort.Strings(out)
	return out
}
