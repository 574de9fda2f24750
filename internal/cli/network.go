package cli

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func (c *CLI) networkCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "network",
		Short: "Manage networks",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(c.networkCreateCommand(), c.networkLsCommand(), c.networkInspectCommand(),
		c.networkRmCommand(), c.networkPruneCommand(), c.networkConnectCommand(), c.networkDisconnectCommand())
	for _, sub := range cmd.Commands() {
		sub.DisableFlagsInUseLine = true
	}
	return cmd
}

// keyValues turns repeated KEY=VALUE flags into a map.
func keyValues(list []string) map[string]string {
	m := map[string]string{}
	for _, kv := range list {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

func (c *CLI) networkCreateCommand() *cobra.Command {
	var (
		driver, subnet, gateway, ipRange string
		internal                         bool
		opts, labels                     []string
	)
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] NETWORK",
		Short: "Create a network",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o := client.NetworkCreateOptions{Driver: driver, Internal: internal,
				Options: keyValues(opts), Labels: keyValues(labels)}
			if subnet != "" || gateway != "" || ipRange != "" {
				var cfg network.IPAMConfig
				var err error
				if subnet != "" {
					if cfg.Subnet, err = netip.ParsePrefix(subnet); err != nil {
						return fmt.Errorf("invalid subnet %s: %w", subnet, err)
					}
				}
				if ipRange != "" {
					if cfg.IPRange, err = netip.ParsePrefix(ipRange); err != nil {
						return fmt.Errorf("invalid ip-range %s: %w", ipRange, err)
					}
				}
				if gateway != "" {
					if cfg.Gateway, err = netip.ParseAddr(gateway); err != nil {
						return fmt.Errorf("invalid gateway %s: %w", gateway, err)
					}
				}
				o.IPAM = &network.IPAM{Driver: "default", Config: []network.IPAMConfig{cfg}}
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			res, err := api.NetworkCreate(ctx(), args[0], o)
			if err != nil {
				return err
			}
			fmt.Fprintln(c.Out, res.ID)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&driver, "driver", "d", "bridge", "Driver to manage the Network")
	fl.StringVar(&subnet, "subnet", "", "Subnet in CIDR format that represents a network segment")
	fl.StringVar(&gateway, "gateway", "", "IPv4 Gateway for the master subnet")
	fl.StringVar(&ipRange, "ip-range", "", "Allocate container ip from a sub-range")
	fl.BoolVar(&internal, "internal", false, "Restrict external access to the network")
	fl.StringArrayVarP(&opts, "opt", "o", nil, "Set driver specific options")
	fl.StringArrayVar(&labels, "label", nil, "Set metadata on a network")
	return cmd
}

// networkRow is one line of `network ls`.
type networkRow struct {
	s       network.Summary
	noTrunc bool
}

func (r networkRow) ID() string {
	if r.noTrunc {
		return r.s.ID
	}
	return truncate(r.s.ID, 12)
}
func (r networkRow) Name() string      { return r.s.Name }
func (r networkRow) Driver() string    { return r.s.Driver }
func (r networkRow) Scope() string     { return r.s.Scope }
func (r networkRow) Internal() bool    { return r.s.Internal }
func (r networkRow) IPv6() bool        { return r.s.EnableIPv6 }
func (r networkRow) CreatedAt() string { return r.s.Created.String() }
func (r networkRow) Labels() string {
	var kv []string
	for k, v := range r.s.Labels {
		kv = append(kv, k+"="+v)
	}
	slices.Sort(kv) // docker's order is the map's: any order will do
	return strings.Join(kv, ",")
}

var networkTable = table{
	defaultFormat: "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}",
	headers: map[string]string{"ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE",
		"Internal": "INTERNAL", "IPv6": "IPV6", "CreatedAt": "CREATED AT", "Labels": "LABELS"},
}

func (c *CLI) networkLsCommand() *cobra.Command {
	var (
		quiet, noTrunc bool
		format         string
		filters        []string
	)
	cmd := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List networks",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := parseFilters(filters)
			if err != nil {
				return err
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			res, err := api.NetworkList(ctx(), client.NetworkListOptions{Filters: f})
			if err != nil {
				return err
			}
			if quiet {
				format = "{{.ID}}"
			}
			slices.SortFunc(res.Items, func(a, b network.Summary) int { return naturalCompare(a.Name, b.Name) })
			var rows []any
			for _, n := range res.Items {
				rows = append(rows, networkRow{s: n, noTrunc: noTrunc})
			}
			return networkTable.write(c.Out, format, rows)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&quiet, "quiet", "q", false, "Only display network IDs")
	fl.BoolVar(&noTrunc, "no-trunc", false, "Do not truncate the output")
	fl.StringVar(&format, "format", "", "Format output using a custom template")
	fl.StringArrayVarP(&filters, "filter", "f", nil, `Provide filter values (e.g. "driver=bridge")`)
	return cmd
}

func (c *CLI) networkInspectCommand() *cobra.Command {
	var (
		format  string
		verbose bool
	)
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] NETWORK [NETWORK...]",
		Short: "Display detailed information on one or more networks",
		Args:  minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			var objs []inspected
			var firstErr error
			for _, ref := range args {
				res, err := api.NetworkInspect(ctx(), ref, client.NetworkInspectOptions{Verbose: verbose})
				if err != nil {
					if client.IsErrConnectionFailed(err) {
						return err
					}
					fmt.Fprintln(c.Err, err)
					firstErr = err
					continue
				}
				objs = append(objs, inspected{typed: res.Network, raw: res.Raw})
			}
			if err := c.printInspected(objs, format); err != nil {
				return err
			}
			if firstErr != nil {
				return statusError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", "Format output using a custom template")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "Verbose output for diagnostics")
	return cmd
}
