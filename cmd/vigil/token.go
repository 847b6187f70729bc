package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-oss/vigil/internal/client"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// newTokenCmd is `vigil token`: personal and service API tokens.
func newTokenCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "token",
		Aliases: []string{"tokens"},
		Short:   "Manage API tokens: your own, or every token for an admin",
		Long: `Manage API tokens. A personal token acts for its owner and may do what both
its scopes and the owner's current role allow; a service token (admins,
--service) has no owner and only its scopes. Scopes: read, respond, manage,
admin, ingest. The secret is shown once, at creation; a revoked token is
refused from the next request on every replica.
Connection: --url / VIGIL_URL and --token / VIGIL_TOKEN.`,
	}
	o := addClientFlags(cmd, e)
	cmd.AddCommand(newTokenCreateCmd(e, o), newTokenListCmd(e, o), newTokenRevokeCmd(e, o))
	return cmd
}

func newTokenCreateCmd(e *env, o *clientOpts) *cobra.Command {
	var (
		in            client.TokenCreate
		expires, user string
	)
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create an API token and print its secret (shown only this once)",
		Example: `  vigil token create --name laptop --scope read --scope respond --expires 90d
  vigil token create --name prometheus --service --scope ingest
  vigil token create --name ana-ci --user ana@example.com --scope read`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(in.Name) == "" {
				return fmt.Errorf("--name is required")
			}
			if len(in.Scopes) == 0 {
				return fmt.Errorf("--scope is required (read, respond, manage, admin, ingest; repeatable)")
			}
			if expires != "" {
				t, err := parseExpiry(expires, time.Now())
				if err != nil {
					return err
				}
				in.ExpiresAt = &t
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			if user != "" {
				if in.UserID, err = findUserID(cmd.Context(), c, user); err != nil {
					return err
				}
			}
			t, err := c.CreateToken(cmd.Context(), in)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, t)
			}
			fmt.Fprintf(e.stdout, "Created token %d (%s, scopes %s). Its secret is shown only now:\n\n    %s\n\n",
				t.ID, clean(t.Name), strings.Join(t.Scopes, ", "), t.Secret)
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&in.Name, "name", "", "what the token is for; required")
	f.StringSliceVar(&in.Scopes, "scope", nil, "a scope: read, respond, manage, admin or ingest; repeatable or comma-separated")
	f.StringVar(&expires, "expires", "", "when it stops working: a duration from now (90d, 12h) or an RFC 3339 time; default never")
	f.StringVar(&user, "user", "", "the owner (user ID, e-mail or name); default you; admins only for others")
	f.BoolVar(&in.Service, "service", false, "a service token with no owner (admins)")
	return cmd
}

// parseExpiry reads --expires: a duration ahead ("90d", "12h") or a time.
func parseExpiry(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	d, err := parseAgo(s)
	if err != nil || d <= 0 {
		return time.Time{}, fmt.Errorf("invalid --expires %q: use a duration like 90d or 12h, or a time like 2026-01-02T15:04:05Z", s)
	}
	return now.Add(d), nil
}

func newTokenListCmd(e *env, o *clientOpts) *cobra.Command {
	var user string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List API tokens (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			var uid int64
			if user != "" {
				if uid, err = findUserID(cmd.Context(), c, user); err != nil {
					return err
				}
			}
			items, err := c.ListTokens(cmd.Context(), uid)
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, items)
			}
			if len(items) == 0 {
				fmt.Fprintln(e.stderr, "No tokens. Create one with `vigil token create --name NAME --scope read`.")
				return nil
			}
			now := time.Now()
			t := newTable(e.stdout, "ID", "NAME", "OWNER", "SCOPES", "PREFIX", "EXPIRES", "LAST USED", "FROM", "STATE")
			for _, tk := range items {
				owner := "service"
				if tk.UserID != 0 {
					owner = "user " + strconv.FormatInt(tk.UserID, 10)
				}
				t.row(strconv.FormatInt(tk.ID, 10), truncate(tk.Name, 40), owner, strings.Join(tk.Scopes, ","), tk.Prefix,
					optTime(tk.ExpiresAt), agoPtr(tk.LastUsedAt, now), clean(tk.LastUsedAddress), tokenState(tk, now))
			}
			return t.flush()
		}),
	}
	cmd.Flags().StringVar(&user, "user", "", "only this user's tokens (admins)")
	return cmd
}

func optTime(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04")
}

func agoPtr(t *time.Time, now time.Time) string {
	if t == nil {
		return "never"
	}
	return ago(*t, now)
}

func tokenState(t *vigil.APIToken, now time.Time) string {
	switch {
	case t.RevokedAt != nil:
		return "revoked"
	case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
		return "expired"
	}
	return "active"
}

func newTokenRevokeCmd(e *env, o *clientOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an API token; every replica refuses it from the next request",
		Args:  argsN(1, "one token ID"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			id, err := parseID("token", args[0])
			if err != nil {
				return err
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			if err := c.RevokeToken(cmd.Context(), id); err != nil {
				return err
			}
			if o.output == outputJSON {
				return writeJSON(e.stdout, map[string]any{"id": id, "revoked": true})
			}
			fmt.Fprintf(e.stdout, "Revoked token %d.\n", id)
			return nil
		}),
	}
}
