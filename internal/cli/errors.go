package cli

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// statusError ends a command with a given exit code; msg, when set, goes to stderr.
type statusError struct {
	code int
	msg  string
}

func (e statusError) Error() string { return e.msg }

// usageError is a bad flag or argument: docker prints it with the usage line and exits 125.
type usageError struct {
	cmd *cobra.Command
	err error
}

func (e usageError) Error() string { return e.err.Error() }

// runError marks an error of run/create before the container ran: docker prefixes
// it with the program name, adds a hint and exits 125.
type runError struct {
	err  error
	code int // 0 means 125
}

func (e runError) Error() string { return e.err.Error() }

func (c *CLI) report(cmd *cobra.Command, err error) int {
	var se statusError
	var ue usageError
	var re runError
	switch {
	case errors.As(err, &se):
		if se.msg != "" {
			fmt.Fprintln(c.Err, se.msg)
		}
		return se.code
	case errors.As(err, &ue):
		fmt.Fprintf(c.Err, "%s\n\nUsage:  %s\n\nRun '%s --help' for more information\n",
			ue.err, ue.cmd.UseLine(), ue.cmd.CommandPath())
		return 125
	case client.IsErrConnectionFailed(err):
		fmt.Fprintln(c.Err, c.connectMessage(err))
		return 1
	case errors.As(err, &re):
		if client.IsErrConnectionFailed(re.err) {
			fmt.Fprintln(c.Err, c.connectMessage(re.err))
			return 1
		}
		fmt.Fprintf(c.Err, "wharf: %s\n\nRun '%s --help' for more information\n", re.err, cmd.CommandPath())
		if re.code != 0 {
			return re.code
		}
		return 125
	}
	fmt.Fprintln(c.Err, err)
	return 1
}

// connectMessage says the daemon is not there only when the socket could
// not be reached; a connection lost mid-request (the daemon died) keeps the
// client's own words, as the docker CLI does.
func (c *CLI) connectMessage(err error) string {
	if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EACCES) ||
		!strings.Contains(err.Error(), "error during connect") {
		return connectError(c.host())
	}
	return err.Error()
}

func connectError(host string) string {
	return fmt.Sprintf("Cannot connect to the Wharf daemon at %s. Is the wharf daemon running?", host)
}

// startExitCode maps a daemon's start error to docker's exit code for a command
// that could not be run: 127 not found, 126 not executable, 125 otherwise.
func startExitCode(err error) int {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "executable file not found"), strings.Contains(msg, "no such file or directory"):
		return 127
	case strings.Contains(msg, "permission denied"):
		return 126
	}
	return 125
}

// eachContainer is forEach with the API client at hand, for the commands
// that act on a list of containers (stop, kill, rm, pause, ...).
func (c *CLI) eachContainer(args []string, fn func(api *client.Client, id string) error) error {
	api, err := c.client()
	if err != nil {
		return err
	}
	return c.forEach(args, func(id string) error { return fn(api, id) })
}

// forEach runs fn on every argument, printing each one that succeeded and, at the end,
// every failure, like docker's stop/rm/kill: one bad name does not stop the others.
func (c *CLI) forEach(args []string, fn func(string) error) error {
	var failed []string
	for _, a := range args {
		if err := fn(a); err != nil {
			if client.IsErrConnectionFailed(err) {
				return err
			}
			failed = append(failed, err.Error())
			continue
		}
		fmt.Fprintln(c.Out, a)
	}
	return joinFailures(failed)
}

// joinFailures reports every per-argument failure at once, with exit status 1.
func joinFailures(failed []string) error {
	if len(failed) > 0 {
		return statusError{code: 1, msg: strings.Join(failed, "\n")}
	}
	return nil
}
