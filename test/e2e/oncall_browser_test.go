package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// TestBrowserScheduleOverride drives the schedule page in headless
// Chromium: a two-person Berlin rotation made through the API shows its
// first member on call; the override form, filled in Berlin time, puts the
// second one on call for the next hours, and the page says so after the
// redirect. The server runs on a fixed clock so "now" is known.
func TestBrowserScheduleOverride(t *testing.T) {
	requireBrowser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// Monday 4 May 2026, 10:00 in Berlin (CEST, UTC+2).
	now := time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	base, token := startBrowserApp(ctx, t, vigil.NewManualClock(now))

	// Seed through the API: two people and a weekly rotation handing over
	// on Mondays at 09:00 Berlin time, Ana first (her turn began an hour ago).
	var ana, ben struct {
		ID   int64
		Name string
	}
	browserAPI(ctx, t, "POST", base+"/api/v1/users", token, map[string]any{"name": "Ana Alvarez", "email": "ana@example.com"}, &ana)
	browserAPI(ctx, t, "POST", base+"/api/v1/users", token, map[string]any{"name": "Ben Brandt", "email": "ben@example.com"}, &ben)
	var sched struct{ ID int64 }
	browserAPI(ctx, t, "POST", base+"/api/v1/schedules", token, map[string]any{
		"name": "Primary", "time_zone": "Europe/Berlin",
		"layers": []map[string]any{{
			"name": "weekly", "start": time.Date(2026, 5, 4, 9, 0, 0, 0, berlin).Format(time.RFC3339),
			"turn_unit": "week", "turn_count": 1, "members": []int64{ana.ID, ben.ID},
		}},
	}, &sched)
	schedulePage := fmt.Sprintf("%s/schedules/%d", base, sched.ID)

	bctx, step := startBrowser(ctx, t)
	textOf := func(sel string) string { t.Helper(); return readText(t, bctx, sel) }

	step("sign in", signIn(base)...)
	step("open the schedules",
		chromedp.Click(chromedp.CSS(`nav a[href="/schedules"]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#schedule-%d a[href="/schedules/%d"]`, sched.ID, sched.ID))),
	)
	if row := textOf(fmt.Sprintf(`#schedule-%d .on-call`, sched.ID)); !strings.Contains(row, "Ana Alvarez") {
		t.Errorf("schedule list: on call now = %q, want Ana Alvarez", row)
	}
	step("open the schedule",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#schedule-%d a[href="/schedules/%d"]`, sched.ID, sched.ID))),
		chromedp.WaitVisible(chromedp.CSS(`#on-call-now`)),
	)
	if loc, err := chromedp.Run(bctx, chromedp.Location()); err != nil || loc != schedulePage {
		t.Fatalf("the browser is at %q (%v), want %s", loc, err, schedulePage)
	}
	if who := textOf(`#on-call-now`); !strings.Contains(who, "Ana Alvarez") || strings.Contains(who, "override") {
		t.Fatalf("on call now = %q, want Ana Alvarez by rotation", who)
	}
	// The timeline is drawn: 15 day bars, no inline style needed.
	bars, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll('#timeline svg rect.seg').length`))
	if err != nil || bars < 15 {
		t.Errorf("timeline segments = %d (%v), want one per day at least", bars, err)
	}
	screenshot(t, bctx, "schedule.png")

	// Ben takes over from now (10:00 Berlin) to 15:00 Berlin.
	step("fill and submit the override form",
		chromedp.SetValue(chromedp.CSS(`#override-user`), fmt.Sprint(ben.ID)),
		chromedp.SetValue(chromedp.CSS(`#override-start`), now.In(berlin).Format("2006-01-02T15:04")),
		chromedp.SetValue(chromedp.CSS(`#override-end`), now.In(berlin).Add(5*time.Hour).Format("2006-01-02T15:04")),
		chromedp.Click(chromedp.CSS(`#override-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash-ok`)),
	)
	if loc, err := chromedp.Run(bctx, chromedp.Location()); err != nil || loc != schedulePage {
		t.Errorf("after the override the browser is at %q (%v), want %s", loc, err, schedulePage)
	}
	if flash := textOf(`.flash`); !strings.Contains(flash, "Ben Brandt is on call from Mon 04 May 10:00 CEST to Mon 04 May 15:00 CEST") {
		t.Errorf("flash = %q", flash)
	}
	who := textOf(`#on-call-now`)
	if !strings.Contains(who, "Ben Brandt") || !strings.Contains(who, "override") || !strings.Contains(who, "until Mon 04 May 15:00 CEST") {
		t.Errorf("on call now after the override = %q, want Ben Brandt by override until 15:00 CEST", who)
	}
	if next := textOf(`#on-call-next`); !strings.Contains(next, "Ana Alvarez") || !strings.Contains(next, "Mon 04 May 15:00 CEST") {
		t.Errorf("next = %q, want Ana Alvarez back at 15:00", next)
	}
	if ov := textOf(`#overrides table`); !strings.Contains(ov, "Ben Brandt") || !strings.Contains(ov, "now") {
		t.Errorf("overrides = %q", ov)
	}
	marked, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll('#timeline svg rect.seg.ov').length`))
	if err != nil || marked != 1 {
		t.Errorf("override segments on the timeline = %d (%v), want 1", marked, err)
	}
	screenshot(t, bctx, "schedule-override.png")

	// The API agrees with the page.
	var oc struct {
		User     struct{ ID int64 }
		Override bool
	}
	browserAPI(ctx, t, "GET", fmt.Sprintf("%s/api/v1/schedules/%d/on-call", base, sched.ID), token, nil, &oc)
	if oc.User.ID != ben.ID || !oc.Override {
		t.Errorf("API on call = %+v, want Ben by override", oc)
	}
}

// TestBrowserOnCallPolicyAndUser creates an escalation policy with the
// editor (no script of ours needed) and sends a test notification from a
// person's page, checking both pages keep to the CSP.
func TestBrowserOnCallPolicyAndUser(t *testing.T) {
	requireBrowser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	base, token := startBrowserApp(ctx, t, vigil.SystemClock{})

	var ana struct{ ID int64 }
	browserAPI(ctx, t, "POST", base+"/api/v1/users", token, map[string]any{"name": "Ana Alvarez", "email": "ana@example.com"}, &ana)
	var hook struct{ ID int64 }
	browserAPI(ctx, t, "POST", fmt.Sprintf("%s/api/v1/users/%d/contact-methods", base, ana.ID), token,
		map[string]any{"name": "pager", "type": "webhook", "address": "https://hooks.example/secret-path"}, &hook)

	bctx, step := startBrowser(ctx, t)
	step("sign in", signIn(base)...)

	step("open the policies",
		chromedp.Click(chromedp.CSS(`nav a[href="/escalation-policies"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#policy-form`)),
		chromedp.SendKeys(chromedp.CSS(`#policy-name`), "Checkout"),
		chromedp.SetValue(chromedp.CSS(`#step-0-targets`), fmt.Sprintf("user:%d", ana.ID)),
		chromedp.SetValue(chromedp.CSS(`#step-0-delay`), "15"),
		chromedp.Click(chromedp.CSS(`#policy-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash-ok`)),
	)
	if st, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`#steps`))); err != nil || !strings.Contains(st, "Ana Alvarez") {
		t.Errorf("policy steps = %q (%v)", st, err)
	}
	screenshot(t, bctx, "policy.png")

	step("send a test notification",
		chromedp.Click(chromedp.CSS(`nav a[href="/users"]`)),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#user-%d a`, ana.ID))),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#contact-method-%d button.test-notification`, hook.ID))),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#contact-method-%d button.test-notification`, hook.ID))),
		chromedp.WaitVisible(chromedp.CSS(`.flash-ok`)),
	)
	flash, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`.flash`)))
	if err != nil || !strings.Contains(strings.ToLower(flash), "test notification queued") {
		t.Errorf("flash = %q (%v)", flash, err)
	}
	body, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	if err != nil || strings.Contains(body, "secret-path") {
		t.Errorf("the user page shows the webhook's secret path (%v)", err)
	}
	screenshot(t, bctx, "user.png")
}

// TestOnCallBrowserPersonToSchedule sets up on-call from nothing in the web
// UI alone: a new person, their webhook, and a Berlin schedule with them in
// its one rotation layer (after an "Add another layer" round trip, which
// must keep what was typed), then finds them on call now on the schedule's
// page. No script of ours runs; every page keeps to the CSP.
func TestOnCallBrowserPersonToSchedule(t *testing.T) {
	requireBrowser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// Monday 4 May 2026, 10:00 in Berlin (CEST, UTC+2).
	base, _ := startBrowserApp(ctx, t, vigil.NewManualClock(time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)))

	bctx, step := startBrowser(ctx, t)
	textOf := func(sel string) string { t.Helper(); return readText(t, bctx, sel) }
	location := func() string {
		t.Helper()
		loc, err := chromedp.Run(bctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}

	step("sign in", signIn(base)...)

	step("create a person",
		chromedp.Click(chromedp.CSS(`nav a[href="/users"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#user-form`)),
		chromedp.SendKeys(chromedp.CSS(`#user-name`), "Dana Diaz"),
		chromedp.SendKeys(chromedp.CSS(`#user-email`), "dana@example.com"),
		chromedp.SetValue(chromedp.CSS(`#user-time-zone`), "Europe/Berlin"),
		chromedp.Click(chromedp.CSS(`#user-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash-ok`)),
	)
	userPage := location()
	var userID int64
	if _, err := fmt.Sscanf(strings.TrimPrefix(userPage, base), "/users/%d", &userID); err != nil {
		t.Fatalf("after creating a person the browser is at %q", userPage)
	}
	if flash := textOf(`.flash`); !strings.Contains(flash, "Dana Diaz added.") {
		t.Errorf("flash = %q", flash)
	}
	if head := textOf(`.page-head`); !strings.Contains(head, "dana@example.com") || !strings.Contains(head, "Europe/Berlin") {
		t.Errorf("person page head = %q", head)
	}

	step("add a webhook",
		chromedp.SetValue(chromedp.CSS(`#contact-type`), "webhook"),
		chromedp.SendKeys(chromedp.CSS(`#contact-name`), "pager"),
		chromedp.SendKeys(chromedp.CSS(`#contact-address`), "https://hooks.example/secret-path"),
		chromedp.Click(chromedp.CSS(`#contact-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash-ok`)),
		chromedp.WaitVisible(chromedp.CSS(`tr.contact-method`)),
	)
	if loc := location(); loc != userPage {
		t.Errorf("after adding a contact method the browser is at %q, want %s", loc, userPage)
	}
	if row := textOf(`tr.contact-method`); !strings.Contains(row, "pager") || !strings.Contains(row, "webhook") || !strings.Contains(row, "https://hooks.example/…") {
		t.Errorf("contact method row = %q", row)
	}
	if body, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`)); err != nil || strings.Contains(body, "secret-path") {
		t.Errorf("the person's page shows the webhook's secret path (%v)", err)
	}
	screenshot(t, bctx, "person-created.png")

	step("fill in a new schedule",
		chromedp.Click(chromedp.CSS(`nav a[href="/schedules"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#schedule-form`)),
		chromedp.SendKeys(chromedp.CSS(`#schedule-name`), "Primary"),
		chromedp.SetValue(chromedp.CSS(`#schedule-time-zone`), "Europe/Berlin"),
		chromedp.SendKeys(chromedp.CSS(`#layer-0-name`), "weekly"),
		// The first turn began an hour ago, Berlin time.
		chromedp.SetValue(chromedp.CSS(`#layer-0-start`), "2026-05-04T09:00"),
		chromedp.SetValue(chromedp.CSS(`#layer-0-member-0`), fmt.Sprint(userID)),
		chromedp.Click(chromedp.CSS(`#add-layer`)),
		chromedp.WaitVisible(chromedp.CSS(`#layer-1`)),
	)
	if notice := textOf(`#schedule-form-notice`); !strings.Contains(notice, "Layer 2 added") {
		t.Errorf("notice = %q", notice)
	}
	kept, err := chromedp.Run(bctx, chromedp.Evaluate[string](
		`[document.querySelector('#schedule-name').value, document.querySelector('#schedule-time-zone').value,
		  document.querySelector('#layer-0-start').value, document.querySelector('#layer-0-member-0').value].join('|')`))
	if want := fmt.Sprintf("Primary|Europe/Berlin|2026-05-04T09:00|%d", userID); err != nil || kept != want {
		t.Fatalf("after Add another layer the form holds %q (%v), want %q", kept, err, want)
	}
	screenshot(t, bctx, "schedule-form.png")

	step("create the schedule",
		chromedp.Click(chromedp.CSS(`#schedule-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash-ok`)),
		chromedp.WaitVisible(chromedp.CSS(`#on-call-now`)),
	)
	if loc := location(); !strings.HasPrefix(loc, base+"/schedules/") {
		t.Fatalf("after creating the schedule the browser is at %q", loc)
	}
	if flash := textOf(`.flash`); !strings.Contains(flash, "Schedule Primary created.") {
		t.Errorf("flash = %q", flash)
	}
	who := textOf(`#on-call-now`)
	if !strings.Contains(who, "Dana Diaz") || strings.Contains(who, "override") || !strings.Contains(who, "since Mon 04 May 09:00 CEST") {
		t.Errorf("on call now = %q, want Dana Diaz since 09:00 CEST", who)
	}
	if layers := textOf(`#layers table`); !strings.Contains(layers, "weekly") || !strings.Contains(layers, "1 week") || strings.Contains(layers, "Layer 2") {
		t.Errorf("rotations = %q, want the one weekly layer (the blank one ignored)", layers)
	}
	screenshot(t, bctx, "schedule-created.png")
}
