package cli

import (
	"fmt"
	cerrdefs "github.com/containerd/errdefs"
	"net/netip"
	"strings"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func (c *CLI) networkRmCommand() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:     "rm NETWORK [NETWORK...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more networks",
		Args:    minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			var failed []string
			for _, ref := range args {
				_, err := api.NetworkRemove(ctx(), ref, client.NetworkRemoveOptions{})
				switch {
				case client.IsErrConnectionFailed(err):
					return err
				case force && cerrdefs.IsNotFound(err): // -f: a missing network is no error
				case err != nil:
					failed = append(failed, err.Error())
				default:
					fmt.Fprintln(c.Out, ref)
				}
			}
			return joinFailures(failed)
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not error if the network does not exist")
	return cmd
}

func (c *CLI) networkPruneCommand() *cobra.Command {
	var (
		force   bool
		filters []string
	)
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove all unused networks",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := parseFilters(filters)
			if err != nil {
				return err
			}
			if !force && !c.confirm("WARNING! This will remove all custom networks not used by at least one container.") {
				return nil
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			res, err := api.NetworkPrune(ctx(), client.NetworkPruneOptions{Filters: f})
			if err != nil {
				return err
			}
			if len(res.Report.NetworksDeleted) > 0 {
				fmt.Fprintln(c.Out, "Deleted Networks:")
				for _, n := range res.Report.NetworksDeleted {
					fmt.Fprintln(c.Out, n)
				}
				fmt.Fprintln(c.Out) // docker ends the report with a blank line
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	cmd.Flags().StringArrayVar(&filters, "filter", nil, `Provide filter values (e.g. "until=<timestamp>")`)
	return cmd
}

func (c *CLI) networkConnectCommand() *cobra.Command {
	var (
		ip                         string
		aliases, links, driverOpts []string
		gwPriority                 int
	)
	cmd := &cobra.Command{
		Use:   "connect [OPTIONS] NETWORK CONTAINER",
		Short: "Connect a container to a network",
		Args:  exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			es, err := endpointSettings(ip, aliases, links, driverOpts)
			if err != nil {
				return err
			}
			es.GwPriority = gwPriority
			api, err := c.client()
			if err != nil {
				return err
			}
			_, err = api.NetworkConnect(ctx(), args[0], client.NetworkConnectOptions{Container: args[1], EndpointConfig: es})
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&ip, "ip", "", "IPv4 address (e.g., \"172.30.100.104\")")
	fl.StringArrayVar(&aliases, "alias", nil, "Add network-scoped alias for the container")
	fl.StringArrayVar(&links, "link", nil, "Add link to another container")
	fl.StringArrayVar(&driverOpts, "driver-opt", nil, "driver options for the network")
	fl.IntVar(&gwPriority, "gw-priority", 0, "Highest gw-priority provides the default gateway. Accepts positive and negative values.")
	return cmd
}

// endpointSettings builds network connect's endpoint from its flags.
func endpointSettings(ip string, aliases, links, driverOpts []string) (*network.EndpointSettings, error) {
	es := &network.EndpointSettings{Aliases: aliases}
	if ip != "" {
		a, err := netip.ParseAddr(ip)
		if err != nil || !a.Is4() {
			return nil, fmt.Errorf("invalid argument %q for \"--ip\" flag: invalid IPv4 address", ip)
		}
		es.IPAMConfig = &network.EndpointIPAMConfig{IPv4Address: a}
	}
	ls, err := linkFlags(links)
	if err != nil {
		return nil, err
	}
	es.Links = ls
	if len(driverOpts) > 0 {
		es.DriverOpts = map[string]string{}
		for _, kv := range driverOpts {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return nil, fmt.Errorf("invalid key/value pair format in driver options")
			}
			es.DriverOpts[k] = v
		}
	}
	return es, nil
}

func (c *CLI) networkDisconnectCommand() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "disconnect [OPTIONS] NETWORK CONTAINER",
		Short: "Disconnect a container from a network",
		Args:  exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			_, err = api.NetworkDisconnect(ctx(), args[0], client.NetworkDisconnectOptions{Container: args[1], Force: force})
			return err
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Force the container to disconnect from a network")
	return cmd
}
