package api

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"regexp"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/ingest/alertmanager"
	"github.com/vigil-oss/vigil/internal/matcher"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// FormatAlertmanagerAPI is the metrics label of Alertmanager's API v2.
const FormatAlertmanagerAPI = "alertmanager-api"

// maxAMAlerts bounds how many firing alerts one GET of the Alertmanager
// API reads.
const maxAMAlerts = 100_000

// AMReceiver names a receiver: in Vigil, a service.
type AMReceiver struct {
	Name string `json:"name"`
}

// AMAlertStatus is an alert's state in Alertmanager's terms: suppressed
// while a silence holds it (SilencedBy names the silence's UUID), else
// active.
type AMAlertStatus struct {
	State       string   `json:"state"` // active, suppressed or unprocessed
	SilencedBy  []string `json:"silencedBy"`
	InhibitedBy []string `json:"inhibitedBy"`
	MutedBy     []string `json:"mutedBy"`
}

// AMAlert is an alert as GET /api/v2/alerts shows it (Alertmanager's
// gettableAlert).
type AMAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	UpdatedAt    time.Time         `json:"updatedAt"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
	Fingerprint  string            `json:"fingerprint"`
	Receivers    []AMReceiver      `json:"receivers"`
	Status       AMAlertStatus     `json:"status"`
}

// AMAlertGroup is one incident as GET /api/v2/alerts/groups shows it: the
// labels its alerts share, its service, and its alerts.
type AMAlertGroup struct {
	Labels   map[string]string `json:"labels"`
	Receiver AMReceiver        `json:"receiver"`
	Alerts   []AMAlert         `json:"alerts"`
}

// AMStatus answers GET /api/v2/status. It holds no secret.
type AMStatus struct {
	Cluster struct {
		Name   string   `json:"name"`
		Status string   `json:"status"`
		Peers  []string `json:"peers"`
	} `json:"cluster"`
	VersionInfo struct {
		Branch    string `json:"branch"`
		BuildDate string `json:"buildDate"`
		BuildUser string `json:"buildUser"`
		GoVersion string `json:"goVersion"`
		Revision  string `json:"revision"`
		Version   string `json:"version"`
	} `json:"versionInfo"`
	Config struct {
		Original string `json:"original"`
	} `json:"config"`
	Uptime time.Time `json:"uptime"`
}

// AMPostResult answers an accepted POST /api/v2/alerts. Alertmanager
// answers with an empty body; its clients read only the status.
type AMPostResult struct {
	Accepted int                 `json:"accepted"`
	Results  []vigil.EventResult `json:"results"`
}

var amFilterParams = []Param{
	{Name: "active", Type: "boolean", Description: "include active alerts (default true)"},
	{Name: "silenced", Type: "boolean", Description: "include silenced alerts (default true)"},
	{Name: "inhibited", Type: "boolean", Description: "include inhibited alerts (default true)"},
	{Name: "unprocessed", Type: "boolean", Description: "include unprocessed alerts (default true)"},
	{Name: "filter", Type: "string", Repeated: true, Description: `a label matcher such as alertname="Disk full", env!=dev or instance=~"web-.*"; all must match`},
	{Name: "receiver", Type: "string", Description: "a regular expression the receiver (service name) must match whole"},
}

// alertmanagerAPIRoutes are Alertmanager's API v2, so Prometheus, Grafana
// and amtool can send to and read from Vigil.
func (a *API) alertmanagerAPIRoutes() []Route {
	read := func(pattern, summary string, resp any, h handlerFunc, q ...Param) Route {
		return Route{Method: "GET", Pattern: pattern, Auth: AuthTokenOrIntegration, Format: FormatAlertmanagerAPI,
			Summary: summary, Response: resp, Query: q, Handler: a.handle(h)}
	}
	return []Route{
		{Method: "POST", Pattern: "/api/v2/alerts", Auth: AuthIntegration, Format: FormatAlertmanagerAPI,
			Summary: "Alertmanager API v2: post alerts (Prometheus alerting.alertmanagers, Grafana, amtool). An alert whose endsAt " +
				"has passed resolves; one without endsAt resolves after the resolve timeout unless re-sent. Valid alerts are stored " +
				"even when others are refused; any refusal answers 400 with a JSON string naming each one, as Alertmanager does",
			Request: []alertmanager.PostableAlert{}, Response: AMPostResult{}, Status: http.StatusOK,
			Handler: a.handle(a.postAMAlerts)},
		read("/api/v2/alerts", "Alertmanager API v2: firing alerts (an integration key sees its service, an API token all)",
			[]AMAlert{}, a.getAMAlerts, amFilterParams...),
		read("/api/v2/alerts/groups", "Alertmanager API v2: firing alerts grouped by incident",
			[]AMAlertGroup{}, a.getAMAlertGroups, amFilterParams...),
		read("/api/v2/status", "Alertmanager API v2: version and a generated configuration (no secrets)", AMStatus{}, a.getAMStatus),
		read("/api/v2/receivers", "Alertmanager API v2: receivers, one per service", []AMReceiver{}, a.getAMReceivers),
	}
}

// postAMAlerts stores the valid alerts of the body and, like Alertmanager,
// answers 400 with a JSON string when any alert was refused.
func (a *API) postAMAlerts(w http.ResponseWriter, r *http.Request) error {
	key := IntegrationKeyFrom(r.Context())
	if key == nil {
		return vigil.Errorf(vigil.CodeInternal, "ingest route mounted without integration key authentication")
	}
	body, err := ReadJSONBody(w, r)
	if err != nil {
		a.metrics.CountIngest(FormatAlertmanagerAPI, ingestResult(err), 1)
		return err
	}
	events, itemErrs, err := alertmanager.DecodePostableAlerts(body, a.clock.Now(), a.resolveTimeout)
	if err != nil {
		a.metrics.CountIngest(FormatAlertmanagerAPI, IngestInvalid, 1)
		WriteJSON(w, http.StatusBadRequest, vigil.ErrorField(err)+": "+vigil.ErrorMessage(err))
		return nil
	}
	a.metrics.CountIngest(FormatAlertmanagerAPI, IngestInvalid, len(itemErrs))
	valid := make([]*vigil.Event, 0, len(events))
	for _, e := range events {
		if e != nil {
			e.ServiceID, e.IntegrationKeyID = key.ServiceID, &key.ID
			valid = append(valid, e)
		}
	}
	a.mapEvents(r.Context(), key, FormatAlertmanagerAPI, valid)
	res := AMPostResult{Results: []vigil.EventResult{}}
	if len(valid) > 0 {
		results, err := a.store.ProcessEvents(r.Context(), valid)
		if err != nil {
			a.metrics.CountIngest(FormatAlertmanagerAPI, ingestResult(err), len(valid))
			return err
		}
		a.metrics.CountIngest(FormatAlertmanagerAPI, IngestAccepted, len(valid))
		a.metrics.CountAlerts(results)
		res.Accepted, res.Results = len(valid), results
	}
	if len(itemErrs) > 0 {
		msgs := make([]string, len(itemErrs))
		for i, e := range itemErrs {
			msgs[i] = e.Error()
		}
		WriteJSON(w, http.StatusBadRequest, fmt.Sprintf("%d of %d alerts refused (the others were stored): %s",
			len(itemErrs), len(events), strings.Join(msgs, "; ")))
		return nil
	}
	WriteJSON(w, http.StatusOK, res)
	return nil
}

// amFilter is the parsed query of GET /api/v2/alerts and groups.
type amFilter struct {
	active    bool
	silenced  bool
	inhibited bool
	matchers  matcher.Set
	receiver  *regexp.Regexp
}

// parseAMFilter reads the query; a bad value is a 400 as a JSON string,
// as Alertmanager answers.
func parseAMFilter(r *http.Request) (*amFilter, error) {
	q := r.URL.Query()
	f := &amFilter{active: true, silenced: true, inhibited: true}
	for _, name := range []string{"active", "silenced", "inhibited", "unprocessed"} {
		v := q.Get(name)
		if v == "" {
			continue
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, vigil.FieldError(name, "must be true or false")
		}
		switch name {
		case "active":
			f.active = b
		case "silenced":
			f.silenced = b
		case "inhibited":
			f.inhibited = b
		}
		// No alert is unprocessed: that flag selects nothing else.
	}
	ms, err := matcher.ParseEach(q["filter"])
	if err != nil {
		return nil, vigil.FieldError("filter", "%v", err)
	}
	f.matchers = ms
	if rx := q.Get("receiver"); rx != "" {
		re, err := regexp.Compile("^(?:" + rx + ")$")
		if err != nil {
			return nil, vigil.FieldError("receiver", "is not a valid regular expression: %v", err)
		}
		f.receiver = re
	}
	return f, nil
}

// amScope is what the caller may see: one service (an integration key) or
// all (an API token), with the names of those services.
func (a *API) amScope(ctx context.Context) (serviceID int64, names map[int64]string, err error) {
	names = map[int64]string{}
	if key := IntegrationKeyFrom(ctx); key != nil {
		s, err := a.store.FindServiceByID(ctx, key.ServiceID)
		if err != nil {
			return 0, nil, err
		}
		names[s.ID] = s.Name
		return s.ID, names, nil
	}
	for offset := 0; ; {
		page, _, err := a.store.FindServices(ctx, vigil.ServiceFilter{Offset: offset, Limit: vigil.MaxPageSize})
		if err != nil {
			return 0, nil, err
		}
		for _, s := range page {
			names[s.ID] = s.Name
		}
		if len(page) < vigil.MaxPageSize {
			return 0, names, nil
		}
		offset += len(page)
	}
}

// amAlerts returns the firing alerts the caller may see that match f, in
// Alertmanager's shape, each with the incident it belongs to.
func (a *API) amAlerts(r *http.Request) ([]AMAlert, []int64, error) {
	f, err := parseAMFilter(r)
	if err != nil {
		return nil, nil, err
	}
	ctx := r.Context()
	serviceID, names, err := a.amScope(ctx)
	if err != nil {
		return nil, nil, err
	}
	out, incidents := []AMAlert{}, []int64{}
	alerts, err := a.store.FindFiringAlerts(ctx, serviceID, maxAMAlerts)
	if err != nil {
		return nil, nil, err
	}
	silences, err := a.silenceUUIDs(ctx, alerts)
	if err != nil {
		return nil, nil, err
	}
	windows, sources, err := a.holdNames(ctx, alerts)
	if err != nil {
		return nil, nil, err
	}
	now := a.clock.Now()
	for _, al := range alerts {
		if al.EndsAt != nil && !al.EndsAt.After(now) {
			continue // over; the sweep resolves it shortly
		}
		// Held alerts read as Alertmanager's suppressed ones: a silence
		// as silencedBy, an inhibition as inhibitedBy (the fingerprint of
		// the source), a maintenance window as mutedBy (its name), as
		// Alertmanager shows time intervals; a classification rule's
		// suppression and an auto-pause are mutedBy too.
		kind, held := al.Held()
		switch {
		case !held && !f.active,
			kind == "silence" && !f.silenced,
			kind == "inhibited" && !f.inhibited:
			continue
		}
		name, ok := names[al.ServiceID]
		if !ok || (f.receiver != nil && !f.receiver.MatchString(name)) {
			continue
		}
		v := amView(al, name, now, a.resolveTimeout)
		switch kind {
		case "silence":
			v.Status.State, v.Status.SilencedBy = "suppressed", []string{silences[*al.SilencedBy]}
		case "maintenance":
			w := windows[*al.HeldByWindow]
			if w == "" {
				w = "maintenance window " + strconv.FormatInt(*al.HeldByWindow, 10)
			}
			v.Status.State, v.Status.MutedBy = "suppressed", []string{w}
		case "inhibited":
			v.Status.State, v.Status.InhibitedBy = "suppressed", []string{sources[*al.InhibitedByAlert]}
		case "suppressed":
			v.Status.State, v.Status.MutedBy = "suppressed", []string{"classification rule " + al.SuppressedBy}
		case "paused":
			v.Status.State, v.Status.MutedBy = "suppressed", []string{"auto-pause until " + al.PausedUntil.UTC().Format(time.RFC3339)}
		}
		if !f.matchers.Matches(v.Labels) {
			continue
		}
		out = append(out, v)
		incidents = append(incidents, al.IncidentID)
	}
	return out, incidents, nil
}

// amView shows a Vigil alert as Alertmanager would. Alerts from other
// senders get the alertname (their summary) and severity labels when they
// lack them, since tools reading Alertmanager expect both; annotations
// and startsAt come from what an Alertmanager sender sent, else from the
// summary and the first time Vigil saw the alert. An alert that fires
// until resolved shows endsAt now + the resolve timeout, as Alertmanager
// shows an alert posted without one.
func amView(al *vigil.Alert, service string, now time.Time, timeout time.Duration) AMAlert {
	// The same view silences match against.
	labels := vigil.AlertLabels{Labels: al.Labels, Summary: al.Summary, Severity: al.Severity}.Map()
	v := AMAlert{
		Labels: labels, StartsAt: al.FirstSeen, UpdatedAt: al.LastSeen,
		Receivers: []AMReceiver{{Name: service}},
		Status:    AMAlertStatus{State: "active", SilencedBy: []string{}, InhibitedBy: []string{}, MutedBy: []string{}},
	}
	var sent struct {
		Annotations map[string]string `json:"annotations"`
		StartsAt    string            `json:"startsAt"`
	}
	if strings.HasPrefix(al.Source, alertmanager.SourcePrefix) && len(al.Details) > 0 && json.Unmarshal(al.Details, &sent) == nil {
		v.Annotations = sent.Annotations
		if t, err := time.Parse(time.RFC3339Nano, sent.StartsAt); err == nil && !t.IsZero() {
			v.StartsAt = t.UTC()
		}
	}
	if v.Annotations == nil {
		v.Annotations = map[string]string{"summary": al.Summary}
	}
	v.EndsAt = now.Add(timeout)
	if al.EndsAt != nil {
		v.EndsAt = *al.EndsAt
	}
	v.Fingerprint = amFingerprint(al)
	for _, l := range al.Links {
		if l.Text == "Generator" || v.GeneratorURL == "" {
			v.GeneratorURL = l.Href
		}
	}
	return v
}

// amFingerprint is the fingerprint Alertmanager's API shows for an alert:
// the one its sender computed, or a hash of its service and dedup key.
func amFingerprint(al *vigil.Alert) string {
	if fp, ok := strings.CutPrefix(al.DedupKey, "am:"); ok {
		return fp
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%d\xff%s", al.ServiceID, al.DedupKey)
	return fmt.Sprintf("%016x", h.Sum64())
}

// holdNames maps the ids of the maintenance windows holding alerts to
// their names, and the ids of the alerts inhibiting others to their
// fingerprints (of alerts no longer firing, their id: the sweep releases
// what they muted shortly).
func (a *API) holdNames(ctx context.Context, alerts []*vigil.Alert) (map[int64]string, map[int64]string, error) {
	windows, sources := map[int64]string{}, map[int64]string{}
	byID := map[int64]*vigil.Alert{}
	needWindows := false
	for _, al := range alerts {
		byID[al.ID] = al
		needWindows = needWindows || (al.IncidentID == 0 && al.HeldByWindow != nil)
	}
	for _, al := range alerts {
		if id := al.InhibitedByAlert; al.IncidentID == 0 && id != nil {
			if src := byID[*id]; src != nil {
				sources[*id] = amFingerprint(src)
			} else {
				sources[*id] = strconv.FormatInt(*id, 10)
			}
		}
	}
	if needWindows {
		list, err := a.store.ListMaintenanceWindows(ctx)
		if err != nil {
			return nil, nil, err
		}
		for _, w := range list {
			windows[w.ID] = w.Name
		}
	}
	return windows, sources, nil
}

// silenceUUIDs maps the ids of the silences holding alerts to their UUIDs.
func (a *API) silenceUUIDs(ctx context.Context, alerts []*vigil.Alert) (map[int64]string, error) {
	seen := map[int64]string{}
	var ids []int64
	for _, al := range alerts {
		if al.IncidentID == 0 && al.SilencedBy != nil {
			if _, ok := seen[*al.SilencedBy]; !ok {
				seen[*al.SilencedBy] = ""
				ids = append(ids, *al.SilencedBy)
			}
		}
	}
	for len(ids) > 0 {
		n := min(len(ids), vigil.MaxPageSize)
		list, _, err := a.store.FindSilences(ctx, vigil.SilenceFilter{IDs: ids[:n], Limit: vigil.MaxPageSize})
		if err != nil {
			return nil, err
		}
		for _, s := range list {
			seen[s.ID] = s.UUID
		}
		ids = ids[n:]
	}
	return seen, nil
}

func (a *API) getAMAlerts(w http.ResponseWriter, r *http.Request) error {
	alerts, _, err := a.amAlerts(r)
	if err != nil {
		return amError(w, err)
	}
	WriteJSON(w, http.StatusOK, alerts)
	return nil
}

// getAMAlertGroups groups the alerts by incident: the group's labels are
// those all its alerts share.
func (a *API) getAMAlertGroups(w http.ResponseWriter, r *http.Request) error {
	alerts, incidents, err := a.amAlerts(r)
	if err != nil {
		return amError(w, err)
	}
	byIncident := map[int64]*AMAlertGroup{}
	var order []int64
	for i, al := range alerts {
		g := byIncident[incidents[i]]
		if g == nil {
			g = &AMAlertGroup{Labels: map[string]string{}, Receiver: al.Receivers[0]}
			for k, v := range al.Labels {
				g.Labels[k] = v
			}
			byIncident[incidents[i]] = g
			order = append(order, incidents[i])
		}
		for k, v := range g.Labels {
			if al.Labels[k] != v {
				delete(g.Labels, k)
			}
		}
		g.Alerts = append(g.Alerts, al)
	}
	sort.Slice(order, func(i, j int) bool { return order[i] < order[j] })
	groups := make([]AMAlertGroup, len(order))
	for i, id := range order {
		groups[i] = *byIncident[id]
	}
	WriteJSON(w, http.StatusOK, groups)
	return nil
}

// amError answers a bad query the way Alertmanager does (400 with a JSON
// string); other errors go to the usual envelope.
func amError(w http.ResponseWriter, err error) error {
	if vigil.ErrorCode(err) == vigil.CodeInvalid {
		WriteJSON(w, http.StatusBadRequest, vigil.ErrorField(err)+": "+vigil.ErrorMessage(err))
		return nil
	}
	return err
}

func (a *API) getAMReceivers(w http.ResponseWriter, r *http.Request) error {
	_, names, err := a.amScope(r.Context())
	if err != nil {
		return err
	}
	out := make([]AMReceiver, 0, len(names))
	for _, n := range names {
		out = append(out, AMReceiver{Name: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	WriteJSON(w, http.StatusOK, out)
	return nil
}

// getAMStatus describes this server as Alertmanager would: no cluster
// (replicas share the database instead), the build, and a configuration
// generated from the services the caller may see: never a secret.
func (a *API) getAMStatus(w http.ResponseWriter, r *http.Request) error {
	_, names, err := a.amScope(r.Context())
	if err != nil {
		return err
	}
	var st AMStatus
	st.Cluster.Status, st.Cluster.Peers = "disabled", []string{}
	st.Cluster.Name = "vigil"
	st.VersionInfo.Version = "vigil (devel)"
	if bi, ok := debug.ReadBuildInfo(); ok {
		st.VersionInfo.GoVersion = bi.GoVersion
		if bi.Main.Version != "" {
			st.VersionInfo.Version = "vigil " + bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				st.VersionInfo.Revision = s.Value
			case "vcs.time":
				st.VersionInfo.BuildDate = s.Value
			}
		}
	}
	list := make([]string, 0, len(names))
	for _, n := range names {
		list = append(list, n)
	}
	sort.Strings(list)
	var b strings.Builder
	b.WriteString("# Generated by Vigil: each service is a receiver. Routing, grouping and\n# notification are configured in Vigil itself.\n")
	fmt.Fprintf(&b, "global:\n  resolve_timeout: %s\n", a.resolveTimeout)
	if len(list) > 0 {
		fmt.Fprintf(&b, "route:\n  receiver: %s\n", strconv.Quote(list[0]))
	}
	b.WriteString("receivers:\n")
	for _, n := range list {
		fmt.Fprintf(&b, "  - name: %s\n", strconv.Quote(n))
	}
	st.Config.Original = b.String()
	st.Uptime = a.started
	WriteJSON(w, http.StatusOK, st)
	return nil
}
