package cli

import (
	"io"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func (c *CLI) logsCommand() *cobra.Command {
	opts := client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true}
	cmd := &cobra.Command{
		Use:   "logs [OPTIONS] CONTAINER",
		Short: "Fetch the logs of a container",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			info, err := api.ContainerInspect(ctx(), args[0], client.ContainerInspectOptions{})
			if err != nil {
				return err
			}
			body, err := api.ContainerLogs(ctx(), info.Container.ID, opts)
			if err != nil {
				return err
			}
			defer body.Close()
			// A TTY merges the streams: the daemon then sends them raw, not multiplexed.
			if info.Container.Config != nil && info.Container.Config.Tty {
				_, err = io.Copy(c.Out, body)
			} else {
				_, err = stdcopy.StdCopy(c.Out, c.Err, body)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&opts.Follow, "follow", "f", false, "Follow log output")
	f.BoolVarP(&opts.Timestamps, "timestamps", "t", false, "Show timestamps")
	f.BoolVar(&opts.Details, "details", false, "Show extra details provided to logs")
	f.StringVarP(&opts.Tail, "tail", "n", "all", "Number of lines to show from the end of the logs")
	f.StringVar(&opts.Since, "since", "", "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)")
	f.StringVar(&opts.Until, "until", "", "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)")
	return cmd
}
