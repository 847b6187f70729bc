package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// incidentPageSize is the number of incidents per page of the list.
const incidentPageSize = 25

// statusOpen is the list filter for "not resolved".
const statusOpen = "open"

// incidentListPage is the model of incident_list.html.
type incidentListPage struct {
	layout
	Filter           incidentFilterForm
	StatusOptions    []option
	ServiceOptions   []option
	SeverityOptions  []option
	Incidents        []*vigil.Incident
	Total            int
	TotalLabel       string // "10000+" past vigil.MaxCountedTotal
	Page, Pages      int
	PrevURL, NextURL string
	// RefreshURL is what htmx re-fetches every few seconds: the same
	// filters and page, answered with the table rows only.
	RefreshURL string
	HasFilter  bool
	Declare    declareForm
	HasService bool
	// CanDeclare: the person may respond on one of the services at least.
	CanDeclare bool
}

// incidentFilterForm is the GET form above the table, as typed.
type incidentFilterForm struct {
	Status   string
	Service  string
	Severity string
	Q        string
	Page     int
}

// declareForm is the "Declare incident" form.
type declareForm struct {
	ServiceOptions  []option
	SeverityOptions []option
	Title           string
	Description     string
	Errors          formErrors
}

// incidentList answers GET /incidents. An htmx request (or ?partial=1) gets
// only the table rows, for the live refresh.
func (u *UI) incidentList(w http.ResponseWriter, r *http.Request) {
	m, err := u.incidentListModel(w, r, parseIncidentFilter(r.URL.Query()), declareInput{})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	w.Header().Add("Vary", "HX-Request")
	if isHTMX(r) || r.URL.Query().Get("partial") == "1" {
		u.renderFragment(w, r, http.StatusOK, "incident_list.html", "incident_rows", m)
		return
	}
	u.render(w, r, http.StatusOK, "incident_list.html", m)
}

// parseIncidentFilter reads the filter form. Values it does not understand
// are dropped (and the form shows them unselected) rather than refused: a
// stale bookmark should still show incidents.
func parseIncidentFilter(q url.Values) incidentFilterForm {
	f := incidentFilterForm{Page: 1}
	if s := q.Get("status"); s == statusOpen || slices.Contains(vigil.IncidentStatuses, s) {
		f.Status = s
	}
	if id, err := strconv.ParseInt(q.Get("service"), 10, 64); err == nil && id > 0 {
		f.Service = strconv.FormatInt(id, 10)
	}
	if s := vigil.Severity(q.Get("severity")); s.Valid() {
		f.Severity = string(s)
	}
	f.Q = strings.TrimSpace(q.Get("q"))
	if len(f.Q) > vigil.MaxTitleLen {
		f.Q = f.Q[:vigil.MaxTitleLen]
	}
	// The filter form is lenient: text no title can hold is dropped.
	f.Q = strings.ReplaceAll(strings.ToValidUTF8(f.Q, ""), "\x00", "")
	if p, err := strconv.Atoi(q.Get("page")); err == nil && p > 1 && p <= 1_000_000 {
		f.Page = p
	}
	return f
}

func (f incidentFilterForm) domain() vigil.IncidentFilter {
	df := vigil.IncidentFilter{
		Query:  f.Q,
		Offset: (f.Page - 1) * incidentPageSize,
		Limit:  incidentPageSize,
	}
	switch f.Status {
	case "":
	case statusOpen:
		df.Statuses = []string{vigil.IncidentTriggered, vigil.IncidentAcknowledged}
	default:
		df.Statuses = []string{f.Status}
	}
	if id, err := strconv.ParseInt(f.Service, 10, 64); err == nil {
		df.ServiceID = &id
	}
	if f.Severity != "" {
		s := vigil.Severity(f.Severity)
		df.Severity = &s
	}
	return df
}

// values is the filter as a query string, with page p.
func (f incidentFilterForm) values(p int) url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"status": f.Status, "service": f.Service, "severity": f.Severity, "q": f.Q} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if p > 1 {
		v.Set("page", strconv.Itoa(p))
	}
	return v
}

func incidentsURL(v url.Values) string {
	if len(v) == 0 {
		return "/incidents"
	}
	return "/incidents?" + v.Encode()
}

// declareInput is what the declare form held when it comes back with errors.
type declareInput struct {
	ServiceID   string
	Title       string
	Severity    string
	Description string
	Err         error
}

func (u *UI) incidentListModel(w http.ResponseWriter, r *http.Request, f incidentFilterForm, d declareInput) (incidentListPage, error) {
	incidents, total, err := u.store.FindIncidents(r.Context(), f.domain())
	if err != nil {
		return incidentListPage{}, err
	}
	var services []*vigil.Service
	// Stakeholders filter by the rest; the services are not theirs to list.
	if auth.PrincipalFromContext(r.Context()).Allows(vigil.PermRead) {
		services, _, err = u.store.FindServices(r.Context(), vigil.ServiceFilter{Limit: vigil.MaxPageSize})
		if err != nil {
			return incidentListPage{}, err
		}
	}
	pages := max(1, (total+incidentPageSize-1)/incidentPageSize)
	m := incidentListPage{
		Filter:          f,
		ServiceOptions:  serviceOptions(services, f.Service, "Any service"),
		SeverityOptions: severityOptions(f.Severity, true),
		Incidents:       incidents,
		Total:           total,
		TotalLabel:      totalLabel(total),
		Page:            f.Page,
		Pages:           pages,
		RefreshURL:      incidentsURL(f.values(f.Page)),
		HasFilter:       f.Status != "" || f.Service != "" || f.Severity != "" || f.Q != "",
		HasService:      len(services) > 0,
	}
	m.StatusOptions = []option{
		{Value: "", Label: "Any status", Selected: f.Status == ""},
		{Value: statusOpen, Label: "open (not resolved)", Selected: f.Status == statusOpen},
	}
	for _, s := range vigil.IncidentStatuses {
		m.StatusOptions = append(m.StatusOptions, option{Value: s, Label: s, Selected: f.Status == s})
	}
	if f.Page > 1 {
		m.PrevURL = incidentsURL(f.values(f.Page - 1))
	}
	if f.Page < pages {
		m.NextURL = incidentsURL(f.values(f.Page + 1))
	}
	sev := d.Severity
	if sev == "" {
		sev = string(vigil.SeverityError)
	}
	// The form offers the services the person may declare on: all for
	// global responders, their teams' for team responders.
	var declarable []*vigil.Service
	byTeam := map[int64]bool{}
	for _, s := range services {
		ok, seen := byTeam[s.TeamID]
		if !seen {
			ok = u.canRespondOn(r, s.TeamID)
			byTeam[s.TeamID] = ok
		}
		if ok {
			declarable = append(declarable, s)
		}
	}
	m.CanDeclare = len(declarable) > 0
	m.Declare = declareForm{
		ServiceOptions:  serviceOptions(declarable, d.ServiceID, "Choose a service"),
		SeverityOptions: severityOptions(sev, false),
		Title:           d.Title,
		Description:     d.Description,
		Errors:          newFormErrors(d.Err, "service_id", "title", "severity", "description"),
	}
	// Only now: layout takes the flash, which must survive a failed query.
	m.layout = u.layout(w, r, "Incidents", "incidents")
	return m, nil
}

// totalLabel shows a capped count as "10000+".
func totalLabel(total int) string {
	if total > vigil.MaxCountedTotal {
		return strconv.Itoa(vigil.MaxCountedTotal) + "+"
	}
	return strconv.Itoa(total)
}
