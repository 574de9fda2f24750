package engine

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// lockFile takes an exclusive flock on path and writes our pid into it, so
// that a second daemon on the same roots can name the holder. The lock dies
// with the process.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			b := make([]byte, 32)
			n, _ := f.ReadAt(b, 0)
			holder := strings.TrimSpace(string(b[:n]))
			return nil, fmt.Errorf("another wharf daemon (pid %s) holds %s: stop it or give this one other roots", holder, path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}

// socketPath returns the path of a unix:// host.
func socketPath(host string) (string, error) {
	proto, addr, ok := strings.Cut(host, "://")
	if !ok {
		return "", fmt.Errorf("invalid host %q: want unix:///path/to/socket", host)
	}
	switch proto {
	case "unix":
		if addr == "" {
			addr = defaultSocket
		}
		return addr, nil
	case "tcp":
		return "", fmt.Errorf("invalid host %q: TCP listener requires TLS, not supported yet", host)
	}
	return "", fmt.Errorf("invalid host %q: only unix:// sockets are supported", host)
}

// umaskMu serialises the process-wide umask change around socket creation.
var umaskMu sync.Mutex

// listenUnix creates the API socket as 0660 from the start (no window in
// which others could connect), replacing a stale socket file but never a
// live one.
func listenUnix(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if _, err := os.Lstat(path); err == nil {
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("%s is in use by another daemon", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("removing stale socket: %w", err)
		}
	}
	umaskMu.Lock()
	old := syscall.Umask(0o117)
	l, err := net.Listen("unix", path)
	syscall.Umask(old)
	umaskMu.Unlock()
	if err != nil {
		return nil, err
	}
	if err := os.Chown(path, 0, 0); err != nil && os.Geteuid() == 0 {
		l.Close()
		return nil, err
	}
	return l, nil
}
