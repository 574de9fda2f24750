package api

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/moby/moby/api/types"
)

// streamType is the Content-Type of a container output stream.
func streamType(tty bool) string {
	if tty {
		return types.MediaTypeRawStream
	}
	return types.MediaTypeMultiplexedStream
}

// hijack takes the connection over after the backend accepted the request,
// writes the response header itself (101 when the client asked for an
// upgrade, else 200) and runs the session on the raw connection. The
// client's half-close reaches the session as EOF on stdin; the connection
// is closed when the session ends.
func hijack(w http.ResponseWriter, r *http.Request, sess *Session, stdin bool) error {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return fmt.Errorf("api: connection cannot be hijacked")
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		return fmt.Errorf("api: hijack: %w", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Time{})

	ct := streamType(sess.Tty)
	if _, upgrade := r.Header["Upgrade"]; upgrade {
		fmt.Fprintf(conn, "HTTP/1.1 101 UPGRADED\r\nContent-Type: %s\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n", ct)
	} else {
		fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n\r\n", ct)
	}

	var in io.Reader
	if stdin {
		in = brw.Reader // bytes the client sent right after its request, then the conn
	}
	// Not r.Context(): a client that half-closes at once (`docker exec -i
	// c cmd </dev/null`) has the server's background read see EOF and
	// cancel it, which would cut the output. A gone client shows up as a
	// write error or stdin EOF instead.
	if err := sess.Run(context.WithoutCancel(r.Context()), in, conn); err != nil {
		slog.Debug("api: stream session ended", "path", r.URL.Path, "err", err)
	}
	return nil
}

// flush pushes buffered response bytes to the client.
func flush(w http.ResponseWriter) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

// flushWriter flushes after every write, for followed streams.
type flushWriter struct{ w http.ResponseWriter }

func (f flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	flush(f.w)
	return n, err
}
