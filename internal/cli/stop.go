package cli

import (
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func (c *CLI) stopCommand() *cobra.Command {
	var signal string
	var timeout int
	cmd := &cobra.Command{
		Use:   "stop [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Stop one or more running containers",
		Args:  minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := client.ContainerStopOptions{Signal: signal}
			if cmd.Flags().Changed("time") || cmd.Flags().Changed("timeout") {
				opts.Timeout = &timeout
			}
			return c.eachContainer(args, func(api *client.Client, id string) error {
				_, err := api.ContainerStop(ctx(), id, opts)
				return err
			})
		},
	}
	f := cmd.Flags()
	f.StringVarP(&signal, "signal", "s", "", "Signal to send to the container")
	f.IntVarP(&timeout, "time", "t", 0, "Seconds to wait before killing the container")
	f.IntVar(&timeout, "timeout", 0, "Seconds to wait before killing the container")
	f.MarkHidden("timeout")
	return cmd
}

func (c *CLI) restartCommand() *cobra.Command {
	var signal string
	var timeout int
	cmd := &cobra.Command{
		Use:   "restart [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Restart one or more containers",
		Args:  minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := client.ContainerRestartOptions{Signal: signal}
			if cmd.Flags().Changed("time") {
				opts.Timeout = &timeout
			}
			return c.eachContainer(args, func(api *client.Client, id string) error {
				_, err := api.ContainerRestart(ctx(), id, opts)
				return err
			})
		},
	}
	cmd.Flags().StringVarP(&signal, "signal", "s", "", "Signal to send to the container")
	cmd.Flags().IntVarP(&timeout, "time", "t", 0, "Seconds to wait before killing the container")
	return cmd
}

func (c *CLI) killCommand() *cobra.Command {
	var signal string
	cmd := &cobra.Command{
		Use:   "kill [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Kill one or more running containers",
		Args:  minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.eachContainer(args, func(api *client.Client, id string) error {
				_, err := api.ContainerKill(ctx(), id, client.ContainerKillOptions{Signal: signal})
				return err
			})
		},
	}
	cmd.Flags().StringVarP(&signal, "signal", "s", "", "Signal to send to the container")
	return cmd
}
