package supervisor

import (
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wharf/wharf/internal/mount"
)

// CONTRACT (shared by the engine and the supervisor; change only together).

// LogConfig says where and how the supervisor writes a container's json-file log.
type LogConfig struct {
	Path     string `json:"path"`      // json-file path; rotated files are Path.1, Path.2, ...
	MaxSize  int64  `json:"max_size"`  // bytes; <= 0 means no rotation
	MaxFiles int    `json:"max_files"` // total files kept including the live one (>= 1)
}

// CreateRequest sets a container up with its init process created but not
// yet running (runc's create/start split), so attachers connect before any
// output can be produced.
type CreateRequest struct {
	ID        string        `json:"id"`
	Bundle    string        `json:"bundle"` // per-container runtime dir; the rootfs is mounted at Spec.Root.Path
	Spec      *specs.Spec   `json:"spec"`   // full OCI spec; Spec.Root.Path is absolute
	Rootfs    []mount.Mount `json:"rootfs"` // mounted by the supervisor at Spec.Root.Path before create, unmounted at Delete
	Tty       bool          `json:"tty"`
	OpenStdin bool          `json:"open_stdin"`
	StdinOnce bool          `json:"stdin_once"` // close the container's stdin when the first attacher's stdin ends
	Log       LogConfig     `json:"log"`
}

// Status of a container as the supervisor sees it.
type Status string

const (
	StatusCreated Status = "created" // init created, user process not started
	StatusRunning Status = "running"
	StatusExited  Status = "exited"
	StatusPaused  Status = "paused" // running, frozen by Pause until Resume
)

// State is what the supervisor knows about one container.
type State struct {
	ID         string    `json:"id"`
	Status     Status    `json:"status"`
	Pid        int       `json:"pid"`
	ExitCode   int       `json:"exit_code"` // 128+n when killed by signal n
	OOMKilled  bool      `json:"oom_killed"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	Error      string    `json:"error,omitempty"` // why the start failed, if it did
}

// AttachOptions picks the streams of an attach.
type AttachOptions struct {
	Stdin  bool `json:"stdin"`
	Stdout bool `json:"stdout"`
	Stderr bool `json:"stderr"`
}

// ExecRequest runs an extra process in a running container's namespaces and cgroup.
type ExecRequest struct {
	ID      string         `json:"id"`
	ExecID  string         `json:"exec_id"`
	Process *specs.Process `json:"process"`
	Tty     bool           `json:"tty"`
	Stdin   bool           `json:"stdin"`
	Detach  bool           `json:"detach"` // output discarded; no stream
}

// ExecState is the state of one exec process.
type ExecState struct {
	Running  bool `json:"running"`
	Pid      int  `json:"pid"`
	ExitCode int  `json:"exit_code"`
}
