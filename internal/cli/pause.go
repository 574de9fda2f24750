package cli

import (
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func (c *CLI) pauseCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "pause CONTAINER [CONTAINER...]",
		Short: "Pause all processes within one or more containers",
		Args:  minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.eachContainer(args, func(api *client.Client, id string) error {
				_, err := api.ContainerPause(ctx(), id, client.ContainerPauseOptions{})
				return err
			})
		},
	}
}

func (c *CLI) unpauseCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "unpause CONTAINER [CONTAINER...]",
		Short: "Unpause all processes within one or more containers",
		Args:  minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.eachContainer(args, func(api *client.Client, id string) error {
				_, err := api.ContainerUnpause(ctx(), id, client.ContainerUnpauseOptions{})
				return err
			})
		},
	}
}
