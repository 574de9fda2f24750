// Package pid1 is the small init that --init puts in a container as PID 1:
// it starts the command, forwards signals to it and reaps zombies.
package pid1

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// Name is the basename under which the binary acts as init
// (bind-mounted at /sbin/wharf-init in the container).
const Name = "wharf-init"

// Main runs args[0:] (after an optional "--") as the child and exits with
// its status: its exit code, or 128+n when signal n killed it.
func Main(args []string) int {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: wharf-init -- command [args...]")
		return 2
	}
	sigs := make(chan os.Signal, 32)
	signal.Notify(sigs) // before the child exists, so none is lost

	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// On a tty the child gets its own foreground process group, so that a
	// ^C reaches it once (from the terminal), not twice (again from us).
	if _, err := unix.IoctlGetTermios(0, unix.TCGETS); err == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Foreground: true, Ctty: 0}
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "wharf-init: %v\n", err)
		if os.IsPermission(err) {
			return 126
		}
		return 127
	}
	child := cmd.Process.Pid
	for sig := range sigs {
		switch sig {
		case syscall.SIGCHLD:
			if code, done := reap(child); done {
				return code
			}
		case syscall.SIGURG: // the Go runtime's preemption signal
		default:
			_ = syscall.Kill(child, sig.(syscall.Signal))
		}
	}
	return 0
}

// reap collects every zombie; done is set when the child was among them.
func reap(child int) (code int, done bool) {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return code, done
		}
		if pid == child {
			done = true
			if ws.Signaled() {
				code = 128 + int(ws.Signal())
			} else {
				code = ws.ExitStatus()
			}
		}
	}
}
