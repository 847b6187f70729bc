package store

import (
	"strconv"
	"strings"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// where builds a WHERE clause with numbered placeholders; conditions are
// written with ? and numbered as they are added.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	var b strings.Builder
	i := 0
	for _, r := range cond {
		if r == '?' && i < len(args) {
			w.args = append(w.args, args[i])
			i++
			b.WriteString("$" + strconv.Itoa(len(w.args)))
			continue
		}
		b.WriteRune(r)
	}
	w.conds = append(w.conds, b.String())
}

// in adds "col IN (...)" for values.
func (w *where) in(col string, values []string) {
	ph := make([]string, len(values))
	args := make([]any, len(values))
	for i, v := range values {
		ph[i], args[i] = "?", v
	}
	w.add(col+" IN ("+strings.Join(ph, ", ")+")", args...)
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// page is the LIMIT/OFFSET clause; numbers are inlined, not user text.
func (w *where) page(offset, limit int) string {
	return " LIMIT " + strconv.Itoa(vigil.PageLimit(limit)) + " OFFSET " + strconv.Itoa(max(offset, 0))
}

// likeContains is a LIKE pattern (ESCAPE '\') matching s anywhere, with the
// wildcards of s taken literally.
func likeContains(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// countCapped counts the rows of from (a table, alias and WHERE clause),
// stopping after vigil.MaxCountedTotal+1: counting a million matches costs
// more than the page itself and tells a person nothing more than "over
// 10,000".
func countCapped(from string) string {
	return "SELECT count(*) FROM (SELECT 1 FROM " + from + " LIMIT " + strconv.Itoa(vigil.MaxCountedTotal+1) + ") AS matching"
}
