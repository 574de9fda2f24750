package cli

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

var psTable = table{
	defaultFormat: "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}",
	headers: map[string]string{
		"ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "RunningFor": "CREATED",
		"CreatedAt": "CREATED AT", "Status": "STATUS", "State": "STATE", "Ports": "PORTS",
		"Names": "NAMES", "Size": "SIZE", "Labels": "LABELS", "Mounts": "MOUNTS", "Networks": "NETWORKS",
	},
}

type psOptions struct {
	all, quiet, latest, size, noTrunc bool
	last                              int
	filters                           []string
	format                            string
}

func (c *CLI) psCommand() *cobra.Command {
	var o psOptions
	cmd := &cobra.Command{
		Use:   "ps [OPTIONS]",
		Short: "List containers",
		Args:  exactArgs(0),
		RunE:  func(cmd *cobra.Command, _ []string) error { return c.ps(o) },
	}
	f := cmd.Flags()
	f.BoolVarP(&o.all, "all", "a", false, "Show all containers (default shows just running)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "Only display container IDs")
	f.BoolVarP(&o.latest, "latest", "l", false, "Show the latest created container (includes all states)")
	f.BoolVarP(&o.size, "size", "s", false, "Display total file sizes")
	f.BoolVar(&o.noTrunc, "no-trunc", false, "Don't truncate output")
	f.IntVarP(&o.last, "last", "n", -1, "Show n last created containers (includes all states)")
	f.StringArrayVarP(&o.filters, "filter", "f", nil, "Filter output based on conditions provided")
	f.StringVar(&o.format, "format", "", "Format output using a custom template")
	return cmd
}

func (c *CLI) ps(o psOptions) error {
	filters, err := parseFilters(o.filters)
	if err != nil {
		return err
	}
	api, err := c.client()
	if err != nil {
		return err
	}
	opts := client.ContainerListOptions{All: o.all, Size: o.size, Filters: filters, Latest: o.latest}
	if o.last > 0 {
		opts.Limit = o.last
	}
	res, err := api.ContainerList(ctx(), opts)
	if err != nil {
		return err
	}
	format := o.format
	if o.quiet {
		format = "{{.ID}}"
	} else if o.size && (format == "" || format == "table") {
		format = psTable.defaultFormat + "\t{{.Size}}"
	}
	rows := make([]any, len(res.Items))
	for i, s := range res.Items {
		rows[i] = psRow{s: s, trunc: !o.noTrunc}
	}
	return psTable.write(c.Out, format, rows)
}

// parseFilters turns repeated key=value flags into the API's filter set.
func parseFilters(args []string) (client.Filters, error) {
	f := client.Filters{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return nil, fmt.Errorf("bad format of filter (expected name=value)")
		}
		f.Add(strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v))
	}
	return f, nil
}

// psRow is one container as ps templates see it: {{.ID}}, {{.Names}}, {{.Label "x"}}...
type psRow struct {
	s     container.Summary
	trunc bool
}

func (r psRow) ID() string {
	if r.trunc {
		return shortID(r.s.ID)
	}
	return r.s.ID
}

func (r psRow) Image() string {
	img := r.s.Image
	if r.trunc && strings.HasPrefix(img, "sha256:") {
		return shortID(img)
	}
	return img
}

func (r psRow) Command() string    { return quoteCommand(r.s.Command, !r.trunc) }
func (r psRow) CreatedAt() string  { return time.Unix(r.s.Created, 0).String() }
func (r psRow) RunningFor() string { return ago(time.Unix(r.s.Created, 0)) }
func (r psRow) State() string      { return string(r.s.State) }
func (r psRow) Status() string     { return r.s.Status }
func (r psRow) Label(k string) string {
	return r.s.Labels[k]
}

func (r psRow) Names() string {
	var names []string
	for _, n := range r.s.Names {
		n = strings.TrimPrefix(n, "/")
		// Legacy links show up as other containers' names with a slash; docker hides them.
		if r.trunc && strings.Contains(n, "/") {
			continue
		}
		names = append(names, n)
	}
	return strings.Join(names, ",")
}

func (r psRow) Ports() string { return displayPorts(r.s.Ports) }

func (r psRow) Size() string {
	if r.s.SizeRw == 0 && r.s.SizeRootFs == 0 {
		return "0B"
	}
	return fmt.Sprintf("%s (virtual %s)", humanSize(r.s.SizeRw), humanSize(r.s.SizeRootFs))
}

func (r psRow) Labels() string {
	var kv []string
	for k, v := range r.s.Labels {
		kv = append(kv, k+"="+v)
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}

func (r psRow) Mounts() string {
	var m []string
	for _, mp := range r.s.Mounts {
		name := mp.Name
		if name == "" {
			name = mp.Source
		}
		if r.trunc {
			name = ellipsis(name, 15)
		}
		m = append(m, name)
	}
	return strings.Join(m, ",")
}

func (r psRow) Networks() string {
	if r.s.NetworkSettings == nil {
		return ""
	}
	var n []string
	for k := range r.s.NetworkSettings.Networks {
		n = append(n, k)
	}
	sort.Strings(n)
	return strings.Join(n, ",")
}

func (r psRow) jsonFields() map[string]any {
	return map[string]any{
		"ID": r.ID(), "Image": r.Image(), "Command": r.Command(), "CreatedAt": r.CreatedAt(),
		"RunningFor": r.RunningFor(), "Ports": r.Ports(), "State": r.State(), "Status": r.Status(),
		"Size": r.Size(), "Names": r.Names(), "Labels": r.Labels(), "Mounts": r.Mounts(),
		"Networks": r.Networks(), "LocalVolumes": "0",
	}
}
