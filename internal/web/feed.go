package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/signed"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// feedURL is the secret address of a calendar feed (signed.FeedSchedule
// or signed.FeedUser), as the API's …/ical-url endpoints give it.
func (u *UI) feedURL(r *http.Request, kind string, id int64) (string, error) {
	key, err := u.store.SigningKey(r.Context(), vigil.KeyCalendarFeeds)
	if err != nil {
		return "", err
	}
	return signed.New(key).FeedURL(u.baseURL(r), kind, id), nil
}
