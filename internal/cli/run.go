package cli

import (
	"fmt"
	"io"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type runOptions struct {
	containerOptions
	detach, sigProxy bool
}

func (c *CLI) runCommand() *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create and run a new container from an image",
		Args:  minArgs(1),
		RunE:  func(cmd *cobra.Command, args []string) error { return c.run(&o, args) },
	}
	f := cmd.Flags()
	f.SetInterspersed(false)
	addContainerFlags(f, &o.containerOptions)
	f.BoolVarP(&o.detach, "detach", "d", false, "Run container in background and print container ID")
	f.BoolVar(&o.sigProxy, "sig-proxy", true, "Proxy received signals to the process")
	return cmd
}

func (c *CLI) run(o *runOptions, args []string) error {
	cfg, hc, err := o.containerConfig(args[0], args[1:], o.detach)
	if err != nil {
		return runError{err: err}
	}
	if cfg.Tty && cfg.AttachStdin && !isTerminal(c.In) {
		return errNotTTY
	}
	id, err := c.createContainer(&o.containerOptions, cfg, hc)
	if err != nil {
		return runError{err: err}
	}
	api, _ := c.client()
	if o.detach {
		if _, err := api.ContainerStart(ctx(), id, client.ContainerStartOptions{}); err != nil {
			return runError{err: err, code: startExitCode(err)}
		}
		fmt.Fprintln(c.Out, id)
		return nil
	}
	s := streams{out: c.Out, err: c.Err, tty: cfg.Tty, detachKeys: o.detachKeys}
	if !cfg.AttachStdout {
		s.out = io.Discard
	}
	if !cfg.AttachStderr {
		s.err = io.Discard
	}
	if cfg.AttachStdin {
		s.in = c.In
	}
	var attach *client.ContainerAttachResult
	if cfg.AttachStdin || cfg.AttachStdout || cfg.AttachStderr {
		res, err := api.ContainerAttach(ctx(), id, client.ContainerAttachOptions{
			Stream: true, Stdin: cfg.AttachStdin, Stdout: cfg.AttachStdout, Stderr: cfg.AttachStderr,
			DetachKeys: o.detachKeys,
		})
		if err != nil {
			return runError{err: err}
		}
		defer res.Close()
		attach = &res
	}
	// Wait is registered before start so that a fast exit is not missed.
	cond := container.WaitConditionNextExit
	if hc.AutoRemove {
		cond = container.WaitConditionRemoved
	}
	wait := api.ContainerWait(ctx(), id, client.ContainerWaitOptions{Condition: cond})
	if _, err := api.ContainerStart(ctx(), id, client.ContainerStartOptions{}); err != nil {
		return runError{err: err, code: startExitCode(err)}
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
	if attach != nil {
		if err := c.pump(attach.HijackedResponse, s); err == errDetached {
			return nil
		} else if err != nil {
			return err
		}
	}
	return waitExit(wait)
}

// waitExit turns the daemon's wait answer into the command's exit status.
func waitExit(wait client.ContainerWaitResult) error {
	select {
	case res := <-wait.Result:
		if res.Error != nil && res.Error.Message != "" {
			return statusError{code: 125, msg: res.Error.Message}
		}
		if res.StatusCode != 0 {
			return statusError{code: int(res.StatusCode)}
		}
		return nil
	case err := <-wait.Error:
		return statusError{code: 125, msg: err.Error()}
	}
}
