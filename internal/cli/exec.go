package cli

import (
	"io"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type execOptions struct {
	interactive, tty, detach, privileged bool
	user, workdir, detachKeys            string
	env, envFile                         []string
}

func (c *CLI) execCommand() *cobra.Command {
	var o execOptions
	cmd := &cobra.Command{
		Use:   "exec [OPTIONS] CONTAINER COMMAND [ARG...]",
		Short: "Execute a command in a running container",
		Args:  minArgs(2),
		RunE:  func(cmd *cobra.Command, args []string) error { return c.exec(args[0], args[1:], o) },
	}
	f := cmd.Flags()
	f.SetInterspersed(false)
	f.BoolVarP(&o.interactive, "interactive", "i", false, "Keep STDIN open even if not attached")
	f.BoolVarP(&o.tty, "tty", "t", false, "Allocate a pseudo-TTY")
	f.BoolVarP(&o.detach, "detach", "d", false, "Detached mode: run command in the background")
	f.BoolVar(&o.privileged, "privileged", false, "Give extended privileges to the command")
	f.StringVarP(&o.user, "user", "u", "", "Username or UID (format: \"<name|uid>[:<group|gid>]\")")
	f.StringVarP(&o.workdir, "workdir", "w", "", "Working directory inside the container")
	f.StringVar(&o.detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	f.StringArrayVarP(&o.env, "env", "e", nil, "Set environment variables")
	f.StringArrayVar(&o.envFile, "env-file", nil, "Read in a file of environment variables")
	return cmd
}

func (c *CLI) exec(id string, cmdline []string, o execOptions) error {
	if o.tty && o.interactive && !o.detach && !isTerminal(c.In) {
		return errNotTTY
	}
	env, err := readEnv(o.envFile, o.env)
	if err != nil {
		return err
	}
	api, err := c.client()
	if err != nil {
		return err
	}
	created, err := api.ExecCreate(ctx(), id, client.ExecCreateOptions{
		User: o.user, Privileged: o.privileged, TTY: o.tty, Env: env, WorkingDir: o.workdir,
		Cmd: cmdline, DetachKeys: o.detachKeys, AttachStdin: o.interactive && !o.detach,
		AttachStdout: !o.detach, AttachStderr: !o.detach,
	})
	if err != nil {
		return err
	}
	if o.detach {
		_, err := api.ExecStart(ctx(), created.ID, client.ExecStartOptions{Detach: true, TTY: o.tty})
		return err
	}
	res, err := api.ExecAttach(ctx(), created.ID, client.ExecAttachOptions{TTY: o.tty, ConsoleSize: c.consoleSize(o.tty)})
	if err != nil {
		return err
	}
	defer res.Close()
	s := streams{out: c.Out, err: c.Err, tty: o.tty, detachKeys: o.detachKeys}
	if o.interactive {
		s.in = c.In
	}
	if o.tty {
		defer c.watchSize(func(h, w uint) error {
			_, err := api.ExecResize(ctx(), created.ID, client.ExecResizeOptions{Height: h, Width: w})
			return err
		})()
	}
	if err := c.pump(res.HijackedResponse, s); err == errDetached {
		return nil
	} else if err != nil && err != io.EOF {
		return err
	}
	st, err := api.ExecInspect(ctx(), created.ID, client.ExecInspectOptions{})
	if err != nil {
		return err
	}
	if st.ExitCode != 0 {
		return statusError{code: st.ExitCode}
	}
	return nil
}

// consoleSize is the local terminal's size, sent with a tty exec so it starts right.
func (c *CLI) consoleSize(tty bool) client.ConsoleSize {
	if !tty {
		return client.ConsoleSize{}
	}
	var cs client.ConsoleSize
	if h, w, ok := termSize(c.Out); ok {
		cs = client.ConsoleSize{Height: h, Width: w}
	}
	return cs
}
