package web

import (
	"net/http"
	"strconv"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// inhibitListPage is the model of inhibit_list.html.
type inhibitListPage struct {
	layout
	Rules []inhibitRow
	Form  inhibitForm
	// Held are the alerts rules mute now, newest first, at most
	// maxHeldShown of HeldTotal.
	Held       []heldAlertRow
	HeldTotal  int
	HeldCapped bool
}

// inhibitRow is a rule with how many alerts it mutes now.
type inhibitRow struct {
	*vigil.InhibitRule
	Muted     int
	MutedText string // "3", or "10000+" when the count was capped
}

// inhibitList answers GET /inhibit-rules.
func (u *UI) inhibitList(w http.ResponseWriter, r *http.Request) {
	u.renderInhibitList(w, r, http.StatusOK, nil)
}

// renderInhibitList shows the rules, the alerts they mute and the "New
// rule" form: f as submitted, or a blank one when nil.
func (u *UI) renderInhibitList(w http.ResponseWriter, r *http.Request, status int, f *inhibitForm) {
	ctx := r.Context()
	rules, err := u.store.ListInhibitRules(ctx)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	names, err := u.serviceNames(ctx)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	muted, byRule, capped, err := u.heldByEach(ctx, func(a *vigil.Alert) *int64 { return a.InhibitedByRule })
	if err != nil {
		u.fail(w, r, err)
		return
	}
	m := inhibitListPage{HeldTotal: len(muted), HeldCapped: capped}
	for _, rule := range rules {
		row := inhibitRow{InhibitRule: rule, Muted: byRule[rule.ID], MutedText: strconv.Itoa(byRule[rule.ID])}
		if capped {
			row.MutedText += "+"
		}
		m.Rules = append(m.Rules, row)
	}
	if m.Held, err = u.heldRowsNamed(ctx, muted, names); err != nil {
		u.fail(w, r, err)
		return
	}
	if f == nil {
		nf := newInhibitForm(nil)
		f = &nf
	}
	m.Form = *f
	m.layout = u.layout(w, r, "Inhibition rules", "inhibit")
	u.render(w, r, status, "inhibit_list.html", m)
}
