// Package errdefs is Wharf's one error taxonomy. Services wrap these kinds;
// only the API edge maps them to HTTP status codes.
package errdefs

import (
	"errors"
	"fmt"
)

// Kinds. Test with errors.Is(err, errdefs.ErrNotFound).
var (
	ErrNotFound       = errors.New("not found")
	ErrConflict       = errors.New("conflict")
	ErrInvalid        = errors.New("invalid argument")
	ErrUnavailable    = errors.New("unavailable")
	ErrNotImplemented = errors.New("not implemented")
	ErrNotModified    = errors.New("not modified")
	ErrForbidden      = errors.New("forbidden")
)

// kindError carries a user-facing message without repeating the kind's text,
// so "No such container: x" reaches the client exactly.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

func newf(kind error, format string, a ...any) error {
	return &kindError{kind: kind, msg: fmt.Sprintf(format, a...)}
}

func NotFound(format string, a ...any) error       { return newf(ErrNotFound, format, a...) }
func Conflict(format string, a ...any) error       { return newf(ErrConflict, format, a...) }
func Invalid(format string, a ...any) error        { return newf(ErrInvalid, format, a...) }
func Unavailable(format string, a ...any) error    { return newf(ErrUnavailable, format, a...) }
func NotImplemented(format string, a ...any) error { return newf(ErrNotImplemented, format, a...) }
func NotModified(format string, a ...any) error    { return newf(ErrNotModified, format, a...) }
func Forbidden(format string, a ...any) error      { return newf(ErrForbidden, format, a...) }
