package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/moby/moby/client"
	"github.com/moby/term"
	"github.com/spf13/cobra"
)

type loginOptions struct {
	user, password string
	passwordStdin  bool
}

func (c *CLI) loginCommand() *cobra.Command {
	var o loginOptions
	cmd := &cobra.Command{
		Use:   "login [OPTIONS] [SERVER]",
		Short: "Log in to a registry",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			server := indexServer
			if len(args) == 1 {
				server = args[0]
			}
			return c.login(server, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.user, "username", "u", "", "Username")
	f.StringVarP(&o.password, "password", "p", "", "Password or Personal Access Token (PAT)")
	f.BoolVar(&o.passwordStdin, "password-stdin", false, "Take the Password or Personal Access Token (PAT) from stdin")
	return cmd
}

func (c *CLI) login(server string, o loginOptions) error {
	if o.password != "" {
		fmt.Fprintln(c.Err, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.")
		if o.passwordStdin {
			return errors.New("--password and --password-stdin are mutually exclusive")
		}
	}
	in := bufio.NewReader(c.In)
	if o.passwordStdin {
		if o.user == "" {
			return errors.New("must provide --username with --password-stdin")
		}
		b, err := io.ReadAll(in)
		if err != nil {
			return err
		}
		o.password = strings.TrimRight(string(b), "\r\n")
	}
	if o.user == "" {
		fmt.Fprint(c.Out, "Username: ")
		line, _ := in.ReadString('\n')
		o.user = strings.TrimSpace(line)
		if o.user == "" {
			return errors.New("Error: Non-null Username Required")
		}
	}
	if o.password == "" {
		p, err := c.readSecret(in, "Password: ")
		if err != nil {
			return err
		}
		if o.password = p; p == "" {
			return errors.New("Error: Password Required")
		}
	}
	api, err := c.client()
	if err != nil {
		return err
	}
	res, err := api.RegistryLogin(ctx(), client.RegistryLoginOptions{Username: o.user, Password: o.password, ServerAddress: server})
	if err != nil {
		return err
	}
	f, err := readAuthFile(configDir())
	if err != nil {
		return err
	}
	f.set(server, o.user, o.password, res.Auth.IdentityToken)
	if err := f.save(); err != nil {
		return fmt.Errorf("error saving credentials: %w", err)
	}
	status := res.Auth.Status
	if status == "" {
		status = "Login Succeeded"
	}
	fmt.Fprintln(c.Out, status)
	return nil
}

// readSecret prompts and reads a line without echo when stdin is a terminal.
func (c *CLI) readSecret(in *bufio.Reader, prompt string) (string, error) {
	fmt.Fprint(c.Out, prompt)
	if fd, ok := term.GetFdInfo(c.In); ok {
		if state, err := term.SaveState(fd); err == nil {
			if err := term.DisableEcho(fd, state); err == nil {
				defer func() {
					_ = term.RestoreTerminal(fd, state)
					fmt.Fprintln(c.Out)
				}()
			}
		}
	}
	line, err := in.ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func (c *CLI) logoutCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "logout [SERVER]",
		Short: "Log out from a registry",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			server := indexServer
			if len(args) == 1 {
				server = args[0]
			}
			f, err := readAuthFile(configDir())
			if err != nil {
				return err
			}
			key := registryKey(server)
			if !f.remove(server) {
				fmt.Fprintf(c.Out, "Not logged in to %s\n", key)
				return nil
			}
			fmt.Fprintf(c.Out, "Removing login credentials for %s\n", key)
			return f.save()
		},
	}
}
