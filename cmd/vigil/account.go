package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/client"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Sign-in administration: online (vigil user password-reset, sign-out,
// sessions) and offline on the database (vigil admin user create).

// userActionCmd is "USE USER": it finds the user (ID, e-mail or name) and
// runs act with the client and the user's ID.
func userActionCmd(o *clientOpts, use, short string, act func(ctx context.Context, c *client.Client, id int64) error) *cobra.Command {
	return userArgsCmd(o, use, short, nil, func(ctx context.Context, c *client.Client, id int64, _ []string) error {
		return act(ctx, c, id)
	})
}

// userArgsCmd is "USE USER ARG...": userActionCmd with more arguments,
// named by more, handed to act as given.
func userArgsCmd(o *clientOpts, use, short string, more []string,
	act func(ctx context.Context, c *client.Client, id int64, args []string) error) *cobra.Command {
	what := "one user"
	for _, m := range more {
		what += " and " + m
	}
	return &cobra.Command{
		Use:   strings.Join(append([]string{use, "USER"}, more...), " "),
		Short: short,
		Args:  argsN(1+len(more), what),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			id, err := findUserID(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			return act(cmd.Context(), c, id, args[1:])
		}),
	}
}

func newUserPasswordResetCmd(e *env, o *clientOpts) *cobra.Command {
	return userActionCmd(o, "password-reset", "Print a one-time link (valid 24 hours) with which a user sets a new password",
		func(ctx context.Context, c *client.Client, id int64) error {
			link, err := c.CreatePasswordReset(ctx, id)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, link)
			}
			fmt.Fprintf(e.stdout, "%s\nGive this link to the user; it works once, until %s.\n", link.URL, link.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC"))
			return nil
		})
}

func newUserSignOutCmd(e *env, o *clientOpts) *cobra.Command {
	return userActionCmd(o, "sign-out", "Sign a user out everywhere: end all their web sessions",
		func(ctx context.Context, c *client.Client, id int64) error {
			n, err := c.DeleteSessions(ctx, id)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, map[string]any{"user_id": id, "ended": n})
			}
			fmt.Fprintf(e.stdout, "Ended %d session(s) of user %d.\n", n, id)
			return nil
		})
}

func newUserSessionsCmd(e *env, o *clientOpts) *cobra.Command {
	return userActionCmd(o, "sessions", "List a user's web sessions",
		func(ctx context.Context, c *client.Client, id int64) error {
			list, err := c.ListSessions(ctx, id)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, list)
			}
			if len(list) == 0 {
				fmt.Fprintln(e.stderr, "No sessions.")
				return nil
			}
			t := newTable(e.stdout, "ID", "SINCE", "LAST SEEN", "ADDRESS", "BROWSER")
			for _, s := range list {
				t.row(fmt.Sprint(s.ID), s.CreatedAt.UTC().Format("2006-01-02 15:04"), s.LastSeenAt.UTC().Format("2006-01-02 15:04"), s.Address, s.UserAgent)
			}
			return t.flush()
		})
}

func newUserIdentitiesCmd(e *env, o *clientOpts) *cobra.Command {
	return userActionCmd(o, "identities", "List a user's single sign-on identities (yours, or anyone's as an admin)",
		func(ctx context.Context, c *client.Client, id int64) error {
			list, err := c.ListIdentities(ctx, id)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, list)
			}
			if len(list) == 0 {
				fmt.Fprintln(e.stderr, "No single sign-on identities.")
				return nil
			}
			t := newTable(e.stdout, "ID", "ISSUER", "SUBJECT", "E-MAIL", "LINKED", "LAST SIGN-IN")
			for _, i := range list {
				t.row(fmt.Sprint(i.ID), i.Issuer, i.Subject, i.Email, i.CreatedAt.UTC().Format("2006-01-02 15:04"),
					i.LastSignInAt.UTC().Format("2006-01-02 15:04"))
			}
			return t.flush()
		})
}

func newUserUnlinkCmd(e *env, o *clientOpts) *cobra.Command {
	cmd := userArgsCmd(o, "unlink", "Unlink a single sign-on identity from a user: its next sign-in is treated as a first one",
		[]string{"IDENTITY-ID"}, func(ctx context.Context, c *client.Client, id int64, args []string) error {
			identity, err := parseID("identity", args[0])
			if err != nil {
				return err
			}
			if err := c.UnlinkIdentity(ctx, id, identity); err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, map[string]any{"user_id": id, "identity_id": identity, "unlinked": true})
			}
			fmt.Fprintf(e.stdout, "Unlinked identity %d from user %d.\n", identity, id)
			return nil
		})
	cmd.Long = `Unlink a single sign-on identity (see vigil user identities) from a user.
The provider account no longer signs in as the user by that link; its next
sign-in goes through the usual rules, as a first one: it is linked again to
the account with the same verified e-mail, if any. A user without a password
cannot unlink their last identity themself; an administrator can.`
	return cmd
}

func newAdminUserCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Manage people who sign in to the web UI"}
	cmd.AddCommand(newAdminUserCreateCmd(e), newAdminUserResetCmd(e))
	return cmd
}

// newAdminUserResetCmd is the way back in when no admin can sign in: a
// reset link made straight on the database.
func newAdminUserResetCmd(e *env) *cobra.Command {
	var (
		db        dbFlags
		login     string
		publicURL string
	)
	cmd := &cobra.Command{
		Use:   "password-reset",
		Short: "Print a one-time link to set a user's password, straight on the database",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := db.open(cmd, e)
			if err != nil {
				return err
			}
			defer s.Close()
			l, err := s.FindUserLogin(cmd.Context(), login)
			if err != nil {
				return fmt.Errorf("--email: %s", vigil.ErrorMessage(err))
			}
			reset, err := s.CreatePasswordReset(cmd.Context(), l.User.ID, auth.ResetLinkTTL)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s/reset/%s\nOpen once, before %s, to set the password of %s.\n", strings.TrimRight(publicURL, "/"), reset.Secret,
				reset.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC"), l.User.Email)
			return nil
		},
	}
	db.register(cmd, e)
	cmd.Flags().StringVar(&login, "email", "", "the user's e-mail address (or name)")
	cmd.Flags().StringVar(&publicURL, "public-url", envOr(e, "VIGIL_PUBLIC_URL", "http://127.0.0.1:8080"), "the server's public URL, for the link (env VIGIL_PUBLIC_URL)")
	return cmd
}

func newAdminUserCreateCmd(e *env) *cobra.Command {
	var (
		db        dbFlags
		email     string
		name      string
		admin     bool
		role      string
		stdinPw   bool
		publicURL string
	)
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a user who can sign in, and print a one-time link to set the password",
		Long: `Create a user straight on the database (no server needed), for example the
first administrator. Without --password-stdin it prints a one-time link
(valid 24 hours) with which the user chooses a password; with it, the
password is read from the first line of standard input.
An administrator made here closes the web UI's first-run setup.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if admin {
				role = vigil.RoleAdmin
			}
			u := &vigil.User{Name: strings.TrimSpace(name), Email: strings.TrimSpace(email), Role: role}
			if err := u.Validate(); err != nil {
				return flagError(err)
			}
			var pw string
			if stdinPw {
				var err error
				if pw, err = readPassword(e.stdin); err != nil {
					return err
				}
				if err := auth.CheckPasswordPolicy(pw); err != nil {
					return fmt.Errorf("password: %w", err)
				}
			}
			s, err := db.open(cmd, e)
			if err != nil {
				return err
			}
			defer s.Close()
			ctx := cmd.Context()
			if err := s.CreateUser(ctx, u); err != nil {
				return flagError(err)
			}
			if role != vigil.RoleResponder {
				if err := s.SetUserRole(ctx, u.ID, role); err != nil {
					return err
				}
			}
			if role == vigil.RoleAdmin {
				if err := s.CloseSetup(ctx); err != nil {
					return err
				}
			}
			if stdinPw {
				a := &auth.Authenticator{Tokens: s, Accounts: s}
				if err := a.SetPassword(ctx, u.ID, pw); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "Created %s (user %d, %s) with the password given.\n", u.Email, u.ID, role)
				return nil
			}
			reset, err := s.CreatePasswordReset(ctx, u.ID, auth.ResetLinkTTL)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Created %s (user %d, %s). To choose a password, open once, before %s:\n%s/reset/%s\n",
				u.Email, u.ID, role, reset.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC"), strings.TrimRight(publicURL, "/"), reset.Secret)
			return nil
		},
	}
	db.register(cmd, e)
	cmd.Flags().StringVar(&email, "email", "", "e-mail address, used to sign in (required)")
	cmd.Flags().StringVar(&name, "name", "", "name (required)")
	cmd.Flags().BoolVar(&admin, "admin", false, "make the user an administrator (same as --role admin)")
	cmd.Flags().StringVar(&role, "role", vigil.RoleResponder, "global role: "+strings.Join(vigil.UserRoles, ", "))
	cmd.Flags().BoolVar(&stdinPw, "password-stdin", false, "read the password from standard input instead of printing a link")
	cmd.Flags().StringVar(&publicURL, "public-url", envOr(e, "VIGIL_PUBLIC_URL", "http://127.0.0.1:8080"), "the server's public URL, for the link (env VIGIL_PUBLIC_URL)")
	return cmd
}

// flagError names the flag of a field error (--email for "email").
func flagError(err error) error {
	if f := vigil.ErrorField(err); f != "" {
		return fmt.Errorf("--%s: %s", f, vigil.ErrorMessage(err))
	}
	return err
}

// readPassword reads the first line of r, without its line ending.
func readPassword(r io.Reader) (string, error) {
	if r == nil {
		return "", errors.New("--password-stdin: nothing on standard input")
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("--password-stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("--password-stdin: the first line of standard input is empty")
	}
	return line, nil
}
