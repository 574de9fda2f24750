package distribution

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/wharf/wharf/internal/errdefs"
)

// registryError turns an error of a registry call into Docker's words and
// an errdefs kind. named is the reference being pulled or pushed (nil for
// login and search); authed says whether credentials were sent.
func registryError(err error, named reference.Named, authed bool) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if isKind(err) {
		return err
	}
	var terr *transport.Error
	if errors.As(err, &terr) {
		return statusError(terr, named, authed)
	}
	// go-containerregistry's check of a manifest fetched by digest.
	if m := digestMismatch.FindStringSubmatch(err.Error()); m != nil {
		return errdefs.Invalid("manifest verification failed for digest %s", m[1])
	}
	// Network and TLS failures: Go's url.Error text is what Docker prints
	// (`Get "https://x/v2/": dial tcp: lookup x: no such host`, x509 ...).
	if uerr := innerURLError(err); uerr != nil {
		return errdefs.Unavailable("%s", uerr.Error())
	}
	return err
}

func isKind(err error) bool {
	for _, k := range []error{errdefs.ErrNotFound, errdefs.ErrInvalid, errdefs.ErrForbidden, errdefs.ErrUnavailable, errdefs.ErrConflict, errdefs.ErrNotImplemented} {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

func hasCode(e *transport.Error, codes ...transport.ErrorCode) bool {
	for _, d := range e.Errors {
		for _, c := range codes {
			if d.Code == c {
				return true
			}
		}
	}
	return false
}

func statusError(e *transport.Error, named reference.Named, authed bool) error {
	hub := named != nil && reference.Domain(named) == "docker.io"
	unauthorized := e.StatusCode == http.StatusUnauthorized || hasCode(e, transport.UnauthorizedErrorCode)
	notFound := e.StatusCode == http.StatusNotFound || hasCode(e, transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode)
	switch {
	case hub && (unauthorized || notFound) && !authed:
		// Docker Hub answers 401 for repositories that do not exist.
		return errdefs.NotFound("pull access denied for %s, repository does not exist or may require 'docker login': denied: requested access to the resource is denied", reference.FamiliarName(named))
	case unauthorized && authed:
		return errdefs.Forbidden("unauthorized: incorrect username or password")
	case unauthorized && e.Request != nil && e.Request.Header.Get("Authorization") == "":
		// No token was fetched for the request, so the registry wants basic
		// auth and got none: Docker's words name the request.
		return errdefs.Forbidden("%s %q: no basic auth credentials", methodWord(e.Request.Method), e.Request.URL.String())
	case unauthorized:
		return errdefs.Forbidden("unauthorized: authentication required")
	case e.StatusCode == http.StatusForbidden || hasCode(e, transport.DeniedErrorCode):
		return errdefs.Forbidden("denied: requested access to the resource is denied")
	case notFound && named != nil:
		return errdefs.NotFound("manifest for %s not found: manifest unknown: manifest unknown", reference.FamiliarString(named))
	case notFound:
		return errdefs.NotFound("%s", e.Error())
	case e.StatusCode >= 500:
		return errdefs.Unavailable("%s", e.Error())
	}
	return errdefs.Invalid("%s", e.Error())
}

var digestMismatch = regexp.MustCompile(`does not match requested digest: "([^"]+)"`)

// methodWord writes a method the way Go's url.Error does ("Head", "Get").
func methodWord(m string) string {
	if m == "" {
		return "Get"
	}
	return m[:1] + strings.ToLower(m[1:])
}
