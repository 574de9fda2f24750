package oci

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/wharf/wharf/internal/errdefs"
)

func TestParseSignal(t *testing.T) {
	tests := []struct {
		in   string
		want syscall.Signal
		ok   bool
	}{
		{"SIGTERM", syscall.SIGTERM, true},
		{"TERM", syscall.SIGTERM, true},
		{"term", syscall.SIGTERM, true},
		{"15", syscall.SIGTERM, true},
		{"SIGKILL", syscall.SIGKILL, true},
		{"9", syscall.SIGKILL, true},
		{"HUP", syscall.SIGHUP, true},
		{"SIGUSR1", syscall.SIGUSR1, true},
		{"WINCH", syscall.SIGWINCH, true},
		{"CLD", syscall.SIGCHLD, true},
		{"RTMIN", 34, true},
		{"SIGRTMIN+3", 37, true},
		{"RTMAX-1", 63, true},
		{"64", 64, true},
		{"0", 0, false},
		{"65", 0, false},
		{"-1", 0, false},
		{"SIGFOO", 0, false},
		{"", 0, false},
		{"RTMIN+99", 0, false},
	}
	for _, tc := range tests {
		got, err := ParseSignal(tc.in)
		if tc.ok {
			if err != nil || got != tc.want {
				t.Errorf("ParseSignal(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			continue
		}
		if !errors.Is(err, errdefs.ErrInvalid) || err.Error() != "Invalid signal: "+tc.in {
			t.Errorf("ParseSignal(%q) err = %v", tc.in, err)
		}
	}
}

func TestValidateHostConfig(t *testing.T) {
	n := func(v int64) *int64 { return &v }
	ncpu := runtime.NumCPU()
	tests := []struct {
		name string
		hc   container.HostConfig
		kind error
		msg  string
	}{
		{"zero value", container.HostConfig{}, nil, ""},
		{"good limits", container.HostConfig{Resources: container.Resources{Memory: 6 << 20, NanoCPUs: 500_000_000, PidsLimit: n(10)}, NetworkMode: "none"}, nil, ""},
		{"pids -1 is unlimited", container.HostConfig{Resources: container.Resources{PidsLimit: n(-1)}}, nil, ""},
		{"known modes", container.HostConfig{NetworkMode: "container:abc", IpcMode: "private", UTSMode: "host", PidMode: "host"}, nil, ""},
		{"default network", container.HostConfig{NetworkMode: "default"}, nil, ""},
		{"bridge network", container.HostConfig{NetworkMode: "bridge"}, nil, ""},
		{"host network", container.HostConfig{NetworkMode: "host"}, nil, ""},
		{"user network (resolved at start)", container.HostConfig{NetworkMode: "mynet"}, nil, ""},
		{"negative cpus", container.HostConfig{Resources: container.Resources{NanoCPUs: -1}}, errdefs.ErrInvalid,
			fmt.Sprintf("Range of CPUs is from 0.01 to %d.00, as there are only %d CPUs available", ncpu, ncpu)},
		{"too many cpus", container.HostConfig{Resources: container.Resources{NanoCPUs: int64(ncpu+1) * 1e9}}, errdefs.ErrInvalid,
			fmt.Sprintf("Range of CPUs is from 0.01 to %d.00, as there are only %d CPUs available", ncpu, ncpu)},
		{"memory too small", container.HostConfig{Resources: container.Resources{Memory: 4 << 20}}, errdefs.ErrInvalid, "Minimum memory limit allowed is 6MB"},
		{"negative memory", container.HostConfig{Resources: container.Resources{Memory: -1}}, errdefs.ErrInvalid, "Minimum memory limit allowed is 6MB"},
		{"swap without memory", container.HostConfig{Resources: container.Resources{MemorySwap: 100 << 20}}, errdefs.ErrInvalid, "You should always set the Memory limit when using Memoryswap limit, see usage"},
		{"swap below memory", container.HostConfig{Resources: container.Resources{Memory: 100 << 20, MemorySwap: 50 << 20}}, errdefs.ErrInvalid, "Minimum memoryswap limit should be larger than memory limit, see usage"},
		{"negative pids", container.HostConfig{Resources: container.Resources{PidsLimit: n(-2)}}, errdefs.ErrInvalid, "invalid PIDs limit: -2 (use 0 or -1 for unlimited)"},
		{"container network without name", container.HostConfig{NetworkMode: "container:"}, errdefs.ErrInvalid, "invalid network mode: container:: a container name or ID is required"},
		{"bad ipc mode", container.HostConfig{IpcMode: "weird"}, errdefs.ErrInvalid, "invalid IPC mode: weird"},
		{"shared pid namespace", container.HostConfig{PidMode: "container:x"}, errdefs.ErrNotImplemented, "sharing another container's IPC or PID namespace is not supported yet"},
		{"oom score", container.HostConfig{OomScoreAdj: 1001}, errdefs.ErrInvalid, "Invalid value 1001, range for oom score adj is [-1000, 1000]"},
		{"shm", container.HostConfig{ShmSize: -1}, errdefs.ErrInvalid, "SHM size can not be less than 0"},
		{"unknown cap", container.HostConfig{CapDrop: []string{"NOPE"}}, errdefs.ErrInvalid, `unknown capability: "CAP_NOPE"`},
		{"bad bind", container.HostConfig{Binds: []string{"/a:relative"}}, errdefs.ErrInvalid, `invalid mount config: mount path must be absolute: "relative"`},
		{"bad ulimit", container.HostConfig{Resources: container.Resources{Ulimits: []*container.Ulimit{{Name: "bogus", Soft: 1, Hard: 1}}}}, errdefs.ErrInvalid, "invalid ulimit type: bogus"},
		{"ulimit soft above hard", container.HostConfig{Resources: container.Resources{Ulimits: []*container.Ulimit{{Name: "nofile", Soft: 2, Hard: 1}}}}, errdefs.ErrInvalid, "ulimit soft limit must be less than or equal to hard limit: 2 > 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateHostConfig(&tc.hc)
			if tc.kind == nil {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if !errors.Is(err, tc.kind) || err.Error() != tc.msg {
				t.Fatalf("err = %v, want %q", err, tc.msg)
			}
		})
	}
}

func imageConfig() *dockerspec.DockerOCIImageConfig {
	return &dockerspec.DockerOCIImageConfig{
		ImageConfig: ocispec.ImageConfig{
			User:         "app",
			ExposedPorts: map[string]struct{}{"80/tcp": {}},
			Env:          []string{"PATH=/img/bin", "LANG=C.UTF-8"},
			Entrypoint:   []string{"/entry.sh"},
			Cmd:          []string{"serve"},
			Volumes:      map[string]struct{}{"/data": {}},
			WorkingDir:   "/srv",
			Labels:       map[string]string{"a": "image", "b": "image"},
			StopSignal:   "SIGQUIT",
		},
		DockerOCIImageConfigExt: dockerspec.DockerOCIImageConfigExt{
			Healthcheck: &dockerspec.HealthcheckConfig{Test: []string{"CMD", "true"}, Interval: time.Second, Retries: 3},
		},
	}
}

func TestMergeImageConfig(t *testing.T) {
	t.Run("empty config takes everything", func(t *testing.T) {
		cfg := &container.Config{}
		MergeImageConfig(cfg, imageConfig())
		if cfg.User != "app" || cfg.WorkingDir != "/srv" || cfg.StopSignal != "SIGQUIT" {
			t.Errorf("cfg %+v", cfg)
		}
		if !slices.Equal(cfg.Entrypoint, []string{"/entry.sh"}) || !slices.Equal(cfg.Cmd, []string{"serve"}) {
			t.Errorf("entrypoint %v cmd %v", cfg.Entrypoint, cfg.Cmd)
		}
		if !slices.Equal(cfg.Env, []string{"PATH=/img/bin", "LANG=C.UTF-8"}) {
			t.Errorf("env %v", cfg.Env)
		}
		if _, ok := cfg.ExposedPorts[network.MustParsePort("80/tcp")]; !ok || len(cfg.ExposedPorts) != 1 {
			t.Errorf("ports %v", cfg.ExposedPorts)
		}
		if _, ok := cfg.Volumes["/data"]; !ok {
			t.Errorf("volumes %v", cfg.Volumes)
		}
		if cfg.Healthcheck == nil || cfg.Healthcheck.Retries != 3 {
			t.Errorf("healthcheck %+v", cfg.Healthcheck)
		}
		if cfg.Labels["a"] != "image" {
			t.Errorf("labels %v", cfg.Labels)
		}
	})
	t.Run("user values win; env merged by key", func(t *testing.T) {
		cfg := &container.Config{
			User: "root", WorkingDir: "/w", StopSignal: "SIGINT",
			Env:         []string{"PATH=/mine", "X=1"},
			Labels:      map[string]string{"a": "user"},
			Healthcheck: &container.HealthConfig{Retries: 9},
		}
		MergeImageConfig(cfg, imageConfig())
		if cfg.User != "root" || cfg.WorkingDir != "/w" || cfg.StopSignal != "SIGINT" {
			t.Errorf("cfg %+v", cfg)
		}
		if !slices.Equal(cfg.Env, []string{"PATH=/mine", "X=1", "LANG=C.UTF-8"}) {
			t.Errorf("env %v", cfg.Env)
		}
		if cfg.Labels["a"] != "user" || cfg.Labels["b"] != "image" {
			t.Errorf("labels %v", cfg.Labels)
		}
		if h := cfg.Healthcheck; h.Retries != 9 || h.Interval != time.Second || !slices.Equal(h.Test, []string{"CMD", "true"}) {
			t.Errorf("healthcheck %+v", h)
		}
	})
	t.Run("cmd replaces image cmd, keeps entrypoint", func(t *testing.T) {
		cfg := &container.Config{Cmd: []string{"sh"}}
		MergeImageConfig(cfg, imageConfig())
		if !slices.Equal(cfg.Entrypoint, []string{"/entry.sh"}) || !slices.Equal(cfg.Cmd, []string{"sh"}) {
			t.Errorf("entrypoint %v cmd %v", cfg.Entrypoint, cfg.Cmd)
		}
	})
	t.Run("explicit entrypoint resets image cmd", func(t *testing.T) {
		cfg := &container.Config{Entrypoint: []string{"/bin/other"}}
		MergeImageConfig(cfg, imageConfig())
		if !slices.Equal(cfg.Entrypoint, []string{"/bin/other"}) || len(cfg.Cmd) != 0 {
			t.Errorf("entrypoint %v cmd %v", cfg.Entrypoint, cfg.Cmd)
		}
	})
	t.Run("empty non-nil entrypoint keeps none but takes cmd", func(t *testing.T) {
		cfg := &container.Config{Entrypoint: []string{}}
		MergeImageConfig(cfg, imageConfig())
		if len(cfg.Entrypoint) != 0 || !slices.Equal(cfg.Cmd, []string{"serve"}) {
			t.Errorf("entrypoint %v cmd %v", cfg.Entrypoint, cfg.Cmd)
		}
	})
	t.Run("entrypoint [\"\"] with cmd", func(t *testing.T) {
		cfg := &container.Config{Entrypoint: []string{""}, Cmd: []string{"echo", "hi"}}
		MergeImageConfig(cfg, imageConfig())
		if !slices.Equal(commandArgs(cfg), []string{"echo", "hi"}) {
			t.Errorf("args %v", commandArgs(cfg))
		}
	})
	t.Run("image is not aliased", func(t *testing.T) {
		img := imageConfig()
		cfg := &container.Config{}
		MergeImageConfig(cfg, img)
		cfg.Env[0] = "CHANGED=1"
		cfg.Cmd[0] = "changed"
		if img.Env[0] != "PATH=/img/bin" || img.Cmd[0] != "serve" {
			t.Error("merge aliased the image config")
		}
	})
	t.Run("nil image", func(t *testing.T) {
		cfg := &container.Config{User: "x"}
		MergeImageConfig(cfg, nil)
		if cfg.User != "x" {
			t.Error("changed")
		}
	})
}

func TestExecProcess(t *testing.T) {
	withBounding(t, hostBoundingWithoutResource())
	in := baseInput(t)
	in.Config.User = "app"
	in.Config.Env = []string{"FOO=container", "KEEP=1"}
	in.Config.WorkingDir = "/srv"
	in.HostConfig.CapDrop = []string{"KILL"}

	p, err := ExecProcess(in, container.ExecCreateRequest{Cmd: []string{"sh"}, Env: []string{"FOO=exec"}, Tty: true, ConsoleSize: &[2]uint{30, 100}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Args, []string{"sh"}) || p.Cwd != "/srv" || !p.Terminal || p.User.UID != 1000 {
		t.Errorf("process %+v", p)
	}
	for k, want := range map[string]string{"FOO": "exec", "KEEP": "1", "TERM": "xterm", "HOSTNAME": testID[:12], "PATH": DefaultPath, "HOME": "/home/app"} {
		if v, _ := envValue(p.Env, k); v != want {
			t.Errorf("%s=%q, want %q (env %v)", k, v, want, p.Env)
		}
	}
	if slices.Contains(p.Capabilities.Bounding, "CAP_KILL") || !slices.Contains(p.Capabilities.Bounding, "CAP_CHOWN") {
		t.Errorf("caps %v", p.Capabilities.Bounding)
	}
	if p.ConsoleSize == nil || p.ConsoleSize.Height != 30 || p.ConsoleSize.Width != 100 {
		t.Errorf("console %+v", p.ConsoleSize)
	}

	p, err = ExecProcess(in, container.ExecCreateRequest{Cmd: []string{"id"}, User: "0:0", WorkingDir: "/tmp", Privileged: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.User.UID != 0 || p.Cwd != "/tmp" || p.Terminal {
		t.Errorf("process %+v", p)
	}
	if _, ok := envValue(p.Env, "TERM"); ok {
		t.Error("TERM without tty")
	}
	if !slices.Equal(p.Capabilities.Bounding, hostBoundingWithoutResource()) {
		t.Errorf("privileged exec caps %v", p.Capabilities.Bounding)
	}

	if _, err := ExecProcess(in, container.ExecCreateRequest{}); !errors.Is(err, errdefs.ErrInvalid) {
		t.Errorf("empty exec: %v", err)
	}
	if _, err := ExecProcess(in, container.ExecCreateRequest{Cmd: []string{"x"}, User: "ghost"}); err == nil ||
		err.Error() != "unable to find user ghost: no matching entries in passwd file" {
		t.Errorf("unknown user: %v", err)
	}
}

func TestMergeTmpfsOptions(t *testing.T) {
	got := mergeTmpfsOptions([]string{"noexec", "nosuid", "nodev", "rprivate", "exec", "size=1m", "size=2m", "shared", "ro", "rw"})
	want := []string{"nosuid", "nodev", "exec", "size=2m", "shared", "rw"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestBoundingSetFromProc(t *testing.T) {
	caps := boundingSet()
	if len(caps) == 0 || !slices.Contains(caps, "CAP_CHOWN") {
		t.Errorf("bounding set %v", caps)
	}
	for _, c := range caps {
		if !slices.Contains(capNames, c) {
			t.Errorf("unknown %s", c)
		}
	}
}
