package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/vigil-oss/vigil/internal/store"
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
			s, err := store.Open(cmd.Context(), store.Config{URL: db.databaseURL, DataDir: db.dataDir})
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
