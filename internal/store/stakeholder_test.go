package store

import (
	"testing"

	"github.com/vigil-oss/vigil/internal/storetest"
	"github.com/vigil-oss/vigil/internal/vigil"
)

func TestStakeholdersSQLite(t *testing.T) {
	storetest.RunStakeholders(t, func(t *testing.T, clock vigil.Clock) vigil.Store { return openSQLite(t, clock) })
}

func TestStakeholdersPostgres(t *testing.T) {
	storetest.NewPostgresURL(t) // skips without VIGIL_TEST_DATABASE_URL
	storetest.RunStakeholders(t, func(t *testing.T, clock vigil.Clock) vigil.Store {
		return openPostgres(t, storetest.NewPostgresURL(t), clock)
	})
}
