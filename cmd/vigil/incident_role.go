package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// newIncidentRoleCmds are `incident roles ID` and `incident role ID ROLE
// USER|--clear`: who runs the response.
func newIncidentRoleCmds(e *env, o *clientOpts) []*cobra.Command {
	list := &cobra.Command{
		Use:     "roles ID",
		Short:   "Show who holds the incident's roles",
		Example: "  vigil incident roles 42",
		Args:    argsN(1, "one incident ID"),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			id, err := parseID("incident", args[0])
			if err != nil {
				return err
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			roles, err := c.ListIncidentRoles(cmd.Context(), id)
			if err != nil {
				return err
			}
			return printRoles(e.stdout, o, id, roles)
		}),
	}
	var clear bool
	assign := &cobra.Command{
		Use:   "role ID ROLE [USER]",
		Short: "Give an incident role to a person, or clear it",
		Long: `Roles: incident_manager, communications_lead, tech_lead, engineering_manager
(hyphens work too). USER is an ID, an e-mail address or an exact name. The
holder becomes a responder of the incident and sees it if it is private.`,
		Example: `  vigil incident role 42 incident_manager ana@example.com
  vigil incident role 42 tech-lead --clear`,
		Args: cobra.RangeArgs(2, 3),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			id, err := parseID("incident", args[0])
			if err != nil {
				return err
			}
			role := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(args[1])), "-", "_")
			if !vigil.ValidIncidentRole(role) {
				return fmt.Errorf("unknown role %q: want one of %s", args[1], strings.Join(vigil.IncidentRoles, ", "))
			}
			if clear == (len(args) == 3) {
				return errors.New("name the person who takes the role, or give --clear")
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			var uid int64
			if !clear {
				if uid, err = findUserID(cmd.Context(), c, args[2]); err != nil {
					return err
				}
			}
			roles, err := c.AssignIncidentRole(cmd.Context(), id, role, uid)
			if err != nil {
				return err
			}
			return printRoles(e.stdout, o, id, roles)
		}),
	}
	assign.Flags().BoolVar(&clear, "clear", false, "clear the role instead of giving it")
	return []*cobra.Command{list, assign}
}

func printRoles(w io.Writer, o *clientOpts, id int64, roles []*vigil.IncidentRoleHolder) error {
	if o.output == outputJSON {
		if roles == nil {
			roles = []*vigil.IncidentRoleHolder{}
		}
		return writeJSON(w, roles)
	}
	if len(roles) == 0 {
		fmt.Fprintf(w, "Nobody holds a role on incident #%d.\n", id)
		return nil
	}
	t := newTable(w, "ROLE", "HOLDER", "SINCE", "BY")
	for _, r := range roles {
		t.row(vigil.IncidentRoleLabel(r.Role), r.UserName, r.AssignedAt.UTC().Format("2006-01-02 15:04 UTC"), r.AssignedBy)
	}
	return t.flush()
}
