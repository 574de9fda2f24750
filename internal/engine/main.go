// Package engine is the daemon's composition root: it wires the stores and
// services, owns start-up, recovery and shutdown.
package engine

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"
)

// Main runs `wharf daemon [flags]`.
func Main(args []string) int {
	opts, err := parseFlags(args)
	if err == pflag.ErrHelp {
		return 0
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "wharf daemon: %v\n", err)
		return 2
	}
	level := slog.LevelInfo
	if opts.Debug {
		level = slog.LevelDebug
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
	// A client that goes away must not kill the daemon.
	signal.Ignore(syscall.SIGPIPE)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	slog.Info("starting wharf daemon", "version", Version, "data-root", opts.DataRoot, "exec-root", opts.ExecRoot, "pid", os.Getpid())
	if err := Run(ctx, opts); err != nil {
		slog.Error("wharf daemon failed", "err", err)
		fmt.Fprintf(os.Stderr, "wharf daemon: %v\n", err)
		return 1
	}
	slog.Info("wharf daemon stopped")
	return 0
}

func parseFlags(args []string) (Options, error) {
	var o Options
	fs := pflag.NewFlagSet("wharf daemon", pflag.ContinueOnError)
	fs.StringVar(&o.DataRoot, "data-root", defaultDataRoot, "root of persistent state (images, layers, containers)")
	fs.StringVar(&o.ExecRoot, "exec-root", defaultExecRoot, "root of runtime state (sockets, mounts)")
	fs.StringSliceVarP(&o.Hosts, "host", "H", []string{"unix://" + defaultSocket}, "API socket to listen on (unix:///path)")
	configFile := fs.String("config-file", "/etc/wharf/daemon.json", "daemon configuration file")
	fs.StringVar(&o.CgroupParent, "cgroup-parent", "/wharf", "parent cgroup of containers")
	fs.StringVarP(&o.PidFile, "pidfile", "p", "", "daemon pid file (default <exec-root>/wharf.pid)")
	fs.BoolVarP(&o.Debug, "debug", "D", false, "log every API request")
	fs.StringArrayVar(&o.Mirrors, "registry-mirror", nil, "preferred registry mirror for docker.io (repeatable)")
	fs.StringArrayVar(&o.Insecure, "insecure-registry", nil, "registry (host:port or CIDR) reached over HTTP or unverified TLS (repeatable)")
	fs.StringVar(&o.BridgeName, "bridge-name", "", "Linux bridge of the default \"bridge\" network (default wharf0)")
	fs.StringSliceVar(&o.DNS, "dns", nil, "DNS server for containers (default: the host's resolvers)")
	fs.StringVar(&o.BIP, "bip", "", "subnet of the default bridge network, e.g. 172.17.0.0/16 (default: a free one)")
	fs.IntVar(&o.MTU, "mtu", 0, "MTU of the bridges and containers' interfaces (default: the kernel's, 1500)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if err := loadConfigFile(*configFile, fs, &o); err != nil {
		return o, err
	}
	if o.MTU != 0 && (o.MTU < 68 || o.MTU > 65535) {
		return o, fmt.Errorf("invalid --mtu %d: a number from 68 to 65535", o.MTU)
	}
	return o, nil
}
