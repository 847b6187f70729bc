package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/ingest/jsonerr"
	"github.com/vigil-oss/vigil/internal/matcher"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Silences, on Vigil's API (/api/v1/silences, API tokens) and on
// Alertmanager's (/api/v2/silences and /api/v2/silence/{silenceID}, for
// amtool and Grafana).
//
// Who may do what on Alertmanager's API: an API token sees and changes
// every silence. An integration key sees the silences of its service and
// those of every service, creates silences limited to its service, and
// updates or expires only those: a key already decides which alerts its
// service gets, so muting them adds no power, while muting other services'
// alerts would. (amtool and Prometheus-side tooling often hold only a key.)

// SilenceInput is the body of POST /api/v1/silences.
type SilenceInput struct {
	// Matchers in Alertmanager's syntax, all of which must match:
	// alertname="Disk full", env!=dev, instance=~"web-.*", team!~"db|ops".
	Matchers []string `json:"matchers"`
	// StartsAt defaults to now; a time in the past means now.
	StartsAt *time.Time `json:"starts_at,omitempty"`
	// EndsAt, or Duration from the start, is required.
	EndsAt   *time.Time      `json:"ends_at,omitempty"`
	Duration *vigil.Duration `json:"duration,omitempty"`
	// CreatedBy defaults to the name of the API token.
	CreatedBy string `json:"created_by,omitempty"`
	Comment   string `json:"comment"`
	// ServiceID limits the silence to one service's alerts.
	ServiceID int64 `json:"service_id,omitempty"`
	// ExpireOnResolve ends the silence as soon as every alert it holds
	// has resolved.
	ExpireOnResolve bool              `json:"expire_on_resolve,omitempty"`
	Annotations     map[string]string `json:"annotations,omitempty"`
}

// AMMatcher is a label matcher as Alertmanager's API carries it.
type AMMatcher struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	IsRegex bool   `json:"isRegex"`
	// IsEqual is true when absent (clients older than Alertmanager 0.22
	// send only isRegex).
	IsEqual *bool `json:"isEqual,omitempty"`
}

// AMPostableSilence is the body of POST /api/v2/silences: a new silence,
// or with id a change of one (Alertmanager's rules decide whether it is
// changed in place or replaced by a new one).
type AMPostableSilence struct {
	ID       string      `json:"id,omitempty"`
	Matchers []AMMatcher `json:"matchers"`
	// StartsAt and EndsAt are RFC 3339 times; StartsAt defaults to now.
	StartsAt    string            `json:"startsAt"`
	EndsAt      string            `json:"endsAt"`
	CreatedBy   string            `json:"createdBy"`
	Comment     string            `json:"comment"`
	Annotations map[string]string `json:"annotations,omitempty"`
	// ExpireOnResolve (Vigil's) ends the silence as soon as every alert it
	// holds has resolved.
	ExpireOnResolve bool `json:"expireOnResolve,omitempty"`
}

// AMSilenceStatus is a silence's state: active, pending or expired.
type AMSilenceStatus struct {
	State string `json:"state"`
}

// AMSilence is a silence as Alertmanager's API shows it (gettableSilence).
type AMSilence struct {
	ID          string            `json:"id"`
	Status      AMSilenceStatus   `json:"status"`
	UpdatedAt   time.Time         `json:"updatedAt"`
	Matchers    []AMMatcher       `json:"matchers"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
	CreatedBy   string            `json:"createdBy"`
	Comment     string            `json:"comment"`
	Annotations map[string]string `json:"annotations"`
	// ExpireOnResolve is Vigil's extension (see AMPostableSilence).
	ExpireOnResolve bool `json:"expireOnResolve,omitempty"`
}

// AMSilenceID answers POST /api/v2/silences.
type AMSilenceID struct {
	SilenceID string `json:"silenceID"`
}

// amExpiredRetention is how long Alertmanager's API keeps listing expired
// silences (Alertmanager's --data.retention default); Vigil's own API
// lists them all.
const amExpiredRetention = 120 * time.Hour

var silenceParams = []Param{
	{Name: "state", Type: "string", Repeated: true, Description: "pending, active or expired; comma-separated or repeated"},
	{Name: "service_id", Type: "integer", Description: "silences of this service (and, with global=true, those of every service)"},
	{Name: "global", Type: "boolean", Description: "with service_id: include silences of every service"},
	{Name: "unused_for", Type: "string", Description: `only active silences that held no alert for this long ("7d", "36h")`},
}

var amSilenceParams = []Param{
	{Name: "filter", Type: "string", Repeated: true, Description: `a matcher such as alertname="Disk full"; a silence is listed when it has, for each filter, the same matcher`},
	{Name: "active", Type: "boolean", Description: "include active silences (default true)"},
	{Name: "pending", Type: "boolean", Description: "include pending silences (default true)"},
	{Name: "expired", Type: "boolean", Description: "include silences expired in the last 120 hours (default true)"},
}

func (a *API) silenceRoutes() []Route {
	tok := func(method, pattern, summary string, req, resp any, status int, h handlerFunc, q ...Param) Route {
		return Route{Method: method, Pattern: pattern, Auth: AuthToken, Summary: summary,
			Request: req, Response: resp, Status: status, Query: q, Handler: a.handle(h)}
	}
	am := func(method, pattern, summary string, req, resp any, h handlerFunc, q ...Param) Route {
		return Route{Method: method, Pattern: pattern, Auth: AuthTokenOrIntegration, Format: FormatAlertmanagerAPI,
			Summary: summary, Request: req, Response: resp, Query: q, Handler: a.handle(h)}
	}
	return []Route{
		tok("GET", "/api/v1/silences", "List silences, newest first", nil, List[*vigil.Silence]{}, http.StatusOK, a.listSilences,
			withPage(silenceParams...)...),
		tok("POST", "/api/v1/silences", "Create a silence: new alerts its matchers match are stored but open no incident until it ends",
			SilenceInput{}, &vigil.Silence{}, http.StatusCreated, createFrom(a, a.silenceFrom, (vigil.Store).CreateSilence)),
		tok("GET", "/api/v1/silences/{id}", "Get a silence (by id, or by its Alertmanager UUID)", nil, &vigil.Silence{}, http.StatusOK, a.getSilence),
		tok("DELETE", "/api/v1/silences/{id}", "Expire a silence now (by id or UUID); the alerts it held page unless another silence holds them",
			nil, &vigil.Silence{}, http.StatusOK, a.expireSilence),

		am("GET", "/api/v2/silences", "Alertmanager API v2: silences (an integration key sees its service's and global ones)",
			nil, []AMSilence{}, a.getAMSilences, amSilenceParams...),
		am("POST", "/api/v2/silences", "Alertmanager API v2: create a silence, or change one (with id); answers its UUID. "+
			"A silence made with an integration key applies to its service only", AMPostableSilence{}, AMSilenceID{}, a.postAMSilence),
		am("GET", "/api/v2/silence/{silenceID}", "Alertmanager API v2: a silence by UUID", nil, AMSilence{}, a.getAMSilence),
		am("DELETE", "/api/v2/silence/{silenceID}", "Alertmanager API v2: expire a silence by UUID", nil, nil, a.deleteAMSilence),
	}
}

// silenceFrom builds a silence from the body of POST /api/v1/silences.
func (a *API) silenceFrom(in SilenceInput, _ int64) (*vigil.Silence, error) {
	s := &vigil.Silence{CreatedBy: in.CreatedBy, Comment: in.Comment, ExpireOnResolve: in.ExpireOnResolve, Annotations: in.Annotations}
	if len(in.Matchers) == 0 {
		return nil, vigil.FieldError("matchers", "at least one matcher is required, like alertname=\"Disk full\"")
	}
	if len(in.Matchers) > vigil.MaxSilenceMatchers {
		return nil, vigil.FieldError("matchers", "at most %d matchers", vigil.MaxSilenceMatchers)
	}
	for i, text := range in.Matchers {
		m, err := matcher.Parse(text)
		if err != nil {
			return nil, vigil.FieldError(fmt.Sprintf("matchers[%d]", i), "%v", err)
		}
		s.Matchers = append(s.Matchers, vigil.SilenceMatcher{Name: m.Name(), Value: m.Value(), IsRegex: m.IsRegex(), IsEqual: m.IsEqual()})
	}
	now := a.clock.Now()
	s.StartsAt = now
	if in.StartsAt != nil {
		s.StartsAt = *in.StartsAt
	}
	switch {
	case in.EndsAt != nil && in.Duration != nil:
		return nil, vigil.FieldError("duration", "give ends_at or duration, not both")
	case in.EndsAt != nil:
		s.EndsAt = *in.EndsAt
	case in.Duration != nil:
		if *in.Duration <= 0 {
			return nil, vigil.FieldError("duration", "must be above zero")
		}
		start := s.StartsAt
		if start.Before(now) {
			start = now
		}
		s.EndsAt = start.Add(time.Duration(*in.Duration))
	default:
		return nil, vigil.FieldError("ends_at", "ends_at or duration is required")
	}
	if in.ServiceID < 0 {
		return nil, vigil.FieldError("service_id", "must be a positive integer")
	}
	if in.ServiceID > 0 {
		s.ServiceID = &in.ServiceID
	}
	return s, nil
}

func (a *API) listSilences(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	f := vigil.SilenceFilter{States: q.list("state"), ServiceID: q.id("service_id"), IncludeGlobal: q.boolean("global")}
	for _, st := range f.States {
		if st != vigil.SilencePending && st != vigil.SilenceActive && st != vigil.SilenceExpired {
			q.fail("state", "must be one of pending, active, expired")
		}
	}
	if s := q.v.Get("unused_for"); s != "" {
		d, err := parseDays(s)
		if err != nil || d <= 0 {
			q.fail("unused_for", `must be a duration like "7d" or "36h"`)
		}
		f.UnusedFor = d
	}
	f.Offset, f.Limit = q.page()
	if q.err != nil {
		return q.err
	}
	items, total, err := a.store.FindSilences(r.Context(), f)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, newList(items, total, f.Offset, f.Limit))
	return nil
}

// parseDays is time.ParseDuration with a leading number of days ("7d",
// "1d12h").
func parseDays(s string) (time.Duration, error) {
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 || n > 100_000 {
			return 0, fmt.Errorf("bad days")
		}
		days, s = time.Duration(n)*24*time.Hour, s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	return days + d, err
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// silenceRef finds the silence of the {id} path value: an id or a UUID.
func (a *API) silenceRef(r *http.Request, name string) (*vigil.Silence, error) {
	v := r.PathValue(name)
	if uuidRE.MatchString(v) {
		return a.store.FindSilenceByUUID(r.Context(), v)
	}
	id, err := pathID(r, name)
	if err != nil {
		return nil, vigil.FieldError(name, "must be a positive integer or a silence UUID")
	}
	return a.store.FindSilenceByID(r.Context(), id)
}

func (a *API) getSilence(w http.ResponseWriter, r *http.Request) error {
	s, err := a.silenceRef(r, "id")
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, s)
	return nil
}

func (a *API) expireSilence(w http.ResponseWriter, r *http.Request) error {
	s, err := a.silenceRef(r, "id")
	if err != nil {
		return err
	}
	if s, err = a.store.ExpireSilence(r.Context(), s.ID); err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, s)
	return nil
}

// DecodeAMSilence reads the body of POST /api/v2/silences into a silence
// (not yet validated: the store does that) and the id of the silence it
// changes ("" for a new one). Like Alertmanager it ignores unknown fields.
// Errors are CodeInvalid and name the field in Alertmanager's words
// (endsAt, matchers[0].name).
func DecodeAMSilence(body []byte) (*vigil.Silence, string, error) {
	if !json.Valid(body) {
		return nil, "", jsonerr.Translate(json.Unmarshal(body, new(any)))
	}
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, "", vigil.Errorf(vigil.CodeInvalid, "request body must be a JSON object (a silence)")
	}
	var in AMPostableSilence
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, "", jsonerr.Translate(err)
	}
	if len(in.Matchers) == 0 {
		return nil, "", vigil.FieldError("matchers", "at least one matcher is required")
	}
	if len(in.Matchers) > vigil.MaxSilenceMatchers {
		return nil, "", vigil.FieldError("matchers", "at most %d matchers", vigil.MaxSilenceMatchers)
	}
	s := &vigil.Silence{CreatedBy: in.CreatedBy, Comment: in.Comment, Annotations: in.Annotations, ExpireOnResolve: in.ExpireOnResolve}
	for _, m := range in.Matchers {
		equal := m.IsEqual == nil || *m.IsEqual
		s.Matchers = append(s.Matchers, vigil.SilenceMatcher{Name: m.Name, Value: m.Value, IsRegex: m.IsRegex, IsEqual: equal})
	}
	var err error
	if in.StartsAt != "" {
		if s.StartsAt, err = parseAMTime("startsAt", in.StartsAt); err != nil {
			return nil, "", err
		}
	}
	if in.EndsAt == "" {
		return nil, "", vigil.FieldError("endsAt", "is required")
	}
	if s.EndsAt, err = parseAMTime("endsAt", in.EndsAt); err != nil {
		return nil, "", err
	}
	if err := vigil.ValidateText("id", in.ID, 64); err != nil {
		return nil, "", err
	}
	return s, in.ID, nil
}

func parseAMTime(field, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil || t.Year() < 1970 || t.Year() > 9999 {
		return time.Time{}, vigil.FieldError(field, "must be an RFC 3339 time like 2026-01-02T15:04:05Z")
	}
	return t.UTC(), nil
}

// amFieldNames are the domain's field names in Alertmanager's words.
var amFieldNames = map[string]string{"starts_at": "startsAt", "ends_at": "endsAt", "created_by": "createdBy",
	"expire_on_resolve": "expireOnResolve"}

// amSilenceError answers invalid input as Alertmanager does (400 with a
// JSON string) with the field in Alertmanager's words.
func amSilenceError(w http.ResponseWriter, err error) error {
	if vigil.ErrorCode(err) != vigil.CodeInvalid {
		return err
	}
	field := vigil.ErrorField(err)
	if f, ok := amFieldNames[field]; ok {
		field = f
	}
	msg := vigil.ErrorMessage(err)
	for from, to := range amFieldNames {
		msg = strings.ReplaceAll(msg, from, to)
	}
	if field != "" {
		msg = field + ": " + msg
	}
	WriteJSON(w, http.StatusBadRequest, msg)
	return nil
}

// amSilenceView shows a silence in Alertmanager's shape.
func amSilenceView(s *vigil.Silence) AMSilence {
	v := AMSilence{ID: s.UUID, Status: AMSilenceStatus{State: s.State}, UpdatedAt: s.UpdatedAt, StartsAt: s.StartsAt, EndsAt: s.EndsAt,
		CreatedBy: s.CreatedBy, Comment: s.Comment, Annotations: s.Annotations, ExpireOnResolve: s.ExpireOnResolve,
		Matchers: make([]AMMatcher, len(s.Matchers))}
	if v.Annotations == nil {
		v.Annotations = map[string]string{}
	}
	for i, m := range s.Matchers {
		eq := m.IsEqual
		v.Matchers[i] = AMMatcher{Name: m.Name, Value: m.Value, IsRegex: m.IsRegex, IsEqual: &eq}
	}
	return v
}

// amSilenceScope is what an Alertmanager API caller may see: with an
// integration key, its service (and global silences); with a token, all.
func amSilenceScope(r *http.Request) (serviceID int64, isKey bool) {
	if key := IntegrationKeyFrom(r.Context()); key != nil {
		return key.ServiceID, true
	}
	return 0, false
}

// amVisible and amEditable apply the scope to one silence.
func amVisible(r *http.Request, s *vigil.Silence) bool {
	svc, isKey := amSilenceScope(r)
	return !isKey || s.ServiceID == nil || *s.ServiceID == svc
}

func amEditable(r *http.Request, s *vigil.Silence) error {
	svc, isKey := amSilenceScope(r)
	switch {
	case !isKey:
		return nil
	case s.ServiceID == nil:
		return vigil.Errorf(vigil.CodeForbidden, "silence %s applies to every service; changing it takes an API token", s.UUID)
	case *s.ServiceID != svc:
		return vigil.Errorf(vigil.CodeNotFound, "silence %s not found", s.UUID)
	}
	return nil
}

// amSilenceByID finds the silence of the {silenceID} path value that the
// caller may see. CodeNotFound otherwise.
func (a *API) amSilenceByID(r *http.Request) (*vigil.Silence, error) {
	id := r.PathValue("silenceID")
	if !uuidRE.MatchString(id) {
		return nil, vigil.FieldError("silenceID", "must be a silence UUID")
	}
	s, err := a.store.FindSilenceByUUID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if !amVisible(r, s) {
		return nil, vigil.Errorf(vigil.CodeNotFound, "silence %s not found", id)
	}
	return s, nil
}

func (a *API) getAMSilences(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	want := map[string]bool{vigil.SilenceActive: true, vigil.SilencePending: true, vigil.SilenceExpired: true}
	for _, name := range []string{vigil.SilenceActive, vigil.SilencePending, vigil.SilenceExpired} {
		if v := q.Get(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return amError(w, vigil.FieldError(name, "must be true or false"))
			}
			want[name] = b
		}
	}
	filter, err := matcher.ParseEach(q["filter"])
	if err != nil {
		return amError(w, vigil.FieldError("filter", "%v", err))
	}
	since := a.clock.Now().Add(-amExpiredRetention)
	f := vigil.SilenceFilter{EndsAfter: &since, Limit: vigil.MaxPageSize}
	if svc, isKey := amSilenceScope(r); isKey {
		f.ServiceID, f.IncludeGlobal = &svc, true
	}
	out := []AMSilence{}
	for {
		page, _, err := a.store.FindSilences(r.Context(), f)
		if err != nil {
			return err
		}
		for _, s := range page {
			if want[s.State] && hasMatchers(s, filter) {
				out = append(out, amSilenceView(s))
			}
		}
		if len(page) < f.Limit {
			break
		}
		f.Offset += len(page)
	}
	sortAMSilences(out)
	WriteJSON(w, http.StatusOK, out)
	return nil
}

// hasMatchers is Alertmanager's filter of silences: each filter matcher
// must be one of the silence's matchers (same name, operator and value).
func hasMatchers(s *vigil.Silence, filter matcher.Set) bool {
	for _, f := range filter {
		found := false
		for _, m := range s.Matchers {
			if m.Name == f.Name() && m.Value == f.Value() && m.IsRegex == f.IsRegex() && m.IsEqual == f.IsEqual() {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// sortAMSilences orders as Alertmanager does: active ones ending soonest
// first, then pending ones starting soonest, then expired ones, most
// recent first.
func sortAMSilences(list []AMSilence) {
	rank := map[string]int{vigil.SilenceActive: 0, vigil.SilencePending: 1, vigil.SilenceExpired: 2}
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.Status.State != b.Status.State {
			return rank[a.Status.State] < rank[b.Status.State]
		}
		switch a.Status.State {
		case vigil.SilenceActive:
			return a.EndsAt.Before(b.EndsAt)
		case vigil.SilencePending:
			return a.StartsAt.Before(b.StartsAt)
		}
		return a.EndsAt.After(b.EndsAt)
	})
}

func (a *API) getAMSilence(w http.ResponseWriter, r *http.Request) error {
	s, err := a.amSilenceByID(r)
	if err != nil {
		return amSilenceError(w, err)
	}
	WriteJSON(w, http.StatusOK, amSilenceView(s))
	return nil
}

func (a *API) deleteAMSilence(w http.ResponseWriter, r *http.Request) error {
	s, err := a.amSilenceByID(r)
	if err != nil {
		return amSilenceError(w, err)
	}
	if err := amEditable(r, s); err != nil {
		return err
	}
	if _, err := a.store.ExpireSilence(r.Context(), s.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (a *API) postAMSilence(w http.ResponseWriter, r *http.Request) error {
	body, err := ReadJSONBody(w, r)
	if err != nil {
		return amSilenceError(w, err)
	}
	s, id, err := DecodeAMSilence(body)
	if err != nil {
		return amSilenceError(w, err)
	}
	ctx := r.Context()
	if svc, isKey := amSilenceScope(r); isKey {
		s.ServiceID = &svc
	}
	if id == "" {
		if err := a.store.CreateSilence(ctx, s); err != nil {
			return amSilenceError(w, err)
		}
		WriteJSON(w, http.StatusOK, AMSilenceID{SilenceID: s.UUID})
		return nil
	}
	if !uuidRE.MatchString(id) {
		return vigil.Errorf(vigil.CodeNotFound, "silence %q not found", id)
	}
	prev, err := a.store.FindSilenceByUUID(ctx, id)
	if err != nil {
		return err
	}
	if !amVisible(r, prev) {
		return vigil.Errorf(vigil.CodeNotFound, "silence %s not found", id)
	}
	if err := amEditable(r, prev); err != nil {
		return err
	}
	// The body cannot say which service a silence is for: a change keeps
	// the silence's scope.
	s.ServiceID = prev.ServiceID
	if err := a.store.UpdateSilence(ctx, prev.ID, s); err != nil {
		return amSilenceError(w, err)
	}
	WriteJSON(w, http.StatusOK, AMSilenceID{SilenceID: s.UUID})
	return nil
}
