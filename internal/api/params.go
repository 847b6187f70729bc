package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// pathID reads a positive integer path value.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, vigil.FieldError(name, "must be a positive integer")
	}
	return id, nil
}

// query reads query parameters, keeping the first error so a handler can
// read them all and check once.
type query struct {
	v   url.Values
	err error
}

// newQuery checks every parameter's text up front (valid UTF-8, no NUL,
// bounded), so no handler can pass a value the database would refuse.
func newQuery(r *http.Request) *query {
	q := &query{v: r.URL.Query()}
	for name, vals := range q.v {
		for _, v := range vals {
			if err := vigil.ValidateText(name, v, maxQueryValueLen); err != nil {
				q.err = err
				return q
			}
		}
	}
	return q
}

// maxQueryValueLen bounds one query parameter's value.
const maxQueryValueLen = 1024

func (q *query) fail(name, format string, args ...any) {
	if q.err == nil {
		q.err = vigil.FieldError(name, format, args...)
	}
}

func (q *query) str(name string) *string {
	if !q.v.Has(name) {
		return nil
	}
	s := q.v.Get(name)
	return &s
}

func (q *query) id(name string) *int64 {
	s := q.v.Get(name)
	if s == "" {
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		q.fail(name, "must be a positive integer")
		return nil
	}
	return &n
}

func (q *query) time(name string) *time.Time {
	s := q.v.Get(name)
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		q.fail(name, "must be an RFC 3339 time like 2026-01-02T15:04:05Z")
		return nil
	}
	t = t.UTC()
	return &t
}

// list returns the values of a parameter given repeated or comma-separated.
func (q *query) list(name string) []string {
	var out []string
	for _, v := range q.v[name] {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func (q *query) severity(name string) *vigil.Severity {
	s := q.v.Get(name)
	if s == "" {
		return nil
	}
	sev := vigil.Severity(strings.ToLower(s))
	if !sev.Valid() {
		q.fail(name, "must be one of critical, error, warning, info")
		return nil
	}
	return &sev
}

// boolean reads true/false (also 1/0); absent is false.
func (q *query) boolean(name string) bool {
	s := q.v.Get(name)
	if s == "" {
		return false
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		q.fail(name, "must be true or false")
		return false
	}
	return b
}

// page returns offset and the effective limit.
func (q *query) page() (offset, limit int) {
	offset = q.nonNegative("offset")
	return offset, vigil.PageLimit(q.nonNegative("limit"))
}

func (q *query) nonNegative(name string) int {
	s := q.v.Get(name)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 1<<30 {
		q.fail(name, "must be a non-negative integer")
		return 0
	}
	return n
}
