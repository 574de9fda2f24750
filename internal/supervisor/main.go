package supervisor

import (
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/runtime"
)

// Main runs the supervisor role: `wharf supervisor --exec-root DIR`.
// Files under DIR: supervisor.sock (0600), supervisor.lock (one
// supervisor per exec-root), supervisor.log, runtime/ (libcontainer state).
func Main(args []string) int {
	fs := flag.NewFlagSet("supervisor", flag.ContinueOnError)
	execRoot := fs.String("exec-root", "/run/wharf", "directory for the socket, the log and the runtime state")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := run(*execRoot); err != nil {
		fmt.Fprintf(os.Stderr, "wharf supervisor: %v\n", err)
		return 1
	}
	return 0
}

func run(execRoot string) error {
	if err := os.MkdirAll(execRoot, 0o711); err != nil {
		return err
	}
	lock, err := os.OpenFile(filepath.Join(execRoot, "supervisor.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return fmt.Errorf("another supervisor holds %s", lock.Name())
	}
	logf, err := os.OpenFile(filepath.Join(execRoot, "supervisor.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	// libcontainer logs to stderr: send it and ours to the log file.
	_ = unix.Dup3(int(logf.Fd()), 2, 0)
	log.SetOutput(logf)
	log.SetPrefix(fmt.Sprintf("supervisor[%d] ", os.Getpid()))
	_, _ = unix.Setsid() // fails harmlessly when already a session leader
	signal.Ignore(syscall.SIGHUP, syscall.SIGPIPE)

	rt, err := runtime.New(filepath.Join(execRoot, "runtime"))
	if err != nil {
		return err
	}
	sock := filepath.Join(execRoot, "supervisor.sock")
	_ = os.Remove(sock) // stale: we hold the lock
	old := unix.Umask(0o077)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	unix.Umask(old)
	if err != nil {
		return err
	}
	if err := os.Chmod(sock, 0o600); err != nil {
		return err
	}
	log.Printf("listening on %s", sock)
	return newServer(rt).serve(l)
}
