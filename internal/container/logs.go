package container

import (
	"context"
	"encoding/binary"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"

	"github.com/wharf/wharf/internal/api"
	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/jsonlog"
)

const timestampFormat = "2006-01-02T15:04:05.000000000Z07:00"

// ContainerLogs resolves ref and validates the options before the API
// sends its 200 header.
func (s *Service) ContainerLogs(ctx context.Context, ref string, opts api.LogsOptions) (*api.OutputStream, error) {
	r, err := s.lookup(ref)
	if err != nil {
		return nil, err
	}
	if !opts.Stdout && !opts.Stderr {
		return nil, errdefs.Invalid("Bad parameters: you must choose at least one stream")
	}
	now := time.Now()
	if _, err := parseTime(opts.Since, now); err != nil {
		return nil, errdefs.Invalid("invalid value for \"since\": %v", err)
	}
	if _, err := parseTime(opts.Until, now); err != nil {
		return nil, errdefs.Invalid("invalid value for \"until\": %v", err)
	}
	s.mu.Lock()
	tty := r.Config.Tty
	s.mu.Unlock()
	return &api.OutputStream{Tty: tty, WriteTo: func(ctx context.Context, w io.Writer) error {
		return s.writeLogs(ctx, r, opts, w)
	}}, nil
}

// writeLogs emits the container's log entries in wire format: stdcopy
// frames unless the container has a TTY.
func (s *Service) writeLogs(ctx context.Context, r *record, opts api.LogsOptions, w io.Writer) error {
	now := time.Now()
	since, _ := parseTime(opts.Since, now)
	until, _ := parseTime(opts.Until, now)
	s.mu.Lock()
	tty, path := r.Config.Tty, r.LogPath
	done := r.exited
	if r.State.Status != stateRunning {
		done = closedChan
	}
	s.mu.Unlock()
	ro := jsonlog.ReadOptions{Tail: parseTail(opts.Tail), Since: since, Until: until, Follow: opts.Follow, Done: done}
	if !until.IsZero() {
		ro.Follow = false // Docker stops at until even when following
	}
	stdout, stderr := w, w
	if !tty {
		stdout = &frameWriter{w: w, stream: stdcopy.Stdout}
		stderr = &frameWriter{w: w, stream: stdcopy.Stderr}
	}
	err := jsonlog.Read(ctx, path, ro, func(e jsonlog.Entry) error {
		dst := stdout
		switch e.Stream {
		case "stderr":
			if !opts.Stderr {
				return nil
			}
			dst = stderr
		default:
			if !opts.Stdout {
				return nil
			}
		}
		line := e.Log
		if opts.Timestamps {
			line = e.Time.UTC().Format(timestampFormat) + " " + line
		}
		_, err := io.WriteString(dst, line)
		return err
	})
	if isNotFound(err) || ctx.Err() != nil {
		return nil // no log yet, or the client went away
	}
	return err
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// parseTail: "all", "" or a bad value mean everything, as in Docker.
func parseTail(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return -1
	}
	return n
}

var unixTime = regexp.MustCompile(`^-?[0-9]+(\.[0-9]{1,9})?$`)

// parseTime reads Docker's --since/--until forms: unix seconds[.nanos],
// RFC3339 (with or without zone, date only), or a duration ago ("10m").
func parseTime(v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if unixTime.MatchString(v) {
		sec, frac, _ := strings.Cut(v, ".")
		s, err := strconv.ParseInt(sec, 10, 64)
		if err != nil {
			return time.Time{}, err
		}
		var ns int64
		if frac != "" {
			ns, _ = strconv.ParseInt((frac + "000000000")[:9], 10, 64)
		}
		return time.Unix(s, ns), nil
	}
	if d, err := time.ParseDuration(v); err == nil {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errdefs.Invalid("cannot parse %q as a timestamp or duration", v)
}

// frameWriter writes Docker's multiplexed stream format: an 8-byte header
// (stream, 0, 0, 0, big-endian payload size) before each payload.
type frameWriter struct {
	w      io.Writer
	stream stdcopy.StdType
}

func (f *frameWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	buf := make([]byte, 8+len(p))
	buf[0] = byte(f.stream)
	binary.BigEndian.PutUint32(buf[4:8], uint32(len(p)))
	copy(buf[8:], p)
	if _, err := f.w.Write(buf); err != nil {
		return 0, err
	}
	return len(p), nil
}
