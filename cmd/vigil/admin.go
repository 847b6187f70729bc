package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/vigil-oss/vigil/internal/vigil"
)

func newAdminCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Offline administration, straight on the database (no server needed)",
	}
	token := &cobra.Command{Use: "token", Short: "Manage API tokens"}
	token.AddCommand(newAdminTokenCreateCmd(e))
	cmd.AddCommand(token)
	cmd.AddCommand(newAdminUserCmd(e))
	secrets := &cobra.Command{Use: "secrets", Short: "Manage the encryption of secrets at rest"}
	secrets.AddCommand(newAdminSecretsRotateCmd(e))
	cmd.AddCommand(secrets)
	return cmd
}

// newAdminSecretsRotateCmd re-encrypts every stored secret under the
// current (first) key. The steps of a rotation: put a new key first in the
// key file (or VIGIL_SECRET_KEY) and keep the old ones after it, restart
// the servers (old values still open), run this, then drop the old keys.
func newAdminSecretsRotateCmd(e *env) *cobra.Command {
	var db dbFlags
	cmd := &cobra.Command{
		Use:   "rotate",
		Short: "Re-encrypt every secret in the database under the current key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := db.open(cmd, e)
			if err != nil {
				return err
			}
			defer s.Close()
			reports, err := s.ResealSecrets(cmd.Context(), true)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%-32s %8s %12s\n", "COLUMN", "SECRETS", "RE-ENCRYPTED")
			for _, r := range reports {
				fmt.Fprintf(e.stdout, "%-32s %8d %12d\n", r.Column, r.Total, r.Sealed)
			}
			k, _ := db.keys(e, nil)
			fmt.Fprintf(e.stdout, "every secret is now under key %s; older keys may be removed\n", k.Current())
			return nil
		},
	}
	db.register(cmd, e)
	return cmd
}

func newAdminTokenCreateCmd(e *env) *cobra.Command {
	var (
		db   dbFlags
		name string
	)
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Mint an admin API token and print it once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := db.open(cmd, e)
			if err != nil {
				return err
			}
			defer s.Close()
			secret := vigil.NewSecret(vigil.TokenPrefix)
			if _, err := s.CreateAPIToken(cmd.Context(), name, vigil.RoleAdmin, secret); err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, secret)
			return nil
		},
	}
	db.register(cmd, e)
	cmd.Flags().StringVar(&name, "name", "admin", "a name to tell the token apart")
	return cmd
}
