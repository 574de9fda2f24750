// Package cli holds the wharf commands: thin clients of the Engine API.
package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// Main runs the CLI with args (without the program name) and returns the exit code.
func Main(args []string) int {
	cli := &CLI{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}
	return cli.Run(args)
}

// CLI carries the global options and streams shared by all commands.
type CLI struct {
	In       io.Reader
	Out, Err io.Writer
	Host     string

	api apiClient
}

// Run executes one command line and maps its error to Docker's exit codes.
func (c *CLI) Run(args []string) int {
	root := c.rootCommand()
	root.SetArgs(args)
	root.SetIn(c.In)
	root.SetOut(c.Out)
	root.SetErr(c.Err)
	cmd, err := root.ExecuteC()
	if c.api != nil {
		c.api.Close()
		c.api = nil
	}
	if err == nil {
		return 0
	}
	return c.report(cmd, err)
}

func (c *CLI) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "wharf [OPTIONS] COMMAND",
		Short:         "A Docker-compatible container engine",
		SilenceUsage:  true,
		SilenceErrors: true,
		// Unknown flags and bad values are usage errors, reported like docker's.
		TraverseChildren: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return statusError{code: 1, msg: fmt.Sprintf("wharf: '%s' is not a wharf command.\nSee 'wharf --help'", args[0])}
			}
			return cmd.Help()
		},
	}
	// Global options go before the command, as in docker (they are the
	// root's own flags, found by TraverseChildren): commands may reuse
	// their letters, like `history -H` (--human).
	root.Flags().StringVarP(&c.Host, "host", "H", "", "Daemon socket to connect to")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError{cmd: cmd, err: err}
	})
	root.AddCommand(
		c.runCommand(), c.createCommand(), c.startCommand(), c.stopCommand(),
		c.killCommand(), c.restartCommand(), c.rmCommand(), c.psCommand(),
		c.logsCommand(), c.inspectCommand(), c.waitCommand(), c.attachCommand(),
		c.execCommand(), c.topCommand(), c.renameCommand(), c.imagesCommand(),
		c.rmiCommand(), c.tagCommand(), c.importCommand(), c.versionCommand(),
		c.infoCommand(), c.pullCommand(), c.pushCommand(), c.loginCommand(),
		c.logoutCommand(), c.searchCommand(), c.saveCommand(), c.loadCommand(),
		c.historyCommand(), c.commitCommand(), c.diffCommand(), c.exportCommand(),
		c.imageCommand(), c.pauseCommand(), c.unpauseCommand(), c.networkCommand(), c.portCommand(),
	)
	for _, cmd := range root.Commands() {
		cmd.DisableFlagsInUseLine = true
	}
	return root
}

// exactArgs and minArgs phrase argument-count errors the way docker does.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{cmd: cmd, err: fmt.Errorf("%q requires exactly %d %s.", cmd.CommandPath(), n, plural(n))}
		}
		return nil
	}
}

func minArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return usageError{cmd: cmd, err: fmt.Errorf("%q requires at least %d %s.", cmd.CommandPath(), n, plural(n))}
		}
		return nil
	}
}

func plural(n int) string {
	if n == 1 {
		return "argument"
	}
	return "arguments"
}

func (c *CLI) printf(format string, a ...any) { fmt.Fprintf(c.Out, format, a...) }

// rangeArgs is docker's RequiresRangeArgs.
func rangeArgs(lo, hi int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < lo || len(args) > hi {
			return usageError{cmd: cmd, err: fmt.Errorf("%q requires at least %d and at most %d %s.", cmd.CommandPath(), lo, hi, plural(hi))}
		}
		return nil
	}
}
