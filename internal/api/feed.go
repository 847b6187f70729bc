package api

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/oncall"
	"github.com/vigil-oss/vigil/internal/signed"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Calendar feeds: a schedule's shifts, or one person's shifts on every
// schedule, as iCalendar. With an API token they are read at
// /api/v1/schedules/{id}/ical and /api/v1/users/{id}/ical. Calendar apps
// subscribe to a URL and send no headers, so each feed also has a secret
// address (signed.FeedURL): an HMAC of the feed's kind and id with a key
// kept in the database, checked on every request so that rotating the key
// revokes every address on every replica at once.

// FeedURL is the answer of the feed address endpoints.
type FeedURL struct {
	// URL is the feed's secret address: anyone who has it can read the
	// feed, until the addresses are rotated.
	URL string `json:"url"`
}

func (a *API) feedRoutes() []Route {
	tok := func(method, pattern, summary string, req, resp any, status int, h handlerFunc) Route {
		return Route{Method: method, Pattern: pattern, Auth: AuthToken, Summary: summary,
			Request: req, Response: resp, Status: status, Handler: a.handle(h)}
	}
	secret := func(kind, summary string) Route {
		return Route{Method: "GET", Pattern: signed.FeedPrefix + kind + "/{id}/{token}", Auth: AuthURLSecret,
			Summary: summary, Response: "", Status: http.StatusOK, Handler: a.handle(a.secretFeed(kind))}
	}
	return []Route{
		tok("GET", "/api/v1/schedules/{id}/ical", "The next 60 days of a schedule as an iCalendar feed (text/calendar, not JSON)",
			nil, "", http.StatusOK, a.feedByToken(signed.FeedSchedule)),
		tok("GET", "/api/v1/users/{id}/ical", "The next 60 days of a person's shifts on every schedule as an iCalendar feed",
			nil, "", http.StatusOK, a.feedByToken(signed.FeedUser)),
		tok("GET", "/api/v1/schedules/{id}/ical-url", "The secret address of a schedule's calendar feed, for calendar apps",
			nil, FeedURL{}, http.StatusOK, a.feedURL(signed.FeedSchedule)),
		tok("GET", "/api/v1/users/{id}/ical-url", "The secret address of a person's calendar feed, for calendar apps",
			nil, FeedURL{}, http.StatusOK, a.feedURL(signed.FeedUser)),
		tok("POST", "/api/v1/ical-urls/rotate", "Revoke every calendar feed address; new ones are issued from then on",
			nil, nil, http.StatusNoContent, a.rotateFeeds),
		secret(signed.FeedSchedule, "A schedule's calendar feed by its secret address (no token; the address is the secret)"),
		secret(signed.FeedUser, "A person's calendar feed by its secret address (no token; the address is the secret)"),
	}
}

func (a *API) feedByToken(kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		return a.writeFeed(w, r.Context(), kind, id)
	}
}

// secretFeed serves a feed whose token is in the path. A wrong token, or
// one of a rotated key, answers 404 like an unknown feed.
func (a *API) secretFeed(kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		notFound := vigil.Errorf(vigil.CodeNotFound, "no such calendar feed")
		raw := r.PathValue("id")
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || id <= 0 || strconv.FormatInt(id, 10) != raw {
			// One spelling per address: "01" is not "1".
			return notFound
		}
		signer, err := a.feedSigner(r.Context())
		if err != nil {
			return err
		}
		if !signer.VerifyFeed(kind, id, strings.TrimSuffix(r.PathValue("token"), ".ics")) {
			return notFound
		}
		err = a.writeFeed(w, r.Context(), kind, id)
		if vigil.ErrorCode(err) == vigil.CodeNotFound {
			return notFound
		}
		return err
	}
}

func (a *API) feedURL(kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if kind == signed.FeedSchedule {
			_, err = a.store.FindSchedule(r.Context(), id)
		} else {
			_, err = a.store.FindUser(r.Context(), id)
		}
		if err != nil {
			return err
		}
		signer, err := a.feedSigner(r.Context())
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, FeedURL{URL: signer.FeedURL(a.publicURL, kind, id)})
		return nil
	}
}

func (a *API) rotateFeeds(w http.ResponseWriter, r *http.Request) error {
	if err := a.store.RotateSigningKey(r.Context(), vigil.KeyCalendarFeeds); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// feedSigner reads the feed key on every use: a feed is fetched every few
// hours per subscriber, and a rotation on one replica must revoke the old
// addresses on all of them at once.
func (a *API) feedSigner(ctx context.Context) (*signed.Signer, error) {
	key, err := a.store.SigningKey(ctx, vigil.KeyCalendarFeeds)
	if err != nil {
		return nil, err
	}
	return signed.New(key), nil
}

// writeFeed writes the next 60 days of a feed. The window starts at
// midnight UTC of today, so that refreshes during a day ask for the same
// window and a shift cut by its start keeps its UID.
func (a *API) writeFeed(w http.ResponseWriter, ctx context.Context, kind string, id int64) error {
	now := a.clock.Now()
	from := now.UTC().Truncate(24 * time.Hour)
	to := from.Add(icalWindow)
	var (
		title  string
		shifts []oncall.FeedShift
	)
	schedules := func(list ...*vigil.Schedule) error {
		for _, s := range list {
			ovs, err := vigil.LoadOverrides(ctx, a.store, s.ID, from, to)
			if err != nil {
				return err
			}
			sh, err := oncall.ShiftsBetween(*s, ovs, from, to)
			if err != nil {
				return err
			}
			shifts = append(shifts, oncall.OfSchedule(*s, sh)...)
		}
		return nil
	}
	if kind == signed.FeedSchedule {
		s, err := a.store.FindSchedule(ctx, id)
		if err != nil {
			return err
		}
		title = "On call: " + s.Name
		if err := schedules(s); err != nil {
			return err
		}
	} else {
		u, err := a.store.FindUser(ctx, id)
		if err != nil {
			return err
		}
		all, err := a.store.ListSchedules(ctx)
		if err != nil {
			return err
		}
		title = "On call: " + u.Name
		if err := schedules(all...); err != nil {
			return err
		}
		shifts = oncall.ForUser(id, shifts)
	}
	names, err := vigil.LoadUserNames(ctx, a.store)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/calendar; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", `inline; filename="`+kind+"-"+strconv.FormatInt(id, 10)+`.ics"`)
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, oncall.ICal(title, shifts, names, now))
	return nil
}
