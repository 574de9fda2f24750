package cli

import (
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func (c *CLI) rmCommand() *cobra.Command {
	var opts client.ContainerRemoveOptions
	cmd := &cobra.Command{
		Use:     "rm [OPTIONS] CONTAINER [CONTAINER...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more containers",
		Args:    minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.eachContainer(args, func(api *client.Client, id string) error {
				_, err := api.ContainerRemove(ctx(), id, opts)
				return err
			})
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&opts.Force, "force", "f", false, "Force the removal of a running container (uses SIGKILL)")
	f.BoolVarP(&opts.RemoveVolumes, "volumes", "v", false, "Remove anonymous volumes associated with the container")
	f.BoolVarP(&opts.RemoveLinks, "link", "l", false, "Remove the specified link")
	return cmd
}

func (c *CLI) renameCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "rename CONTAINER NEW_NAME",
		Short: "Rename a container",
		Args:  exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			_, err = api.ContainerRename(ctx(), args[0], client.ContainerRenameOptions{NewName: args[1]})
			return err
		},
	}
}

func (c *CLI) waitCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "wait CONTAINER [CONTAINER...]",
		Short: "Block until one or more containers stop, then print their exit codes",
		Args:  minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			var failed []string
			for _, id := range args {
				w := api.ContainerWait(ctx(), id, client.ContainerWaitOptions{})
				select {
				case res := <-w.Result:
					c.printf("%d\n", res.StatusCode)
				case err := <-w.Error:
					if client.IsErrConnectionFailed(err) {
						return err
					}
					failed = append(failed, err.Error())
				}
			}
			return joinFailures(failed)
		},
	}
}
