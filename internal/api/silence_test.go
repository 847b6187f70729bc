package api_test

// Silences through the real server (authentication, middleware) over a
// fresh SQLite store per scenario: Vigil's API and Alertmanager's, their
// answers to bad input (400 naming the field, never 5xx), the scope of an
// integration key, and silenced alerts as both APIs show them.

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-oss/vigil/internal/server"
	"github.com/vigil-oss/vigil/internal/store"
	"github.com/vigil-oss/vigil/internal/vigil"
)

var silNow = time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)

type silEnv struct {
	t       *testing.T
	db      *store.DB
	clock   *vigil.ManualClock
	srv     *httptest.Server
	token   string
	svc     *vigil.Service
	key     string // integration key of svc
	other   *vigil.Service
	otherKy string
}

func newSilEnv(t *testing.T) *silEnv {
	t.Helper()
	clock := vigil.NewManualClock(silNow)
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	db, err := store.Open(context.Background(), store.Config{DataDir: migratedDir(t), Clock: clock, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	e := &silEnv{t: t, db: db, clock: clock, token: vigil.NewSecret(vigil.TokenPrefix)}
	ctx := context.Background()
	if _, err := db.CreateAPIToken(ctx, "ops", vigil.RoleAdmin, e.token); err != nil {
		t.Fatal(err)
	}
	mk := func(name string) (*vigil.Service, string) {
		s := &vigil.Service{Name: name}
		if err := db.CreateService(ctx, s); err != nil {
			t.Fatal(err)
		}
		k, err := db.CreateIntegrationKey(ctx, s.ID, name+"-prometheus")
		if err != nil {
			t.Fatal(err)
		}
		return s, k.Secret
	}
	e.svc, e.key = mk("checkout")
	e.other, e.otherKy = mk("search")
	s := server.New(server.Deps{Store: db, Clock: clock, Logger: logger, Registry: prometheus.NewRegistry()})
	e.srv = httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		e.srv.Close()
		db.Close()
		if out := logs.String(); strings.Contains(out, `"level":"ERROR"`) {
			t.Errorf("error lines in the log:\n%s", out)
		}
	})
	return e
}

// do sends a request with bearer (none when empty) and returns status and
// body.
func (e *silEnv) do(method, path, bearer, body string) (int, string) {
	e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func (e *silEnv) mustDo(method, path, bearer, body string, status int, out any) {
	e.t.Helper()
	got, b := e.do(method, path, bearer, body)
	if got != status {
		e.t.Fatalf("%s %s: %d %s, want %d", method, path, got, b, status)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(b), out); err != nil {
			e.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

const in1h = "2026-04-01T10:00:00Z"

func TestSilenceAPIBadInput(t *testing.T) {
	e := newSilEnv(t)
	cases := []struct {
		name, method, path, body string
		status                   int
		contains                 string
	}{
		{"v1 no matchers", "POST", "/api/v1/silences", `{"duration":"1h","comment":"x"}`, 400, `"field":"matchers"`},
		{"v1 bad matcher", "POST", "/api/v1/silences", `{"matchers":["alertname"],"duration":"1h"}`, 400, `"field":"matchers[0]"`},
		{"v1 bad regex", "POST", "/api/v1/silences", `{"matchers":["a=~\"(\""],"duration":"1h"}`, 400, `"field":"matchers[0]"`},
		{"v1 matches everything", "POST", "/api/v1/silences", `{"matchers":["team=~\".*\""],"duration":"1h"}`, 400, `"field":"matchers"`},
		{"v1 no end", "POST", "/api/v1/silences", `{"matchers":["a=b"]}`, 400, `"field":"ends_at"`},
		{"v1 both ends", "POST", "/api/v1/silences", `{"matchers":["a=b"],"duration":"1h","ends_at":"` + in1h + `"}`, 400, `"field":"duration"`},
		{"v1 end in the past", "POST", "/api/v1/silences", `{"matchers":["a=b"],"starts_at":"2026-03-01T00:00:00Z","ends_at":"2026-03-02T00:00:00Z"}`, 400, `"field":"ends_at"`},
		{"v1 negative duration", "POST", "/api/v1/silences", `{"matchers":["a=b"],"duration":"-1h"}`, 400, `"field":"duration"`},
		{"v1 unknown field", "POST", "/api/v1/silences", `{"matchers":["a=b"],"duration":"1h","until":"x"}`, 400, `"field":"until"`},
		{"v1 long comment", "POST", "/api/v1/silences", `{"matchers":["a=b"],"duration":"1h","comment":"` + strings.Repeat("c", 5000) + `"}`, 400, `"field":"comment"`},
		{"v1 unknown service", "POST", "/api/v1/silences", `{"matchers":["a=b"],"duration":"1h","service_id":999}`, 400, `"field":"service_id"`},
		{"v1 matcher not a string", "POST", "/api/v1/silences", `{"matchers":[{"name":"a"}],"duration":"1h"}`, 400, `"field":"matchers`},
		{"v1 bad state", "GET", "/api/v1/silences?state=muted", "", 400, `"field":"state"`},
		{"v1 bad unused_for", "GET", "/api/v1/silences?unused_for=soon", "", 400, `"field":"unused_for"`},
		{"v1 bad id", "GET", "/api/v1/silences/abc", "", 400, `"field":"id"`},
		{"v1 unknown id", "GET", "/api/v1/silences/42", "", 404, `"code":"not_found"`},
		{"v1 unknown uuid", "DELETE", "/api/v1/silences/3f0c1b9e-2d4a-4c8e-9f00-0123456789ab", "", 404, `"code":"not_found"`},
		{"am not JSON", "POST", "/api/v2/silences", `{"matchers":`, 400, `malformed JSON`},
		{"am array", "POST", "/api/v2/silences", `[]`, 400, `must be a JSON object`},
		{"am no matchers", "POST", "/api/v2/silences", `{"endsAt":"` + in1h + `","createdBy":"a","comment":"c"}`, 400, `"matchers: at least one matcher`},
		{"am no end", "POST", "/api/v2/silences", `{"matchers":[{"name":"a","value":"b","isRegex":false}],"createdBy":"a","comment":"c"}`, 400, `"endsAt: is required`},
		{"am bad end", "POST", "/api/v2/silences", `{"matchers":[{"name":"a","value":"b","isRegex":false}],"endsAt":"tomorrow"}`, 400, `"endsAt: must be an RFC 3339 time`},
		{"am end before start", "POST", "/api/v2/silences", `{"matchers":[{"name":"a","value":"b","isRegex":false}],"startsAt":"` + in1h + `","endsAt":"2026-04-01T09:30:00Z"}`, 400, `"endsAt: must be after startsAt`},
		{"am end in the past", "POST", "/api/v2/silences", `{"matchers":[{"name":"a","value":"b","isRegex":false}],"startsAt":"2026-03-01T00:00:00Z","endsAt":"2026-03-01T01:00:00Z"}`, 400, `"endsAt: must be in the future`},
		{"am bad regex", "POST", "/api/v2/silences", `{"matchers":[{"name":"a","value":"(","isRegex":true}],"endsAt":"` + in1h + `"}`, 400, `"matchers[0].value: is not a valid regular expression`},
		{"am empty name", "POST", "/api/v2/silences", `{"matchers":[{"name":"","value":"b","isRegex":false}],"endsAt":"` + in1h + `"}`, 400, `"matchers[0].name: is required`},
		{"am matches everything", "POST", "/api/v2/silences", `{"matchers":[{"name":"a","value":"","isRegex":false}],"endsAt":"` + in1h + `"}`, 400, `"matchers: at least one matcher must not match the empty string`},
		{"am isRegex a string", "POST", "/api/v2/silences", `{"matchers":[{"name":"a","value":"b","isRegex":"yes"}],"endsAt":"` + in1h + `"}`, 400, `isRegex`},
		{"am unknown id", "POST", "/api/v2/silences", `{"id":"3f0c1b9e-2d4a-4c8e-9f00-0123456789ab","matchers":[{"name":"a","value":"b","isRegex":false}],"endsAt":"` + in1h + `"}`, 404, `not_found`},
		{"am id not a uuid", "POST", "/api/v2/silences", `{"id":"42","matchers":[{"name":"a","value":"b","isRegex":false}],"endsAt":"` + in1h + `"}`, 404, `not_found`},
		{"am NUL in comment", "POST", "/api/v2/silences", `{"matchers":[{"name":"a","value":"b","isRegex":false}],"endsAt":"` + in1h + `","comment":"a\u0000b"}`, 400, `"comment: must not contain NUL`},
		{"am get not a uuid", "GET", "/api/v2/silence/42", "", 400, `"silenceID: must be a silence UUID"`},
		{"am get unknown", "GET", "/api/v2/silence/3f0c1b9e-2d4a-4c8e-9f00-0123456789ab", "", 404, `not_found`},
		{"am delete unknown", "DELETE", "/api/v2/silence/3f0c1b9e-2d4a-4c8e-9f00-0123456789ab", "", 404, `not_found`},
		{"am bad filter", "GET", "/api/v2/silences?filter=alertname", "", 400, `"filter: `},
		{"am bad state flag", "GET", "/api/v2/silences?expired=maybe", "", 400, `"expired: must be true or false"`},
	}
	for _, c := range cases {
		status, body := e.do(c.method, c.path, e.token, c.body)
		if status != c.status || !strings.Contains(body, c.contains) {
			t.Errorf("%s: %d %s, want %d with %s", c.name, status, body, c.status, c.contains)
		}
	}
	if status, body := e.do("GET", "/api/v1/silences", e.token, ""); status != 200 || !strings.Contains(body, `"total":0`) {
		t.Errorf("refused silences were stored: %s", body)
	}
	// Without a credential: 401 on both APIs.
	for _, p := range []string{"/api/v1/silences", "/api/v2/silences"} {
		if status, _ := e.do("GET", p, "", ""); status != 401 {
			t.Errorf("GET %s without credentials: %d", p, status)
		}
	}
	// Vigil's own API takes no integration key.
	if status, _ := e.do("GET", "/api/v1/silences", e.key, ""); status != 401 {
		t.Errorf("GET /api/v1/silences with an integration key: %d", status)
	}
}

func TestSilenceAPIv1(t *testing.T) {
	e := newSilEnv(t)
	var s vigil.Silence
	e.mustDo("POST", "/api/v1/silences", e.token,
		`{"matchers":["alertname=\"Disk full\"","instance=~\"db-.*\""],"duration":"2h","comment":"swap disks","expire_on_resolve":true}`, 201, &s)
	if s.ID == 0 || s.UUID == "" || s.State != vigil.SilenceActive || s.CreatedBy != "ops" || !s.StartsAt.Equal(silNow) ||
		!s.EndsAt.Equal(silNow.Add(2*time.Hour)) || !s.ExpireOnResolve || len(s.Matchers) != 2 ||
		s.Matchers[1] != (vigil.SilenceMatcher{Name: "instance", Value: "db-.*", IsRegex: true, IsEqual: true}) {
		t.Fatalf("created %+v", s)
	}
	var got vigil.Silence
	e.mustDo("GET", "/api/v1/silences/"+s.UUID, e.token, "", 200, &got)
	if got.ID != s.ID {
		t.Errorf("by UUID: %+v", got)
	}
	var list struct {
		Items []vigil.Silence `json:"items"`
		Total int             `json:"total"`
	}
	e.mustDo("GET", "/api/v1/silences?state=active", e.token, "", 200, &list)
	if list.Total != 1 || list.Items[0].ID != s.ID {
		t.Errorf("active list = %+v", list)
	}
	// An hour later, still active, it has held no alert.
	e.clock.Set(silNow.Add(time.Hour))
	e.mustDo("GET", "/api/v1/silences?unused_for=30m", e.token, "", 200, &list)
	if list.Total != 1 {
		t.Errorf("unused for 30m = %d", list.Total)
	}
	e.mustDo("GET", "/api/v1/silences?unused_for=2h", e.token, "", 200, &list)
	if list.Total != 0 {
		t.Errorf("unused for 2h = %d", list.Total)
	}
	var exp vigil.Silence
	e.mustDo("DELETE", "/api/v1/silences/"+itoa(s.ID), e.token, "", 200, &exp)
	if exp.State != vigil.SilenceExpired || !exp.EndsAt.Equal(silNow.Add(time.Hour)) {
		t.Errorf("expired = %+v", exp)
	}
	e.mustDo("GET", "/api/v1/silences?state=active,pending", e.token, "", 200, &list)
	if list.Total != 0 {
		t.Errorf("after expiry: %+v", list)
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

type amSil struct {
	ID     string `json:"id"`
	Status struct {
		State string `json:"state"`
	} `json:"status"`
	Matchers []struct {
		Name    string `json:"name"`
		Value   string `json:"value"`
		IsRegex bool   `json:"isRegex"`
		IsEqual *bool  `json:"isEqual"`
	} `json:"matchers"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
	UpdatedAt   time.Time         `json:"updatedAt"`
	CreatedBy   string            `json:"createdBy"`
	Comment     string            `json:"comment"`
	Annotations map[string]string `json:"annotations"`
}

func TestSilenceAPIAlertmanager(t *testing.T) {
	e := newSilEnv(t)
	post := func(bearer, body string) string {
		t.Helper()
		var out struct {
			SilenceID string `json:"silenceID"`
		}
		e.mustDo("POST", "/api/v2/silences", bearer, body, 200, &out)
		if out.SilenceID == "" {
			t.Fatal("no silenceID")
		}
		return out.SilenceID
	}
	// As amtool sends it (isEqual absent: true).
	id := post(e.token, `{"matchers":[{"name":"alertname","value":"DiskFull","isRegex":false},{"name":"env","value":"dev","isRegex":false,"isEqual":false}],
		"startsAt":"2026-04-01T08:59:00Z","endsAt":"`+in1h+`","createdBy":"amtool-user","comment":"swap"}`)
	var s amSil
	e.mustDo("GET", "/api/v2/silence/"+id, e.token, "", 200, &s)
	if s.ID != id || s.Status.State != "active" || !s.StartsAt.Equal(silNow) || s.CreatedBy != "amtool-user" || s.Annotations == nil ||
		len(s.Matchers) != 2 || s.Matchers[0].IsEqual == nil || !*s.Matchers[0].IsEqual || *s.Matchers[1].IsEqual {
		t.Fatalf("GET silence = %+v", s)
	}
	// A change of comment and end only: in place, same id.
	e.clock.Advance(time.Minute)
	if got := post(e.token, `{"id":"`+id+`","matchers":[{"name":"alertname","value":"DiskFull","isRegex":false},{"name":"env","value":"dev","isRegex":false,"isEqual":false}],
		"startsAt":"2026-04-01T09:00:00Z","endsAt":"2026-04-01T12:00:00Z","createdBy":"amtool-user","comment":"longer"}`); got != id {
		t.Errorf("in-place update answered %s, want %s", got, id)
	}
	// New matchers: replaced; the old one expired.
	id2 := post(e.token, `{"id":"`+id+`","matchers":[{"name":"alertname","value":"DiskFull","isRegex":false}],
		"startsAt":"2026-04-01T09:00:00Z","endsAt":"2026-04-01T12:00:00Z","createdBy":"amtool-user","comment":"all envs"}`)
	if id2 == id {
		t.Fatal("changed matchers kept the id")
	}
	e.mustDo("GET", "/api/v2/silence/"+id, e.token, "", 200, &s)
	if s.Status.State != "expired" || s.Comment != "longer" {
		t.Errorf("replaced silence = %+v", s)
	}
	pending := post(e.token, `{"matchers":[{"name":"job","value":"backup.*","isRegex":true}],"startsAt":"2026-04-02T00:00:00Z","endsAt":"2026-04-02T02:00:00Z","createdBy":"a","comment":"night"}`)

	var list []amSil
	e.mustDo("GET", "/api/v2/silences", e.token, "", 200, &list)
	if len(list) != 3 || list[0].ID != id2 || list[1].ID != pending || list[2].ID != id {
		t.Errorf("list order (active, pending, expired) = %v", ids(list))
	}
	e.mustDo("GET", `/api/v2/silences?filter=alertname%3D%22DiskFull%22`, e.token, "", 200, &list)
	if len(list) != 2 {
		t.Errorf("filter alertname=DiskFull = %v", ids(list))
	}
	e.mustDo("GET", `/api/v2/silences?filter=job%3D~%22backup.*%22`, e.token, "", 200, &list)
	if len(list) != 1 || list[0].ID != pending {
		t.Errorf("filter job=~backup.* = %v", ids(list))
	}
	e.mustDo("GET", `/api/v2/silences?expired=false&pending=false`, e.token, "", 200, &list)
	if len(list) != 1 || list[0].ID != id2 {
		t.Errorf("active only = %v", ids(list))
	}
	if status, body := e.do("DELETE", "/api/v2/silence/"+id2, e.token, ""); status != 200 || body != "" {
		t.Errorf("DELETE = %d %q", status, body)
	}
	e.mustDo("GET", "/api/v2/silence/"+id2, e.token, "", 200, &s)
	if s.Status.State != "expired" || !s.EndsAt.Equal(silNow.Add(time.Minute)) {
		t.Errorf("after DELETE: %+v", s)
	}
	// Expired silences leave the Alertmanager list 120 hours after their
	// end (the pending one ended last, at 2026-04-02T02:00).
	e.clock.Set(time.Date(2026, 4, 7, 2, 0, 1, 0, time.UTC))
	e.mustDo("GET", "/api/v2/silences", e.token, "", 200, &list)
	if len(list) != 0 {
		t.Errorf("list after the retention = %v", ids(list))
	}
}

func ids(list []amSil) []string {
	var out []string
	for _, s := range list {
		out = append(out, s.ID+":"+s.Status.State)
	}
	return out
}

// An integration key manages its own service's silences only.
func TestSilenceAPIIntegrationKeyScope(t *testing.T) {
	e := newSilEnv(t)
	body := func(name string) string {
		return `{"matchers":[{"name":"alertname","value":"` + name + `","isRegex":false}],"endsAt":"` + in1h + `","createdBy":"x","comment":"c"}`
	}
	var own, theirs, global struct {
		SilenceID string `json:"silenceID"`
	}
	e.mustDo("POST", "/api/v2/silences", e.key, body("Own"), 200, &own)
	e.mustDo("POST", "/api/v2/silences", e.otherKy, body("Theirs"), 200, &theirs)
	e.mustDo("POST", "/api/v2/silences", e.token, body("Global"), 200, &global)
	var v1 vigil.Silence
	e.mustDo("GET", "/api/v1/silences/"+own.SilenceID, e.token, "", 200, &v1)
	if v1.ServiceID == nil || *v1.ServiceID != e.svc.ID {
		t.Fatalf("a key's silence is not limited to its service: %+v", v1)
	}
	var list []amSil
	e.mustDo("GET", "/api/v2/silences", e.key, "", 200, &list)
	if got := ids(list); len(got) != 2 || strings.Contains(strings.Join(got, ","), theirs.SilenceID) {
		t.Errorf("the key sees %v, want its own and the global one", got)
	}
	if status, _ := e.do("GET", "/api/v2/silence/"+theirs.SilenceID, e.key, ""); status != 404 {
		t.Errorf("GET of another service's silence: %d", status)
	}
	if status, _ := e.do("DELETE", "/api/v2/silence/"+theirs.SilenceID, e.key, ""); status != 404 {
		t.Errorf("DELETE of another service's silence: %d", status)
	}
	if status, body := e.do("DELETE", "/api/v2/silence/"+global.SilenceID, e.key, ""); status != 403 || !strings.Contains(body, "API token") {
		t.Errorf("DELETE of a global silence with a key: %d %s", status, body)
	}
	if status, _ := e.do("POST", "/api/v2/silences", e.key, `{"id":"`+global.SilenceID+`","matchers":[{"name":"alertname","value":"Global","isRegex":false}],"endsAt":"2026-04-01T11:00:00Z"}`); status != 403 {
		t.Errorf("update of a global silence with a key: %d", status)
	}
	if status, _ := e.do("DELETE", "/api/v2/silence/"+own.SilenceID, e.key, ""); status != 200 {
		t.Errorf("DELETE of its own silence: %d", status)
	}
	// A token's change keeps a service's silence limited to the service.
	var upd struct {
		SilenceID string `json:"silenceID"`
	}
	e.mustDo("POST", "/api/v2/silences", e.token, `{"id":"`+theirs.SilenceID+`","matchers":[{"name":"alertname","value":"Theirs2","isRegex":false}],"endsAt":"`+in1h+`","createdBy":"x","comment":"c"}`, 200, &upd)
	e.mustDo("GET", "/api/v1/silences/"+upd.SilenceID, e.token, "", 200, &v1)
	if v1.ServiceID == nil || *v1.ServiceID != e.other.ID {
		t.Errorf("token update dropped the service: %+v", v1)
	}
}

// A silenced alert: stored, listed on both APIs, suppressed on
// Alertmanager's, no incident; it pages once the silence is expired.
func TestSilencedAlertOnBothAPIs(t *testing.T) {
	e := newSilEnv(t)
	var sil struct {
		SilenceID string `json:"silenceID"`
	}
	e.mustDo("POST", "/api/v2/silences", e.key, `{"matchers":[{"name":"alertname","value":"DiskFull","isRegex":false}],"endsAt":"`+in1h+`","createdBy":"x","comment":"c"}`, 200, &sil)
	var posted struct {
		Results []vigil.EventResult `json:"results"`
	}
	e.mustDo("POST", "/api/v2/alerts", e.key, `[{"labels":{"alertname":"DiskFull","instance":"db-1"}},{"labels":{"alertname":"HighCPU"}}]`, 200, &posted)
	if len(posted.Results) != 2 || posted.Results[0].SilencedBy == 0 || posted.Results[0].IncidentID != 0 || posted.Results[1].IncidentID == 0 {
		t.Fatalf("results = %+v", posted.Results)
	}
	var alerts []struct {
		Labels map[string]string `json:"labels"`
		Status struct {
			State      string   `json:"state"`
			SilencedBy []string `json:"silencedBy"`
		} `json:"status"`
	}
	e.mustDo("GET", "/api/v2/alerts", e.key, "", 200, &alerts)
	states := map[string]string{}
	for _, a := range alerts {
		states[a.Labels["alertname"]] = a.Status.State + ":" + strings.Join(a.Status.SilencedBy, ",")
	}
	if states["DiskFull"] != "suppressed:"+sil.SilenceID || states["HighCPU"] != "active:" {
		t.Errorf("AM alert states = %v", states)
	}
	e.mustDo("GET", "/api/v2/alerts?silenced=false", e.key, "", 200, &alerts)
	if len(alerts) != 1 || alerts[0].Labels["alertname"] != "HighCPU" {
		t.Errorf("silenced=false = %+v", alerts)
	}
	e.mustDo("GET", "/api/v2/alerts?active=false", e.key, "", 200, &alerts)
	if len(alerts) != 1 || alerts[0].Labels["alertname"] != "DiskFull" {
		t.Errorf("active=false = %+v", alerts)
	}
	var v1 struct {
		Items []map[string]any `json:"items"`
	}
	e.mustDo("GET", "/api/v1/alerts", e.token, "", 200, &v1)
	held := 0
	for _, a := range v1.Items {
		if a["silenced_by"] != nil {
			held++
			if _, ok := a["incident_id"]; ok {
				t.Errorf("held alert shows an incident: %v", a)
			}
		}
	}
	if len(v1.Items) != 2 || held != 1 {
		t.Errorf("v1 alerts = %v", v1.Items)
	}
	var incs struct {
		Total int `json:"total"`
	}
	e.mustDo("GET", "/api/v1/incidents", e.token, "", 200, &incs)
	if incs.Total != 1 {
		t.Errorf("%d incidents, want only HighCPU's", incs.Total)
	}
	// amtool silence expire: the held alert pages now.
	e.mustDo("DELETE", "/api/v2/silence/"+sil.SilenceID, e.key, "", 200, nil)
	e.mustDo("GET", "/api/v2/alerts", e.key, "", 200, &alerts)
	for _, a := range alerts {
		if a.Status.State != "active" {
			t.Errorf("after expiry: %+v", a)
		}
	}
	e.mustDo("GET", "/api/v1/incidents", e.token, "", 200, &incs)
	if incs.Total < 1 {
		t.Errorf("no incident after the silence was expired")
	}
	a, _, err := e.db.FindAlerts(context.Background(), vigil.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, al := range a {
		if al.IncidentID == 0 {
			t.Errorf("alert %s still without an incident", al.DedupKey)
		}
	}
}
