package cli

import (
	"errors"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type attachOptions struct {
	noStdin, sigProxy bool
	detachKeys        string
}

func (c *CLI) attachCommand() *cobra.Command {
	var o attachOptions
	cmd := &cobra.Command{
		Use:   "attach [OPTIONS] CONTAINER",
		Short: "Attach local standard input, output, and error streams to a running container",
		Args:  exactArgs(1),
		RunE:  func(cmd *cobra.Command, args []string) error { return c.attach(args[0], o) },
	}
	f := cmd.Flags()
	f.BoolVar(&o.noStdin, "no-stdin", false, "Do not attach STDIN")
	f.BoolVar(&o.sigProxy, "sig-proxy", true, "Proxy all received signals to the process")
	f.StringVar(&o.detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	return cmd
}

func (c *CLI) attach(id string, o attachOptions) error {
	api, err := c.client()
	if err != nil {
		return err
	}
	info, err := api.ContainerInspect(ctx(), id, client.ContainerInspectOptions{})
	if err != nil {
		return err
	}
	st := info.Container.State
	if st == nil || !st.Running {
		return errors.New("You cannot attach to a stopped container, start it first")
	}
	if st.Paused {
		return errors.New("You cannot attach to a paused container, unpause it first")
	}
	cfg := info.Container.Config
	withStdin := cfg.OpenStdin && !o.noStdin
	res, err := api.ContainerAttach(ctx(), id, client.ContainerAttachOptions{
		Stream: true, Stdin: withStdin, Stdout: true, Stderr: true, DetachKeys: o.detachKeys,
	})
	if err != nil {
		return err
	}
	defer res.Close()
	s := streams{out: c.Out, err: c.Err, tty: cfg.Tty, detachKeys: o.detachKeys}
	if withStdin {
		s.in = c.In
	}
	if cfg.Tty {
		defer c.watchSize(func(h, w uint) error {
			_, err := api.ContainerResize(ctx(), id, client.ContainerResizeOptions{Height: h, Width: w})
			return err
		})()
	} else if o.sigProxy {
		defer c.proxySignals(func(sig string) {
			api.ContainerKill(ctx(), id, client.ContainerKillOptions{Signal: sig})
		})()
	}
	if err := c.pump(res.HijackedResponse, s); err == errDetached {
		return nil
	} else if err != nil {
		return err
	}
	return waitExit(api.ContainerWait(ctx(), id, client.ContainerWaitOptions{}))
}
