package cli

import (
	"errors"
	"io"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type startOptions struct {
	attach, interactive bool
	detachKeys          string
}

func (c *CLI) startCommand() *cobra.Command {
	var o startOptions
	cmd := &cobra.Command{
		Use:   "start [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Start one or more stopped containers",
		Args:  minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			if !o.attach && !o.interactive {
				return c.forEach(args, func(id string) error {
					_, err := api.ContainerStart(ctx(), id, client.ContainerStartOptions{})
					return err
				})
			}
			if len(args) > 1 {
				return errors.New("you cannot start and attach multiple containers at once")
			}
			return c.startAttached(args[0], o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.attach, "attach", "a", false, "Attach STDOUT/STDERR and forward signals")
	f.BoolVarP(&o.interactive, "interactive", "i", false, "Attach container's STDIN")
	f.StringVar(&o.detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	return cmd
}

// startAttached is start -a/-i: attach first, start, relay the streams, return the exit code.
func (c *CLI) startAttached(id string, o startOptions) error {
	api, _ := c.client()
	info, err := api.ContainerInspect(ctx(), id, client.ContainerInspectOptions{})
	if err != nil {
		return err
	}
	cfg := info.Container.Config
	withStdin := o.interactive && cfg.OpenStdin
	res, err := api.ContainerAttach(ctx(), id, client.ContainerAttachOptions{
		Stream: true, Stdin: withStdin, Stdout: true, Stderr: true, DetachKeys: o.detachKeys,
	})
	if err != nil {
		return err
	}
	defer res.Close()
	wait := api.ContainerWait(ctx(), id, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	if _, err := api.ContainerStart(ctx(), id, client.ContainerStartOptions{}); err != nil {
		return statusError{code: startExitCode(err), msg: err.Error()}
	}
	s := streams{out: c.Out, err: c.Err, tty: cfg.Tty, detachKeys: o.detachKeys}
	if withStdin {
		s.in = c.In
	}
	if cfg.Tty {
		defer c.watchSize(func(h, w uint) error {
			_, err := api.ContainerResize(ctx(), id, client.ContainerResizeOptions{Height: h, Width: w})
			return err
		})()
	} else {
		defer c.proxySignals(func(sig string) {
			api.ContainerKill(ctx(), id, client.ContainerKillOptions{Signal: sig})
		})()
	}
	if err := c.pump(res.HijackedResponse, s); err == errDetached {
		return nil
	} else if err != nil && err != io.EOF {
		return err
	}
	return waitExit(wait)
}
