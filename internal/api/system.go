package api

import (
	"bufio"
	"net/http"
	"os"
	"runtime"
	"strings"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/api/types/system"
	"golang.org/x/sys/unix"
)

func (s *Server) routeSystem() {
	s.mux.HandleFunc("GET /_ping", s.ping)
	s.mux.HandleFunc("HEAD /_ping", s.ping)
	s.handle("GET /version", s.version)
	s.handle("GET /info", s.info)
	s.handle("GET /plugins", func(w http.ResponseWriter, r *http.Request) error {
		writeJSON(w, http.StatusOK, []any{})
		return nil
	})
}

func (s *Server) ping(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Docker-Experimental", "false")
	h.Set("Cache-Control", "no-cache, no-store, must-revalidate")
	h.Set("Pragma", "no-cache")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	if r.Method == http.MethodHead {
		h.Set("Content-Length", "0")
		return
	}
	_, _ = w.Write([]byte("OK"))
}

func (s *Server) version(w http.ResponseWriter, r *http.Request) error {
	kernel := kernelVersion()
	v := system.VersionResponse{
		Platform:      system.PlatformInfo{Name: "Wharf"},
		Version:       s.cfg.System.Version,
		APIVersion:    APIVersion,
		MinAPIVersion: MinAPIVersion,
		Os:            runtime.GOOS,
		Arch:          runtime.GOARCH,
		GoVersion:     runtime.Version(),
		KernelVersion: kernel,
		Components: []system.ComponentVersion{{
			Name:    "Engine",
			Version: s.cfg.System.Version,
			Details: map[string]string{
				"ApiVersion":    APIVersion,
				"MinAPIVersion": MinAPIVersion,
				"GoVersion":     runtime.Version(),
				"Os":            runtime.GOOS,
				"Arch":          runtime.GOARCH,
				"KernelVersion": kernel,
				"Experimental":  "false",
			},
		}},
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) info(w http.ResponseWriter, r *http.Request) error {
	hostname, _ := os.Hostname()
	info := system.Info{
		ID:            s.cfg.System.ID,
		Driver:        "overlay2",
		DriverStatus:  [][2]string{},
		DockerRootDir: s.cfg.System.DataRoot,
		Debug:         s.cfg.System.Debug,
		// Containers outlive the daemon (their supervisor holds them), which is
		// what live-restore means to clients.
		LiveRestoreEnabled: true,
		LoggingDriver:      "json-file",
		CgroupDriver:       "cgroupfs",
		CgroupVersion:      cgroupVersion(),
		MemoryLimit:        true,
		CPUCfsPeriod:       true,
		CPUCfsQuota:        true,
		CPUShares:          true,
		CPUSet:             true,
		PidsLimit:          true,
		KernelVersion:      kernelVersion(),
		OperatingSystem:    operatingSystem(),
		OSVersion:          osRelease("VERSION_ID"),
		OSType:             "linux",
		Architecture:       machine(),
		IndexServerAddress: "https://index.docker.io/v1/",
		RegistryConfig:     s.cfg.System.Registry,
		NCPU:               runtime.NumCPU(),
		MemTotal:           memTotal(),
		NGoroutines:        runtime.NumGoroutine(),
		Name:               hostname,
		ServerVersion:      s.cfg.System.Version,
		Runtimes:           map[string]system.RuntimeWithStatus{"wharf": {}},
		DefaultRuntime:     "wharf",
		SecurityOptions:    []string{},
		Labels:             []string{},
		CDISpecDirs:        []string{},
		Warnings:           []string{},
	}
	info.Swarm.LocalNodeState = swarm.LocalNodeStateInactive
	info.Plugins.Log = []string{"json-file"}
	info.Plugins.Network = []string{"host", "none"}
	info.Plugins.Volume = []string{}
	if s.cfg.System.Seccomp {
		info.SecurityOptions = append(info.SecurityOptions, "name=seccomp,profile=builtin")
	}
	if info.CgroupVersion == "2" {
		info.SecurityOptions = append(info.SecurityOptions, "name=cgroupns")
	}
	if c, ok := s.cfg.Containers.(counter); ok {
		info.Containers, info.ContainersRunning, info.ContainersPaused, info.ContainersStopped = c.Counts()
	}
	if s.cfg.Images != nil {
		if imgs, err := s.cfg.Images.List(); err == nil {
			info.Images = len(imgs)
		}
	}
	if s.cfg.System.Network != nil {
		n := s.cfg.System.Network()
		info.Plugins.Network = []string{"bridge", "host", "null"}
		// FirewallBackend appeared in API 1.49; older clients never see it.
		if n.FirewallBackend != "" && compareVersions(versionFrom(r.Context()), "1.49") >= 0 {
			info.FirewallBackend = &system.FirewallInfo{Driver: n.FirewallBackend, Info: n.FirewallInfo}
		}
		info.Warnings = append(info.Warnings, n.Warnings...)
	}
	writeJSON(w, http.StatusOK, info)
	return nil
}

// cgroupVersion is "2" on a unified hierarchy, else "1".
func cgroupVersion() string {
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &st); err == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		return "2"
	}
	return "1"
}

func kernelVersion() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}

func machine() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return runtime.GOARCH
	}
	return unix.ByteSliceToString(u.Machine[:])
}

func memTotal() int64 {
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		return 0
	}
	return int64(si.Totalram) * int64(si.Unit)
}

func operatingSystem() string {
	if name := osRelease("PRETTY_NAME"); name != "" {
		return name
	}
	return "Linux"
}

// osRelease reads one key of /etc/os-release.
func osRelease(key string) string {
	f, err := os.Open("/etc/os-release")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok && k == key {
			return strings.Trim(v, `"'`)
		}
	}
	return ""
}
