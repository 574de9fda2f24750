package cli

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// imageCommand is the `image` group: the image commands under their
// management names (image ls, image rm, ...).
func (c *CLI) imageCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Manage images",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	rename := func(sub *cobra.Command, use string, aliases ...string) *cobra.Command {
		_, rest, _ := strings.Cut(sub.Use, " ")
		sub.Use = strings.TrimSpace(use + " " + rest)
		sub.Aliases = aliases
		return sub
	}
	cmd.AddCommand(
		rename(c.imagesCommand(), "ls", "list"),
		rename(c.rmiCommand(), "rm", "remove", "rmi"),
		c.imageInspectCommand(),
		c.pullCommand(), c.pushCommand(), c.saveCommand(), c.loadCommand(),
		c.historyCommand(), c.tagCommand(), c.imagePruneCommand(), c.importCommand(),
	)
	for _, sub := range cmd.Commands() {
		sub.DisableFlagsInUseLine = true
	}
	return cmd
}

func (c *CLI) imageInspectCommand() *cobra.Command {
	o := inspectOptions{kind: "image"}
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] IMAGE [IMAGE...]",
		Short: "Display detailed information on one or more images",
		Args:  minArgs(1),
		RunE:  func(cmd *cobra.Command, args []string) error { return c.inspect(args, o) },
	}
	cmd.Flags().StringVarP(&o.format, "format", "f", "", "Format output using a custom template")
	return cmd
}

func (c *CLI) imagePruneCommand() *cobra.Command {
	var (
		all, force bool
		filters    []string
	)
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused images",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := parseFilters(filters)
			if err != nil {
				return err
			}
			warning := "WARNING! This will remove all dangling images."
			if all {
				f.Add("dangling", "false")
				warning = "WARNING! This will remove all images without at least one container associated to them."
			}
			if !force && !c.confirm(warning) {
				fmt.Fprintln(c.Out, "Total reclaimed space: 0B")
				return nil
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			res, err := api.ImagePrune(ctx(), client.ImagePruneOptions{Filters: f})
			if err != nil {
				return err
			}
			if len(res.Report.ImagesDeleted) > 0 {
				fmt.Fprintln(c.Out, "Deleted Images:")
				for _, d := range res.Report.ImagesDeleted {
					if d.Untagged != "" {
						fmt.Fprintf(c.Out, "untagged: %s\n", d.Untagged)
					}
					if d.Deleted != "" {
						fmt.Fprintf(c.Out, "deleted: %s\n", d.Deleted)
					}
				}
				fmt.Fprintln(c.Out)
			}
			fmt.Fprintf(c.Out, "Total reclaimed space: %s\n", humanSize(int64(res.Report.SpaceReclaimed)))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&all, "all", "a", false, "Remove all unused images, not just dangling ones")
	fl.BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	fl.StringArrayVar(&filters, "filter", nil, `Provide filter values (e.g. "until=<timestamp>")`)
	return cmd
}

// confirm asks a yes/no question on stdin the way docker does; no is the default.
func (c *CLI) confirm(warning string) bool {
	fmt.Fprintf(c.Out, "%s\nAre you sure you want to continue? [y/N] ", warning)
	line, _ := bufio.NewReader(c.In).ReadString('\n')
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes"
}
