package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigil-oss/vigil/internal/client"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Environment variables of the client commands.
const (
	envURL            = "VIGIL_URL"
	envToken          = "VIGIL_TOKEN"
	envIntegrationKey = "VIGIL_INTEGRATION_KEY"
	defaultServerURL  = "http://127.0.0.1:8080"
)

// Output formats.
const (
	outputTable = "table"
	outputJSON  = "json"
)

// clientOpts are the connection and output flags every client command has.
// Flags win over the environment, which wins over the defaults; the
// environment is read through e.getenv so tests can set their own.
type clientOpts struct {
	e      *env
	url    string
	token  string
	output string
}

// addClientFlags puts the connection flags on a command group (persistent,
// so every subcommand has them) and makes its errors print as "error: ...".
func addClientFlags(cmd *cobra.Command, e *env) *clientOpts {
	o := &clientOpts{e: e}
	f := cmd.PersistentFlags()
	f.StringVar(&o.url, "url", "", "Vigil server address (env "+envURL+", default "+defaultServerURL+")")
	f.StringVar(&o.token, "token", "", "API token (env "+envToken+"; prefer the environment: flags show in ps)")
	f.StringVarP(&o.output, "output", "o", outputTable,
		"output format: table, or json (a single object as a JSON object, a list as a JSON array of objects)")
	cmd.SetErrPrefix("error:")
	return o
}

func (o *clientOpts) serverURL() (string, error) {
	s := o.url
	if s == "" {
		s = o.e.getenv(envURL)
	}
	if s == "" {
		s = defaultServerURL
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("invalid server address %q: want an http or https URL like %s (--url or %s)", s, defaultServerURL, envURL)
	}
	return strings.TrimRight(s, "/"), nil
}

// format checks the chosen output format and normalizes o.output to it.
func (o *clientOpts) format() (string, error) {
	switch f := strings.ToLower(strings.TrimSpace(o.output)); f {
	case outputTable, outputJSON:
		o.output = f
		return f, nil
	}
	return "", fmt.Errorf("invalid output format %q: use table or json", o.output)
}

// client returns an API client authenticated with the API token.
func (o *clientOpts) client() (*client.Client, error) {
	if _, err := o.format(); err != nil {
		return nil, err
	}
	base, err := o.serverURL()
	if err != nil {
		return nil, err
	}
	token := o.token
	if token == "" {
		token = o.e.getenv(envToken)
	}
	if token == "" {
		return nil, errors.New("no API token: set " + envToken + " or pass --token (an admin mints one with `vigil admin token create`)")
	}
	return client.New(base, token, client.WithSource(vigil.SourceCLI), client.WithUserAgent("vigil-cli")), nil
}

// ingestClient returns a client without an API token, for the events
// endpoint which authenticates with an integration key.
func (o *clientOpts) ingestClient() (*client.Client, error) {
	if _, err := o.format(); err != nil {
		return nil, err
	}
	base, err := o.serverURL()
	if err != nil {
		return nil, err
	}
	return client.New(base, "", client.WithSource(vigil.SourceCLI), client.WithUserAgent("vigil-cli")), nil
}

// cliError is an error as the user reads it; it keeps the cause for
// errors.As.
type cliError struct {
	msg string
	err error
}

func (e *cliError) Error() string { return e.msg }
func (e *cliError) Unwrap() error { return e.err }

// userError words err for the terminal: an API error as
// "message (field: x)", a network failure with a hint about --url.
func userError(err error) error {
	if err == nil {
		return nil
	}
	var ve *vigil.Error
	if errors.As(err, &ve) {
		msg := ve.Message
		if msg == "" {
			msg = ve.Code
		}
		if ve.Field != "" {
			msg += " (field: " + ve.Field + ")"
		}
		return &cliError{msg: msg, err: err}
	}
	var ne *net.OpError
	if errors.As(err, &ne) && ne.Op == "dial" {
		return &cliError{msg: err.Error() + " (is Vigil running there? set --url or " + envURL + ")", err: err}
	}
	return err
}

// runE adapts a command body so its errors read well.
func runE(f func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		return userError(f(cmd, args))
	}
}

// parseID reads an ID given as "42" or "#42".
func parseID(what, s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(s), "#"), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("invalid %s ID %q: want a number like 42 or #42", what, s)
	}
	return n, nil
}

// resolveService turns a --service value, an ID or a service name, into
// the service's ID.
func resolveService(ctx context.Context, c *client.Client, ref string) (int64, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return 0, errors.New("--service is required (a service ID or name)")
	}
	if id, err := parseID("service", ref); err == nil {
		return id, nil
	}
	items, _, err := c.ListServices(ctx, client.ServiceQuery{Name: ref, Limit: vigil.MaxPageSize})
	if err != nil {
		return 0, err
	}
	for _, s := range items {
		if s.Name == ref {
			return s.ID, nil
		}
	}
	return 0, fmt.Errorf("no service named %q (see `vigil service list`)", ref)
}

// argsN checks the number of positional arguments with a message that says
// what is missing.
func argsN(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return fmt.Errorf("%s expects %s (got %d arguments); see --help", cmd.CommandPath(), what, len(args))
		}
		return nil
	}
}
