package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/moby/moby/api/types/common"

	"github.com/wharf/wharf/internal/errdefs"
)

// statusOf maps an error kind to its HTTP status. The only place that does.
func statusOf(err error) int {
	switch {
	case errors.Is(err, errdefs.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, errdefs.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, errdefs.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, errdefs.ErrNotModified):
		return http.StatusNotModified
	case errors.Is(err, errdefs.ErrUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(err, errdefs.ErrNotImplemented):
		return http.StatusNotImplemented
	case errors.Is(err, errdefs.ErrForbidden):
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

// writeError answers {"message": ...} with the status of the error's kind;
// 304 has no body.
func writeError(w http.ResponseWriter, err error) {
	code := statusOf(err)
	if code == http.StatusNotModified {
		w.WriteHeader(code)
		return
	}
	writeJSON(w, code, common.ErrorResponse{Message: err.Error()})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// Short constructors for errors raised by the HTTP layer itself.
func invalidf(format string, a ...any) error  { return errdefs.Invalid(format, a...) }
func notFoundf(format string, a ...any) error { return errdefs.NotFound(format, a...) }

// wrapInvalid marks a parse error as a bad parameter, keeping its text.
func wrapInvalid(err error, format string, a ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, a...), errdefs.Invalid("%v", err))
}
