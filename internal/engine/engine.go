package engine

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wharf/wharf/internal/api"
	"github.com/wharf/wharf/internal/container"
	"github.com/wharf/wharf/internal/distribution"
	"github.com/wharf/wharf/internal/image"
	"github.com/wharf/wharf/internal/layer"
	"github.com/wharf/wharf/internal/network"
	"github.com/wharf/wharf/internal/network/nat"
	"github.com/wharf/wharf/internal/runtime"
	"github.com/wharf/wharf/internal/supervisor"
)

// Version of wharf, reported by /version and /info.
const Version = "0.1.0-dev"

const (
	defaultDataRoot = "/var/lib/wharf"
	defaultExecRoot = "/run/wharf"
	defaultSocket   = "/run/wharf/wharf.sock"
)

// Options of a daemon; Main fills them from flags and daemon.json.
type Options struct {
	DataRoot     string
	ExecRoot     string
	Hosts        []string // unix:///path
	CgroupParent string
	PidFile      string // "" = <exec-root>/wharf.pid
	Debug        bool
	LogMaxSize   int64 // json-file defaults
	LogMaxFiles  int
	Exe          string   // wharf binary for the supervisor and --init; "" = this executable
	Mirrors      []string // registry-mirrors: stand-ins for docker.io
	Insecure     []string // insecure-registries: host:port or CIDR
	BridgeName   string   // Linux bridge of the default network; "" = wharf0
	BIP          string   // its subnet; "" = 172.17.0.0/16 or the next free pool
	DNS          []string // --dns: containers' default nameservers instead of the host's
	MTU          int      // --mtu: bridges' and containers' interfaces; 0 = the kernel's (1500)
}

func (o *Options) setDefaults() {
	if o.DataRoot == "" {
		o.DataRoot = defaultDataRoot
	}
	if o.ExecRoot == "" {
		o.ExecRoot = defaultExecRoot
	}
	if len(o.Hosts) == 0 {
		o.Hosts = []string{"unix://" + defaultSocket}
	}
	if o.CgroupParent == "" {
		o.CgroupParent = "/wharf"
	}
	if o.PidFile == "" {
		o.PidFile = filepath.Join(o.ExecRoot, "wharf.pid")
	}
	if o.LogMaxSize == 0 {
		o.LogMaxSize = 10 << 20
	}
	if o.LogMaxFiles == 0 {
		o.LogMaxFiles = 3
	}
}

// Run starts a daemon and serves until ctx ends. Containers keep running
// afterwards: they belong to the supervisor.
func Run(ctx context.Context, o Options) error {
	o.setDefaults()
	// The supervisor runs from "/", so every path it is given must be absolute.
	for _, p := range []*string{&o.DataRoot, &o.ExecRoot, &o.PidFile} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	for _, d := range []struct {
		path string
		mode os.FileMode
	}{{o.DataRoot, 0o700}, {o.ExecRoot, 0o711}} {
		if err := os.MkdirAll(d.path, d.mode); err != nil {
			return err
		}
	}
	var sockets []string
	for _, h := range o.Hosts {
		p, err := socketPath(h)
		if err != nil {
			return err
		}
		if p, err = filepath.Abs(p); err != nil {
			return err
		}
		sockets = append(sockets, p)
	}

	// One daemon per exec-root, per data-root and per pidfile.
	for _, p := range []string{filepath.Join(o.ExecRoot, "wharf.lock"), filepath.Join(o.DataRoot, "wharf.lock"), o.PidFile} {
		f, err := lockFile(p)
		if err != nil {
			return err
		}
		defer f.Close()
	}
	defer os.Remove(o.PidFile)

	exe := o.Exe
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return err
		}
	}
	layers, err := layer.NewStore(o.DataRoot)
	if err != nil {
		return fmt.Errorf("layer store: %w", err)
	}
	images, err := image.NewStore(o.DataRoot, layers)
	if err != nil {
		return fmt.Errorf("image store: %w", err)
	}
	sup, err := supervisor.EnsureRunning(exe, o.ExecRoot)
	if err != nil {
		return fmt.Errorf("supervisor: %w", err)
	}
	dns, upstreams, err := daemonDNS(o.DNS)
	if err != nil {
		return err
	}
	nets, err := network.New(network.Config{
		Root:          filepath.Join(o.DataRoot, "network"),
		DefaultBridge: o.BridgeName,
		DefaultSubnet: o.BIP,
		TableName:     nat.TableFor(o.BridgeName),
		DNSUpstreams:  upstreams,
		MTU:           o.MTU,
	})
	if err != nil {
		return fmt.Errorf("network: %w", err)
	}
	defer nets.Close()
	svc, err := container.NewService(container.Config{
		DNS:          dns,
		Network:      nets,
		Root:         filepath.Join(o.DataRoot, "containers"),
		ExecRoot:     filepath.Join(o.ExecRoot, "containers"),
		Images:       images,
		Layers:       layers,
		Supervisor:   sup,
		CgroupParent: o.CgroupParent,
		InitPath:     exe,
		LogMaxSize:   o.LogMaxSize,
		LogMaxFiles:  o.LogMaxFiles,
		Seccomp:      runtime.SeccompSupported(),
	})
	if err != nil {
		return fmt.Errorf("container service: %w", err)
	}
	// A failed reconcile leaves some records stale; the daemon is still
	// more useful up than down.
	if err := svc.Restore(ctx); err != nil {
		slog.Error("restoring containers", "err", err)
	}
	if err := nets.Reconcile(ctx, svc.NetNamespaces()); err != nil {
		slog.Error("reconciling networks", "err", err)
	}
	for _, w := range nets.Info().Warnings { // also in `info`; said here for those who read logs
		slog.Warn(strings.TrimPrefix(w, "WARNING: "))
	}

	regCfg, err := registryConfig(o.Mirrors, o.Insecure)
	if err != nil {
		return err
	}
	dist, err := distribution.New(distribution.Config{Images: images, Mirrors: regCfg.Mirrors, Insecure: o.Insecure})
	if err != nil {
		return fmt.Errorf("distribution: %w", err)
	}
	netAPI := networks{s: nets, table: nat.TableFor(o.BridgeName), bip: o.BIP}
	handler := api.New(api.Config{
		Containers: svc,
		Exec:       svc,
		Images:     images,
		Registry:   dist,
		Archive:    archives{images},
		Networks:   netAPI,
		System: api.SystemInfo{
			Network:  netAPI.info,
			Registry: regCfg,
			ID:       engineID(o.DataRoot),
			Version:  Version,
			DataRoot: o.DataRoot,
			Debug:    o.Debug,
			Seccomp:  runtime.SeccompSupported(),
		},
	})
	return serve(ctx, handler, sockets)
}

// serve listens on every socket until ctx ends, then stops accepting,
// closes and removes the sockets. Hijacked streams end with the process.
func serve(ctx context.Context, h http.Handler, sockets []string) error {
	// Cancelled at shutdown so that followed logs, waits and attach
	// sessions end instead of holding the shutdown up.
	base, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	srv := &http.Server{Handler: h, ReadHeaderTimeout: time.Minute,
		BaseContext: func(net.Listener) context.Context { return base }}
	errc := make(chan error, len(sockets))
	for _, path := range sockets {
		l, err := listenUnix(path)
		if err != nil {
			srv.Close()
			return err
		}
		defer os.Remove(path)
		slog.Info("API listening", "socket", path)
		go func(l net.Listener) { errc <- srv.Serve(l) }(l)
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		srv.Close()
		return err
	}
	slog.Info("shutting down; containers keep running")
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(sctx) }()
	cancelBase()
	if err := <-done; err != nil {
		srv.Close()
	}
	return nil
}

// engineID is the daemon's stable ID, created on first start.
func engineID(dataRoot string) string {
	path := filepath.Join(dataRoot, "engine-id")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b))
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	id := fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(id+"\n"), 0o600); err == nil {
		if err := os.Rename(tmp, path); err != nil && !errors.Is(err, os.ErrExist) {
			slog.Warn("saving engine ID", "err", err)
		}
	}
	return id
}

// daemonDNS parses --dns: the containers' default nameservers, and the
// embedded resolver's upstreams ("ip:53").
func daemonDNS(in []string) ([]netip.Addr, []string, error) {
	var addrs []netip.Addr
	var ups []string
	for _, v := range in {
		a, err := netip.ParseAddr(v)
		if err != nil {
			return nil, nil, fmt.Errorf("invalid --dns %q: not an IP address", v)
		}
		addrs = append(addrs, a)
		ups = append(ups, netip.AddrPortFrom(a, 53).String())
	}
	return addrs, ups, nil
}
