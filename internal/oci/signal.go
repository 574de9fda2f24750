package oci

import (
	"strconv"
	"strings"
	"syscall"

	"github.com/wharf/wharf/internal/errdefs"
)

const (
	sigRTMIN = 34
	sigRTMAX = 64
)

// signals are Linux's signal names without the SIG prefix, aliases included.
var signals = map[string]syscall.Signal{
	"ABRT": syscall.SIGABRT, "ALRM": syscall.SIGALRM, "BUS": syscall.SIGBUS,
	"CHLD": syscall.SIGCHLD, "CLD": syscall.SIGCHLD, "CONT": syscall.SIGCONT,
	"FPE": syscall.SIGFPE, "HUP": syscall.SIGHUP, "ILL": syscall.SIGILL,
	"INT": syscall.SIGINT, "IO": syscall.SIGIO, "IOT": syscall.SIGIOT,
	"KILL": syscall.SIGKILL, "PIPE": syscall.SIGPIPE, "POLL": syscall.SIGPOLL,
	"PROF": syscall.SIGPROF, "PWR": syscall.SIGPWR, "QUIT": syscall.SIGQUIT,
	"SEGV": syscall.SIGSEGV, "STKFLT": syscall.SIGSTKFLT, "STOP": syscall.SIGSTOP,
	"SYS": syscall.SIGSYS, "TERM": syscall.SIGTERM, "TRAP": syscall.SIGTRAP,
	"TSTP": syscall.SIGTSTP, "TTIN": syscall.SIGTTIN, "TTOU": syscall.SIGTTOU,
	"URG": syscall.SIGURG, "USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2,
	"VTALRM": syscall.SIGVTALRM, "WINCH": syscall.SIGWINCH, "XCPU": syscall.SIGXCPU,
	"XFSZ": syscall.SIGXFSZ, "RTMIN": sigRTMIN, "RTMAX": sigRTMAX,
}

func parseSignal(s string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > sigRTMAX {
			return 0, errdefs.Invalid("Invalid signal: %s", s)
		}
		return syscall.Signal(n), nil
	}
	name := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "SIG")
	if sig, ok := signals[name]; ok {
		return sig, nil
	}
	// RTMIN+n and RTMAX-n, as kill(1) and Docker accept them.
	for base, sign := range map[string]int{"RTMIN+": 1, "RTMAX-": -1} {
		if rest, ok := strings.CutPrefix(name, base); ok {
			n, err := strconv.Atoi(rest)
			if err != nil || n < 0 || n > sigRTMAX-sigRTMIN {
				break
			}
			if sign > 0 {
				return syscall.Signal(sigRTMIN + n), nil
			}
			return syscall.Signal(sigRTMAX - n), nil
		}
	}
	return 0, errdefs.Invalid("Invalid signal: %s", s)
}
