package cli

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func (c *CLI) portCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "port CONTAINER [PRIVATE_PORT[/PROTO]]",
		Short: "List port mappings or a specific mapping for the container",
		Args:  rangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			res, err := api.ContainerInspect(ctx(), args[0], client.ContainerInspectOptions{})
			if err != nil {
				return err
			}
			var ports network.PortMap
			if ns := res.Container.NetworkSettings; ns != nil {
				ports = ns.Ports
			}
			var out []string
			if len(args) == 2 {
				if out, err = portLookup(ports, args[0], args[1]); err != nil {
					return err
				}
			} else {
				for p, binds := range ports {
					for _, b := range binds {
						out = append(out, p.String()+" -> "+hostAddr(b))
					}
				}
			}
			slices.SortFunc(out, naturalCompare)
			for _, l := range out {
				fmt.Fprintln(c.Out, l)
			}
			return nil
		},
	}
}

// portLookup answers `port CONTAINER PORT[/PROTO]` in docker's words.
func portLookup(ports network.PortMap, ctr, spec string) ([]string, error) {
	num, proto, _ := strings.Cut(spec, "/")
	if proto == "" {
		proto = "tcp"
	}
	if _, err := strconv.ParseUint(num, 10, 16); err != nil {
		return nil, fmt.Errorf("Error: invalid port (%s): %w", num, err)
	}
	p, err := network.ParsePort(num + "/" + proto)
	if err != nil {
		return nil, fmt.Errorf("Error: invalid port (%s): %w", num, err)
	}
	binds := ports[p]
	if len(binds) == 0 {
		return nil, fmt.Errorf("Error: No public port '%s' published for %s", spec, ctr)
	}
	var out []string
	for _, b := range binds {
		out = append(out, hostAddr(b))
	}
	return out, nil
}

func hostAddr(b network.PortBinding) string {
	ip := ""
	if b.HostIP.IsValid() {
		ip = b.HostIP.String()
	}
	return net.JoinHostPort(ip, b.HostPort)
}

// naturalCompare orders strings with runs of digits compared as numbers,
// so that 80/tcp sorts before 443/tcp.
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, _ := strconv.ParseUint(a[:da], 10, 64)
			nb, _ := strconv.ParseUint(b[:db], 10, 64)
			if na != nb {
				if na < nb {
					return -1
				}
				return 1
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			if a[0] < b[0] {
				return -1
			}
			return 1
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

func digitRun(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}
