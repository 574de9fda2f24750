package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/docker/go-units"
	"github.com/spf13/pflag"
)

// fileConfig is daemon.json: Docker's keys where they apply.
type fileConfig struct {
	DataRoot     string            `json:"data-root"`
	ExecRoot     string            `json:"exec-root"`
	Hosts        []string          `json:"hosts"`
	CgroupParent string            `json:"cgroup-parent"`
	PidFile      string            `json:"pidfile"`
	LogOpts      map[string]string `json:"log-opts"`
	Debug        bool              `json:"debug"`
	Mirrors      []string          `json:"registry-mirrors"`
	Insecure     []string          `json:"insecure-registries"`
	Bridge       string            `json:"bridge"`
	BIP          string            `json:"bip"`
	DNS          []string          `json:"dns"`
	MTU          int               `json:"mtu"`
}

// fileKeyFlags maps each daemon.json key to the flag it shares a value with.
var fileKeyFlags = map[string]string{
	"data-root":           "data-root",
	"exec-root":           "exec-root",
	"hosts":               "host",
	"cgroup-parent":       "cgroup-parent",
	"pidfile":             "pidfile",
	"log-opts":            "",
	"debug":               "debug",
	"registry-mirrors":    "registry-mirror",
	"insecure-registries": "insecure-registry",
	"bridge":              "bridge-name",
	"bip":                 "bip",
	"dns":                 "dns",
	"mtu":                 "mtu",
}

// json-file options we accept; only the rotation ones change anything yet.
var knownLogOpts = map[string]bool{
	"max-size": true, "max-file": true, "compress": true, "labels": true,
	"labels-regex": true, "env": true, "env-regex": true, "tag": true,
}

// loadConfigFile merges daemon.json into opts. A missing file is fine; an
// unknown key or a key also given as a flag is an error, as with dockerd.
func loadConfigFile(path string, flags *pflag.FlagSet, opts *Options) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading configuration file: %w", err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("configuration file %s is not valid JSON: %w", path, err)
	}
	var unknown, both []string
	for key := range raw {
		flag, ok := fileKeyFlags[key]
		if !ok {
			unknown = append(unknown, key)
			continue
		}
		if flag != "" && flags.Changed(flag) {
			fromFile := string(raw[key])
			var str string
			if json.Unmarshal(raw[key], &str) == nil {
				fromFile = str
			}
			both = append(both, fmt.Sprintf("%s: (from flag: %s, from file: %s)", key, flags.Lookup(flag).Value, fromFile))
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("the following directives don't match any configuration option: %s", strings.Join(unknown, ", "))
	}
	if len(both) > 0 {
		sort.Strings(both)
		return fmt.Errorf("the following directives are specified both as a flag and in the configuration file: %s", strings.Join(both, ", "))
	}
	var fc fileConfig
	if err := json.Unmarshal(data, &fc); err != nil {
		return fmt.Errorf("configuration file %s: %w", path, err)
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&opts.DataRoot, fc.DataRoot)
	set(&opts.ExecRoot, fc.ExecRoot)
	set(&opts.CgroupParent, fc.CgroupParent)
	set(&opts.PidFile, fc.PidFile)
	set(&opts.BridgeName, fc.Bridge)
	set(&opts.BIP, fc.BIP)
	if len(fc.DNS) > 0 {
		opts.DNS = fc.DNS
	}
	if fc.MTU != 0 {
		opts.MTU = fc.MTU
	}
	if len(fc.Hosts) > 0 {
		opts.Hosts = fc.Hosts
	}
	if len(fc.Mirrors) > 0 {
		opts.Mirrors = fc.Mirrors
	}
	if len(fc.Insecure) > 0 {
		opts.Insecure = fc.Insecure
	}
	if _, ok := raw["debug"]; ok {
		opts.Debug = fc.Debug
	}
	return applyLogOpts(fc.LogOpts, opts)
}

func applyLogOpts(lo map[string]string, opts *Options) error {
	for k, v := range lo {
		if !knownLogOpts[k] {
			return fmt.Errorf("unknown log opt '%s' for json-file log driver", k)
		}
		switch k {
		case "max-size":
			n, err := units.RAMInBytes(v)
			if err != nil || n < 0 {
				return fmt.Errorf("invalid log-opts max-size %q: %v", v, err)
			}
			opts.LogMaxSize = n
		case "max-file":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return fmt.Errorf("invalid log-opts max-file %q: must be a number of at least 1", v)
			}
			opts.LogMaxFiles = n
		}
	}
	return nil
}
