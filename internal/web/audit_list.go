package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// auditPageSize is the number of entries per page of the audit log.
const auditPageSize = 50

// auditListPage is the model of audit_list.html. The audit log is for
// admins; today every signed-in token is an admin (the roles work adds
// the check here and on GET /api/v1/audit).
type auditListPage struct {
	layout
	Filter           auditFilterForm
	Errors           formErrors
	Entries          []auditRow
	Total            int
	TotalLabel       string
	Page, Pages      int
	PrevURL, NextURL string
	HasFilter        bool
}

// auditFilterForm is the search form as typed.
type auditFilterForm struct {
	Actor, Action, Object, Since, Until, Search string
	Page                                        int
}

// auditRow is one entry as the page shows it: the changed fields side by
// side, and the whole documents on request.
type auditRow struct {
	*vigil.AuditEntry
	Object    string // "service:3"
	ObjectURL string // its page, when it has one and still exists
	Kind      string // "created", "deleted" or "changed"
	Changes   []vigil.AuditChange
	Before    string // indented JSON
	After     string
}

// auditObjectPages are the UI's pages of the audited object types.
var auditObjectPages = map[string]string{
	"service": "/services/", "incident": "/incidents/", "silence": "/silences/", "schedule": "/schedules/",
	"escalation_policy": "/escalation-policies/", "user": "/users/", "team": "/teams/", "stakeholder_group": "/groups/",
	"maintenance_window": "/maintenance/", "inhibit_rule": "/inhibit-rules/",
}

// auditList answers GET /audit. A filter value it cannot read is a 400
// naming the field, with the form to correct it.
func (u *UI) auditList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	m := auditListPage{Filter: auditFilterForm{
		Actor: strings.TrimSpace(q.Get("actor")), Action: strings.TrimSpace(q.Get("action")),
		Object: strings.TrimSpace(q.Get("object")), Since: strings.TrimSpace(q.Get("since")),
		Until: strings.TrimSpace(q.Get("until")), Search: strings.TrimSpace(q.Get("search")), Page: 1,
	}}
	f := m.Filter
	m.HasFilter = f.Actor != "" || f.Action != "" || f.Object != "" || f.Since != "" || f.Until != "" || f.Search != ""
	if p, err := strconv.Atoi(q.Get("page")); err == nil && p > 1 && p <= 1_000_000 {
		m.Filter.Page = p
	}
	m.layout = u.layout(w, r, "Audit log", "audit")
	df, err := f.domain()
	if err == nil {
		df.Offset, df.Limit = (m.Filter.Page-1)*auditPageSize, auditPageSize
		var list []*vigil.AuditEntry
		list, m.Total, err = u.store.FindAuditEntries(r.Context(), df)
		for _, e := range list {
			m.Entries = append(m.Entries, newAuditRow(e))
		}
	}
	if vigil.ErrorCode(err) == vigil.CodeInvalid {
		m.Errors = newFormErrors(err, "actor", "action", "object", "since", "until", "search")
		u.render(w, r, http.StatusBadRequest, "audit_list.html", m)
		return
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	m.Page, m.TotalLabel = m.Filter.Page, totalLabel(m.Total)
	m.Pages = max(1, (min(m.Total, vigil.MaxCountedTotal)+auditPageSize-1)/auditPageSize)
	if m.Filter.Page > 1 {
		m.PrevURL = m.Filter.url(m.Filter.Page - 1)
	}
	if m.Filter.Page < m.Pages {
		m.NextURL = m.Filter.url(m.Filter.Page + 1)
	}
	u.render(w, r, http.StatusOK, "audit_list.html", m)
}

// domain reads the form into a filter. Times are UTC, like every time the
// UI shows: 2026-03-01, 2026-03-01T14:30 (what a datetime-local input
// sends) or RFC 3339.
func (f auditFilterForm) domain() (vigil.AuditFilter, error) {
	df := vigil.AuditFilter{Actor: f.Actor, Action: f.Action, Search: f.Search}
	var err error
	if f.Object != "" {
		if df.ObjectType, df.ObjectID, err = vigil.ParseAuditObject(f.Object); err != nil {
			return df, err
		}
	}
	if df.Since, err = formTime("since", f.Since); err != nil {
		return df, err
	}
	if df.Until, err = formTime("until", f.Until); err != nil {
		return df, err
	}
	return df, nil
}

func formTime(field, s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC()
			return &t, nil
		}
	}
	return nil, vigil.FieldError(field, "must be a time in UTC like 2026-03-01T14:30 or 2026-03-01")
}

// url is the list with the same filter at page p.
func (f auditFilterForm) url(p int) string {
	v := url.Values{}
	for name, val := range map[string]string{"actor": f.Actor, "action": f.Action, "object": f.Object,
		"since": f.Since, "until": f.Until, "search": f.Search} {
		if val != "" {
			v.Set(name, val)
		}
	}
	if p > 1 {
		v.Set("page", strconv.Itoa(p))
	}
	if len(v) == 0 {
		return "/audit"
	}
	return "/audit?" + v.Encode()
}

func newAuditRow(e *vigil.AuditEntry) auditRow {
	row := auditRow{AuditEntry: e, Object: e.ObjectType, Kind: "changed", Changes: e.Changes(),
		Before: indentJSON(e.Before), After: indentJSON(e.After)}
	if e.ObjectID != 0 {
		row.Object += ":" + itoa(e.ObjectID)
		if page, ok := auditObjectPages[e.ObjectType]; ok && e.After != nil {
			row.ObjectURL = page + itoa(e.ObjectID)
		}
	}
	switch {
	case e.Before == nil && e.After != nil:
		row.Kind = "created"
	case e.After == nil && e.Before != nil:
		row.Kind = "deleted"
	}
	return row
}

func indentJSON(doc json.RawMessage) string {
	if len(doc) == 0 {
		return ""
	}
	var b bytes.Buffer
	if err := json.Indent(&b, doc, "", "  "); err != nil {
		return string(doc)
	}
	return b.String()
}
