package network

import (
	"strconv"

	"github.com/wharf/wharf/internal/errdefs"
)

// Docker's bridge driver options that Wharf reads (OptBridgeName too).
const (
	OptMTU        = "com.docker.network.driver.mtu"
	OptMasquerade = "com.docker.network.bridge.enable_ip_masquerade"
)

// unsupported are bridge options whose non-default values Wharf does not
// implement: refused by name, since a network made without them would
// behave otherwise than asked (e.g. enable_icc=false: containers would
// still reach each other). The value is the default, which is accepted.
var unsupported = map[string]string{
	"com.docker.network.bridge.enable_icc":        "true",
	"com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
	"com.docker.network.bridge.inhibit_ipv4":      "false",
	"com.docker.network.bridge.gateway_mode_ipv4": "nat",
	"com.docker.network.host_ipv4":                "",
	"com.docker.network.container_iface_prefix":   "eth",
	"com.docker.network.enable_ipv6":              "false",
}

// checkOptions validates a new network's driver options. Options Docker's
// bridge driver does not know are kept and ignored, as Docker does.
func checkOptions(opts map[string]string) error {
	for k, v := range opts {
		if def, ok := unsupported[k]; ok && v != def {
			return errdefs.NotImplemented("network option %s=%s is not supported by Wharf (only %q)", k, v, def)
		}
	}
	if v, ok := opts[OptMTU]; ok {
		if n, err := strconv.Atoi(v); err != nil || n < 68 || n > 65535 {
			return errdefs.Invalid("invalid MTU %q for option %s: a number from 68 to 65535", v, OptMTU)
		}
	}
	if v, ok := opts[OptMasquerade]; ok {
		if _, err := strconv.ParseBool(v); err != nil {
			return errdefs.Invalid("invalid value %q for option %s: true or false", v, OptMasquerade)
		}
	}
	return nil
}

// mtu is the network's MTU option, else def (the daemon's --mtu; 0 is the
// kernel's default).
func (r *record) mtu(def int) int {
	if n, err := strconv.Atoi(r.Options[OptMTU]); err == nil && n > 0 {
		return n
	}
	return def
}

// masquerade: outbound NAT for the network (enable_ip_masquerade, on
// unless set to false).
func (r *record) masquerade() bool {
	v, ok := r.Options[OptMasquerade]
	b, err := strconv.ParseBool(v)
	return !ok || err != nil || b
}
