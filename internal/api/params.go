package api

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// boolValue reads a query flag the way Docker does: absent, "", "0", "no",
// "false" and "none" are false, anything else true.
func boolValue(r *http.Request, key string) bool {
	switch strings.ToLower(strings.TrimSpace(r.URL.Query().Get(key))) {
	case "", "0", "no", "false", "none":
		return false
	}
	return true
}

func atoiOr(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	return n
}

// intParam reads an optional integer; nil when absent.
func intParam(r *http.Request, key string) (*int, error) {
	v := r.URL.Query().Get(key)
	if v == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return nil, invalidf("invalid value for %s: %q: must be an integer", key, v)
	}
	return &n, nil
}

// uintParam reads a required non-negative integer such as h and w of resize.
func uintParam(r *http.Request, key string) (uint, error) {
	v := r.URL.Query().Get(key)
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil {
		return 0, invalidf("invalid value for %s: %q", key, v)
	}
	return uint(n), nil
}

// decodeFilters reads the "filters" parameter in its current form
// {"name":["x"]} and its old form {"name":{"x":true}}.
func decodeFilters(s string) (map[string][]string, error) {
	out := map[string][]string{}
	if s == "" {
		return out, nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, wrapInvalid(err, "invalid filter")
	}
	for key, v := range raw {
		var list []string
		if err := json.Unmarshal(v, &list); err == nil {
			out[key] = append(out[key], list...)
			continue
		}
		var set map[string]bool
		if err := json.Unmarshal(v, &set); err != nil {
			return nil, invalidf("invalid filter: value of %q must be a list or a map of strings", key)
		}
		for val, on := range set {
			if on {
				out[key] = append(out[key], val)
			}
		}
	}
	return out, nil
}

// readJSON decodes a request body into v. Every failure is a bad parameter
// that carries the decoder's message.
func readJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return invalidf("unsupported Content-Type header (%s): must be 'application/json'", ct)
		}
	}
	if r.Body == nil || r.ContentLength == 0 {
		return invalidf("invalid JSON: got EOF while reading request body")
	}
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return invalidf("invalid JSON: got EOF while reading request body")
		}
		return invalidf("invalid JSON: %v", err)
	}
	if dec.More() {
		return invalidf("unexpected content after JSON")
	}
	return nil
}

// readOptionalJSON is readJSON that accepts an empty body.
func readOptionalJSON(r *http.Request, v any) error {
	if r.Body == nil || r.ContentLength == 0 {
		return nil
	}
	err := readJSON(r, v)
	if err != nil && strings.Contains(err.Error(), "got EOF") {
		return nil
	}
	return err
}
