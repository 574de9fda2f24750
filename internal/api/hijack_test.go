package api

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// echoSession copies stdin to stdout and returns at stdin EOF, as an
// attached `cat` would.
func echoSession(tty bool, sawEOF chan<- bool) *Session {
	return &Session{Tty: tty, Run: func(ctx context.Context, in io.Reader, out io.Writer) error {
		if in == nil {
			_, err := io.WriteString(out, "no stdin")
			sawEOF <- false
			return err
		}
		_, err := io.Copy(out, in)
		sawEOF <- err == nil
		return err
	}}
}

// rawRequest sends a request on a fresh connection and reads the status
// line and headers.
func rawRequest(t *testing.T, addr, req string) (net.Conn, *bufio.Reader, *http.Response) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	return conn, br, resp
}

func TestAttachUpgrade(t *testing.T) {
	srv, b, _ := newTestServer(t)
	sawEOF := make(chan bool, 1)
	var opts AttachOptions
	b.attach = func(ref string, o AttachOptions) (*Session, error) { opts = o; return echoSession(false, sawEOF), nil }
	addr := strings.TrimPrefix(srv.URL, "http://")

	conn, br, resp := rawRequest(t, addr, "POST /v1.41/containers/abc/attach?stream=1&stdin=1&stdout=1&detachKeys=ctrl-x HTTP/1.1\r\n"+
		"Host: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n")
	if resp.StatusCode != 101 || resp.Header.Get("Upgrade") != "tcp" ||
		resp.Header.Get("Content-Type") != "application/vnd.docker.multiplexed-stream" {
		t.Fatalf("response %d %v", resp.StatusCode, resp.Header)
	}
	if !opts.Stdin || !opts.Stdout || opts.Stderr || !opts.Stream || opts.DetachKeys != "ctrl-x" {
		t.Errorf("options %+v", opts)
	}
	if _, err := io.WriteString(conn, "ping"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(br, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("echo %q %v", buf, err)
	}
	// Half-close: the session sees stdin EOF, ends, and the server closes.
	if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	select {
	case eof := <-sawEOF:
		if !eof {
			t.Error("session did not see a clean EOF")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("session did not end at stdin EOF")
	}
	if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
		t.Errorf("after session: %q %v", rest, err)
	}
}

func TestAttachWithoutUpgrade(t *testing.T) {
	srv, b, _ := newTestServer(t)
	sawEOF := make(chan bool, 1)
	b.attach = func(string, AttachOptions) (*Session, error) { return echoSession(true, sawEOF), nil }
	addr := strings.TrimPrefix(srv.URL, "http://")
	_, br, resp := rawRequest(t, addr, "POST /containers/abc/attach?stream=1&stdout=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.docker.raw-stream" {
		t.Fatalf("response %d %v", resp.StatusCode, resp.Header)
	}
	out, _ := io.ReadAll(br)
	if string(out) != "no stdin" {
		t.Errorf("output %q", out)
	}
}

func TestAttachErrorBeforeHijack(t *testing.T) {
	srv, b, _ := newTestServer(t)
	b.attach = func(ref string, o AttachOptions) (*Session, error) {
		return nil, notFoundf("No such container: %s", ref)
	}
	r := call(t, srv, "POST", "/containers/nope/attach?stream=1", "")
	if r.code != 404 || message(t, r) != "No such container: nope" {
		t.Errorf("%d %s", r.code, r.body)
	}
}

func TestExecStart(t *testing.T) {
	srv, b, _ := newTestServer(t)
	sawEOF := make(chan bool, 1)
	b.exec = func(id string, detach bool) (*Session, error) {
		if detach {
			return nil, nil
		}
		return echoSession(true, sawEOF), nil
	}
	r := call(t, srv, "POST", "/exec/e1/start", `{"Detach":true}`)
	if r.code != 200 || r.body != "" {
		t.Errorf("detached start: %d %q", r.code, r.body)
	}
	addr := strings.TrimPrefix(srv.URL, "http://")
	body := `{"Detach":false,"Tty":true}`
	conn, br, resp := rawRequest(t, addr, "POST /v1.51/exec/e1/start HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"+
		"Content-Type: application/json\r\nContent-Length: 27\r\n\r\n"+body+"hi")
	if resp.StatusCode != 101 || resp.Header.Get("Content-Type") != "application/vnd.docker.raw-stream" {
		t.Fatalf("response %d %v", resp.StatusCode, resp.Header)
	}
	_ = conn.(*net.TCPConn).CloseWrite()
	out, _ := io.ReadAll(br)
	if string(out) != "hi" {
		t.Errorf("output %q", out)
	}
	if r := call(t, srv, "POST", "/exec/e1/start", `{"Detach":"yes"}`); r.code != 400 {
		t.Errorf("bad body: %d", r.code)
	}
}

// A client that half-closes right after its request (stdin at EOF, as
// `docker exec -i c echo hi </dev/null`) still gets the whole output.
func TestHalfCloseBeforeOutput(t *testing.T) {
	srv, b, _ := newTestServer(t)
	b.exec = func(string, bool) (*Session, error) {
		time.Sleep(100 * time.Millisecond) // the backend's work: the EOF arrives before the hijack
		return &Session{Tty: true, Run: func(ctx context.Context, in io.Reader, out io.Writer) error {
			time.Sleep(100 * time.Millisecond) // the process starts after the EOF
			if ctx.Err() != nil {
				return ctx.Err()
			}
			_, err := io.WriteString(out, "late output")
			return err
		}}, nil
	}
	addr := strings.TrimPrefix(srv.URL, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	body := `{"Detach":false,"Tty":true}`
	io.WriteString(conn, "POST /v1.51/exec/e1/start HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"+
		"Content-Type: application/json\r\nContent-Length: 27\r\n\r\n"+body)
	_ = conn.(*net.TCPConn).CloseWrite()
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("response %v %v", resp, err)
	}
	if out, _ := io.ReadAll(br); string(out) != "late output" {
		t.Errorf("output %q, want the session's output after the client's half-close", out)
	}
}
