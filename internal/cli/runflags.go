package cli

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/spf13/pflag"
)

// containerOptions holds the flags shared by run and create.
type containerOptions struct {
	interactive, tty, rm, init, privileged, readOnly bool
	name, workdir, user, hostname, entrypoint        string
	cidfile, stopSignal, restart                     string
	logDriver                                        string
	logOpts, securityOpts                            []string
	detachKeys                                       string
	env, envFile, labels, labelFile, attach          []string
	volumes, tmpfs, capAdd, capDrop                  []string
	groupAdd                                         []string
	sysctls                                          []string
	stopTimeout                                      int
	pidsLimit                                        int64
	memory                                           memBytes
	cpus                                             nanoCPUs
	flags                                            *pflag.FlagSet
	net                                              netOptions
	networking                                       *network.NetworkingConfig // set by containerConfig
}

func addContainerFlags(f *pflag.FlagSet, o *containerOptions) {
	o.flags = f
	f.Bool("help", false, "Print usage") // frees -h for --hostname, as in docker
	f.BoolVarP(&o.interactive, "interactive", "i", false, "Keep STDIN open even if not attached")
	f.BoolVarP(&o.tty, "tty", "t", false, "Allocate a pseudo-TTY")
	f.BoolVar(&o.rm, "rm", false, "Automatically remove the container when it exits")
	f.BoolVar(&o.init, "init", false, "Run an init inside the container that forwards signals and reaps processes")
	f.BoolVar(&o.privileged, "privileged", false, "Give extended privileges to this container")
	f.BoolVar(&o.readOnly, "read-only", false, "Mount the container's root filesystem as read only")
	f.StringVar(&o.name, "name", "", "Assign a name to the container")
	f.StringVarP(&o.workdir, "workdir", "w", "", "Working directory inside the container")
	f.StringVarP(&o.user, "user", "u", "", "Username or UID (format: <name|uid>[:<group|gid>])")
	f.StringVarP(&o.hostname, "hostname", "h", "", "Container host name")
	f.StringVar(&o.entrypoint, "entrypoint", "", "Overwrite the default ENTRYPOINT of the image")
	f.StringVar(&o.cidfile, "cidfile", "", "Write the container ID to the file")
	f.StringVar(&o.stopSignal, "stop-signal", "", "Signal to stop the container")
	f.IntVar(&o.stopTimeout, "stop-timeout", 0, "Timeout (in seconds) to stop a container")
	f.StringVar(&o.restart, "restart", "no", "Restart policy to apply when a container exits")
	f.StringVar(&o.detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	f.StringArrayVarP(&o.env, "env", "e", nil, "Set environment variables")
	f.StringArrayVar(&o.envFile, "env-file", nil, "Read in a file of environment variables")
	f.StringArrayVarP(&o.labels, "label", "l", nil, "Set meta data on a container")
	f.StringArrayVar(&o.labelFile, "label-file", nil, "Read in a line delimited file of labels")
	f.StringArrayVarP(&o.attach, "attach", "a", nil, "Attach to STDIN, STDOUT or STDERR")
	f.StringArrayVarP(&o.volumes, "volume", "v", nil, "Bind mount a volume")
	f.StringArrayVar(&o.tmpfs, "tmpfs", nil, "Mount a tmpfs directory")
	f.StringArrayVar(&o.capAdd, "cap-add", nil, "Add Linux capabilities")
	f.StringArrayVar(&o.capDrop, "cap-drop", nil, "Drop Linux capabilities")
	f.StringArrayVar(&o.groupAdd, "group-add", nil, "Add additional groups to join")
	f.StringArrayVar(&o.sysctls, "sysctl", nil, "Sysctl options")
	f.StringVar(&o.logDriver, "log-driver", "", "Logging driver for the container")
	f.StringArrayVar(&o.logOpts, "log-opt", nil, "Log driver options")
	f.StringArrayVar(&o.securityOpts, "security-opt", nil, "Security Options")
	f.Int64Var(&o.pidsLimit, "pids-limit", 0, "Tune container pids limit (set -1 for unlimited)")
	f.VarP(&o.memory, "memory", "m", "Memory limit")
	f.Var(&o.cpus, "cpus", "Number of CPUs")
	addNetFlags(f, &o.net)
}

// containerConfig turns the flags, the image and its arguments into the create request.
// detach says whether run was given -d: then nothing is attached.
func (o *containerOptions) containerConfig(image string, args []string, detach bool) (*container.Config, *container.HostConfig, error) {
	env, err := readEnv(o.envFile, o.env)
	if err != nil {
		return nil, nil, err
	}
	labels, err := readLabels(o.labelFile, o.labels)
	if err != nil {
		return nil, nil, err
	}
	if o.stopSignal != "" {
		if _, err := parseSignal(o.stopSignal); err != nil {
			return nil, nil, err
		}
	}
	cfg := &container.Config{
		Image: image, Hostname: o.hostname, User: o.user, WorkingDir: o.workdir,
		Env: env, Labels: labels, Tty: o.tty, OpenStdin: o.interactive, StopSignal: o.stopSignal,
	}
	if len(args) > 0 {
		cfg.Cmd = args
	}
	if o.flags.Changed("entrypoint") {
		cfg.Entrypoint = []string{o.entrypoint}
	}
	if o.flags.Changed("stop-timeout") {
		cfg.StopTimeout = &o.stopTimeout
	}
	if err := o.setAttach(cfg, detach); err != nil {
		return nil, nil, err
	}
	hc, err := o.hostConfig(cfg)
	return cfg, hc, err
}

// setAttach follows docker: -a lists the streams; otherwise a foreground run attaches
// stdout and stderr, and stdin with -i.
func (o *containerOptions) setAttach(cfg *container.Config, detach bool) error {
	if detach {
		if len(o.attach) > 0 {
			return fmt.Errorf("Conflicting options: -a and -d")
		}
		return nil
	}
	if len(o.attach) == 0 {
		cfg.AttachStdout, cfg.AttachStderr, cfg.AttachStdin = true, true, o.interactive
	}
	for _, a := range o.attach {
		switch strings.ToLower(a) {
		case "stdin":
			cfg.AttachStdin = true
		case "stdout":
			cfg.AttachStdout = true
		case "stderr":
			cfg.AttachStderr = true
		default:
			return fmt.Errorf("invalid argument %q for \"-a, --attach\" flag: valid streams are STDIN, STDOUT and STDERR", a)
		}
	}
	cfg.StdinOnce = cfg.OpenStdin && cfg.AttachStdin
	return nil
}

func (o *containerOptions) hostConfig(cfg *container.Config) (*container.HostConfig, error) {
	hc := &container.HostConfig{
		AutoRemove: o.rm, Privileged: o.privileged, ReadonlyRootfs: o.readOnly,
		CapAdd: o.capAdd, CapDrop: o.capDrop,
		GroupAdd: o.groupAdd, SecurityOpt: o.securityOpts,
	}
	hc.LogConfig.Type = o.logDriver
	for _, kv := range o.sysctls {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("invalid argument %q for \"--sysctl\" flag: %s is not a valid option", kv, kv)
		}
		if hc.Sysctls == nil {
			hc.Sysctls = map[string]string{}
		}
		hc.Sysctls[k] = v
	}
	for _, kv := range o.logOpts {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("invalid argument %q for \"--log-opt\" flag: invalid key value pair format in log-opt", kv)
		}
		if hc.LogConfig.Config == nil {
			hc.LogConfig.Config = map[string]string{}
		}
		hc.LogConfig.Config[k] = v
	}
	hc.Memory = int64(o.memory)
	hc.NanoCPUs = int64(o.cpus)
	if o.flags.Changed("pids-limit") {
		hc.PidsLimit = &o.pidsLimit
	}
	if o.flags.Changed("init") {
		hc.Init = &o.init
	}
	policy, err := parseRestart(o.restart)
	if err != nil {
		return nil, err
	}
	hc.RestartPolicy = policy
	if o.rm && !policy.IsNone() {
		return nil, fmt.Errorf("Conflicting options: --restart and --rm")
	}
	for _, v := range o.volumes {
		if strings.Contains(v, ":") {
			hc.Binds = append(hc.Binds, v)
		} else {
			if cfg.Volumes == nil {
				cfg.Volumes = map[string]struct{}{}
			}
			cfg.Volumes[v] = struct{}{}
		}
	}
	for _, t := range o.tmpfs {
		if hc.Tmpfs == nil {
			hc.Tmpfs = map[string]string{}
		}
		path, opts, _ := strings.Cut(t, ":")
		hc.Tmpfs[path] = opts
	}
	o.networking, err = o.net.apply(cfg, hc)
	return hc, err
}

func parseRestart(s string) (container.RestartPolicy, error) {
	name, count, _ := strings.Cut(s, ":")
	p := container.RestartPolicy{Name: container.RestartPolicyMode(name)}
	if count != "" {
		n, err := strconv.Atoi(count)
		if err != nil {
			return p, fmt.Errorf("invalid restart policy: maximum retry count must be an integer")
		}
		p.MaximumRetryCount = n
	}
	return p, container.ValidateRestartPolicy(p)
}

// readEnv reads --env-file files then -e values; a bare NAME takes the CLI's own value.
func readEnv(files, values []string) ([]string, error) {
	var env []string
	for _, f := range files {
		lines, err := readKeyValueFile(f)
		if err != nil {
			return nil, err
		}
		env = append(env, lines...)
	}
	for _, v := range values {
		env = append(env, expandEnv(v))
	}
	return env, nil
}

func expandEnv(v string) string {
	if strings.Contains(v, "=") {
		return v
	}
	if val, ok := os.LookupEnv(v); ok {
		return v + "=" + val
	}
	return v
}

func readLabels(files, values []string) (map[string]string, error) {
	all := []string{}
	for _, f := range files {
		lines, err := readKeyValueFile(f)
		if err != nil {
			return nil, err
		}
		all = append(all, lines...)
	}
	all = append(all, values...)
	if len(all) == 0 {
		return nil, nil
	}
	labels := map[string]string{}
	for _, l := range all {
		k, v, _ := strings.Cut(l, "=")
		labels[k] = v
	}
	return labels, nil
}

// readKeyValueFile reads lines of KEY=VALUE, skipping blanks and # comments.
func readKeyValueFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimLeft(sc.Text(), " \t")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, expandEnv(line))
	}
	return out, sc.Err()
}
