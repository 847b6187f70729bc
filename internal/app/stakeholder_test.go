package app

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/client"
	"github.com/vigil-oss/vigil/internal/notify/email/smtptest"
	"github.com/vigil-oss/vigil/internal/notify/slack/slacktest"
	"github.com/vigil-oss/vigil/internal/notify/teams/teamstest"
	"github.com/vigil-oss/vigil/internal/notify/webhook/webhooktest"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Status updates end to end: two stakeholder groups with Slack, e-mail
// and webhook channels (and Teams for one), an incident that also pages
// its responder, an update posted through the HTTP API. Each channel's
// fake gets exactly one message with the text, labelled a status update
// and without the acknowledge and resolve actions the responder's page
// carries; the timeline says who told whom. A second update naming no
// group reaches the groups by severity only.
func TestStatusUpdatesReachStakeholders(t *testing.T) {
	const (
		webhookSecret = "whsec-stakeholders-0123456789"
		slackToken    = "xoxb-stakeholders-test"
	)
	hook := webhooktest.New(t, webhookSecret)
	slackFake := slacktest.New(t, slackToken)
	smtpFake := smtptest.New(t, smtptest.Options{Hostname: "smtp.stakeholders.test"})
	teamsFake := teamstest.New(t)
	token := vigil.NewSecret(vigil.TokenPrefix)
	clock := vigil.NewManualClock(time.Now().UTC().Truncate(time.Second))
	a := startApp(t, Config{DataDir: t.TempDir(), Clock: clock, EngineInterval: -1, AdminToken: token,
		Channels: Channels{
			WebhookSecret: webhookSecret,
			SlackToken:    slackToken, SlackBaseURL: slackFake.URL,
			SMTPHost: smtpFake.Host, SMTPPort: smtpFake.Port, SMTPFrom: "Vigil <vigil@vigil.test>", SMTPTLS: "none",
		}})
	ctx := context.Background()

	// The incident pages Ana on her webhook (/page): the control that
	// shows this server does put acknowledge links in pages.
	_, key := pagedService(t, a, hook.URL)
	postEvent(t, a, key, `{"dedup_key":"5xx","summary":"Checkout answers 5xx","severity":"critical"}`)
	incs, _, err := a.Store().FindIncidents(ctx, vigil.IncidentFilter{})
	if err != nil || len(incs) != 1 {
		t.Fatalf("incidents %v (%v)", incs, err)
	}
	inc := incs[0]

	c := client.New(a.URL(), token)
	support, err := c.CreateStakeholderGroup(ctx, client.StakeholderGroupInput{Name: "Customer support", MinSeverity: vigil.SeverityCritical,
		Channels: []vigil.StakeholderChannel{
			{Type: vigil.ContactSlack, Address: "C0SUPPORT1"},
			{Type: vigil.ContactEmail, Address: "support@example.com"},
			{Type: vigil.ContactWebhook, Address: hook.URL + "/support"},
		}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateStakeholderGroup(ctx, client.StakeholderGroupInput{Name: "Executives", // hears only when named
		Channels: []vigil.StakeholderChannel{
			{Type: vigil.ContactSlack, Address: "#exec-updates"},
			{Type: vigil.ContactEmail, Address: "exec@example.com"},
			{Type: vigil.ContactWebhook, Address: hook.URL + "/exec"},
			{Type: vigil.ContactTeams, Address: teamsFake.URL + "/workflows/exec"},
		}}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(support.Channels[2].Address, "/support") {
		t.Errorf("the webhook URL is not masked in the answer: %q", support.Channels[2].Address)
	}

	const first = "We are rolling back the 14:02 deploy. Next update in 30 minutes."
	u, err := c.PostStatusUpdate(ctx, inc.ID, vigil.StatusUpdateInput{Message: first, Groups: []string{"customer support", "Executives"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(u.Groups, []string{"Customer support", "Executives"}) || len(u.Messages) != 7 {
		t.Fatalf("update told %v with %d messages, want both groups and 7", u.Groups, len(u.Messages))
	}
	runCycles(t, a)

	// Webhooks: the page with its links, and one status update per group.
	reqs := hook.Requests()
	byPath := map[string][]webhooktest.Request{}
	for _, r := range reqs {
		byPath[r.Path] = append(byPath[r.Path], r)
	}
	if len(reqs) != 3 || len(byPath["/page"]) != 1 || len(byPath["/support"]) != 1 || len(byPath["/exec"]) != 1 {
		t.Fatalf("webhook requests by path: %v", paths(reqs))
	}
	if p := byPath["/page"][0].Payload; p.Kind != "page" || p.AckURL == "" {
		t.Errorf("the control page has no acknowledge link (%+v): the checks below would prove nothing", p)
	}
	for _, path := range []string{"/support", "/exec"} {
		r := byPath[path][0]
		p := r.Payload
		if r.SignatureErr != nil {
			t.Errorf("%s: signature %v", path, r.SignatureErr)
		}
		if p.Kind != "status" || p.Body != first || p.Title != "Checkout answers 5xx" || p.IncidentID != inc.ID || p.Severity != "critical" ||
			p.AckURL != "" || p.ResolveURL != "" || !strings.HasSuffix(p.URL, "/incidents/"+strconv.FormatInt(inc.ID, 10)) {
			t.Errorf("%s: payload %+v", path, p)
		}
	}

	// Slack: one post per channel, labelled, with the text, no buttons
	// that act on the incident.
	posts := slackFake.Delivered()
	if len(posts) != 2 {
		t.Fatalf("%d Slack posts, want 2", len(posts))
	}
	channels := []string{posts[0].Channel, posts[1].Channel}
	slices.Sort(channels)
	if !slices.Equal(channels, []string{"#exec-updates", "C0SUPPORT1"}) {
		t.Errorf("Slack channels %v", channels)
	}
	for _, p := range posts {
		if !strings.HasPrefix(p.Section(), "*Status update: #"+strconv.FormatInt(inc.ID, 10)+" Checkout answers 5xx*") || !strings.Contains(p.Section(), first) {
			t.Errorf("Slack section %q", p.Section())
		}
		for _, id := range []string{"vigil_ack", "vigil_resolve"} {
			if _, ok := p.Button(id); ok {
				t.Errorf("Slack post to %s has the %s button", p.Channel, id)
			}
		}
	}

	// E-mail: one per list.
	mails, err := smtpFake.WaitFor(2, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var to []string
	for _, m := range mails {
		to = append(to, m.To...)
		if !strings.HasPrefix(m.Subject, "[Vigil] Status update: #"+strconv.FormatInt(inc.ID, 10)+" critical: Checkout answers 5xx") ||
			!strings.Contains(m.Text, first) || strings.Contains(m.Text+m.HTML, "Acknowledge") || strings.Contains(m.Text+m.HTML, "Resolve") {
			t.Errorf("mail %q:\n%s", m.Subject, m.Text)
		}
	}
	slices.Sort(to)
	if !slices.Equal(to, []string{"exec@example.com", "support@example.com"}) {
		t.Errorf("mail went to %v", to)
	}

	// Teams: one card, no actions but opening the incident.
	cards := teamsFake.Requests()
	if len(cards) != 1 || cards[0].CardErr != nil {
		t.Fatalf("%d Teams requests (%v)", len(cards), cards)
	}
	if texts := strings.Join(cards[0].Texts(), "\n"); !strings.Contains(texts, "Status update: #") || !strings.Contains(texts, first) {
		t.Errorf("Teams card texts:\n%s", texts)
	}
	for _, act := range cards[0].Card().Actions {
		if act.Title != "Open incident" {
			t.Errorf("Teams card action %q", act.Title)
		}
	}

	// The timeline says who told whom.
	tl, err := a.Store().FindTimeline(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range tl {
		if e.Kind == vigil.EntryStatusUpdate {
			found = true
			if e.Message != "Status update to Customer support, Executives: "+first || e.Actor != "admin" || e.ID != u.ID {
				t.Errorf("timeline entry %+v", e)
			}
		}
	}
	if !found {
		t.Error("no status update on the timeline")
	}

	// Naming no group: the groups whose min_severity the incident
	// reaches, here Customer support only.
	const second = "The deploy is rolled back; error rates are normal."
	u, err = c.PostStatusUpdate(ctx, inc.ID, vigil.StatusUpdateInput{Message: second})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(u.Groups, []string{"Customer support"}) || len(u.Messages) != 3 {
		t.Fatalf("second update told %v with %d messages", u.Groups, len(u.Messages))
	}
	runCycles(t, a)
	if got := hook.Requests(); len(got) != 4 || got[3].Path != "/support" || got[3].Payload.Body != second {
		t.Errorf("webhook requests after the second update: %v", paths(got))
	}
	if posts := slackFake.Delivered(); len(posts) != 3 || posts[2].Channel != "C0SUPPORT1" || !strings.Contains(posts[2].Section(), second) {
		t.Errorf("Slack posts after the second update: %d", len(posts))
	}
	if mails, err := smtpFake.WaitFor(3, 5*time.Second); err != nil || len(mails) != 3 || mails[2].To[0] != "support@example.com" {
		t.Errorf("mails after the second update: %d (%v)", len(mails), err)
	}
	if n := len(teamsFake.Requests()); n != 1 {
		t.Errorf("%d Teams requests: Executives heard the second update", n)
	}

	// Both updates, newest first, every message delivered.
	ups, err := c.StatusUpdates(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 2 || ups[0].Message != second || ups[1].Message != first {
		t.Fatalf("updates %+v", ups)
	}
	for _, up := range ups {
		for _, m := range up.Messages {
			if m.Status != vigil.NotificationSent {
				t.Errorf("%s %s (%s): %s %s", m.Group, m.Channel, m.DestType, m.Status, m.LastError)
			}
		}
	}
}

// runCycles runs engine cycles until one sends nothing.
func runCycles(t *testing.T, a *App) {
	t.Helper()
	for range 10 {
		st, err := a.EngineCycle(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st.Sent == 0 && st.Retried == 0 && st.Failed == 0 {
			return
		}
	}
	t.Fatal("the engine kept sending")
}

func paths(reqs []webhooktest.Request) []string {
	out := make([]string, len(reqs))
	for i, r := range reqs {
		out[i] = r.Path
	}
	return out
}
