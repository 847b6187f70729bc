package storetest

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Opening a store on a new SQLite database applies every migration, which
// under the race detector costs more than most tests themselves. Tests
// that only need a fresh migrated database start from a copy of one made
// once per test process instead; the rows they then write are their own.

var sqliteTemplate struct {
	once  sync.Once
	files map[string][]byte
	err   error
}

// SQLiteDir returns a new data directory, removed when t ends, holding a
// copy of a migrated database without rows: the one open makes when it
// opens a store on an empty directory (store.Open applies the migrations),
// closed again. open runs once per test process; every later call copies
// what the first one made, so every caller must pass an equivalent open.
func SQLiteDir(t testing.TB, open func(dir string) (io.Closer, error)) string {
	t.Helper()
	tmpl := &sqliteTemplate
	tmpl.once.Do(func() {
		dir, err := os.MkdirTemp("", "vigil-sqlite-template-")
		if err != nil {
			tmpl.err = err
			return
		}
		defer os.RemoveAll(dir)
		db, err := open(dir)
		if err != nil {
			tmpl.err = err
			return
		}
		if tmpl.err = db.Close(); tmpl.err == nil {
			tmpl.files, tmpl.err = readSQLiteDir(dir)
		}
	})
	if tmpl.err != nil {
		t.Fatalf("build the SQLite template database: %v", tmpl.err)
	}
	return writeSQLiteDir(t, tmpl.files)
}

// CopySQLiteDir returns a new data directory, removed when t ends, holding
// a copy of the SQLite database in dir. Whoever wrote to it must have
// closed it, so that its files are whole.
func CopySQLiteDir(t testing.TB, dir string) string {
	t.Helper()
	files, err := readSQLiteDir(dir)
	if err != nil {
		t.Fatalf("copy SQLite database: %v", err)
	}
	return writeSQLiteDir(t, files)
}

// readSQLiteDir reads the files of a closed SQLite data directory, the
// write-ahead log with the database, but not the shared-memory index,
// which SQLite rebuilds from the log.
func readSQLiteDir(dir string) (map[string][]byte, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for _, e := range entries {
		if e.IsDir() || strings.HasSuffix(e.Name(), "-shm") {
			continue
		}
		if files[e.Name()], err = os.ReadFile(filepath.Join(dir, e.Name())); err != nil {
			return nil, err
		}
	}
	return files, nil
}

func writeSQLiteDir(t testing.TB, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
