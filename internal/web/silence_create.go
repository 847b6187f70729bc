package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// silenceCreate answers POST /silences. The author is the signed-in
// actor. Every error is shown next to its input, with what was typed
// kept, and nothing is stored.
func (u *UI) silenceCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f := silenceFormPosted(r)
	names, err := u.serviceNames(ctx)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	known := make(map[int64]bool, len(names))
	for id := range names {
		known[id] = true
	}
	s, lines, errs := f.silence(u.clock.Now(), vigil.ActorFromContext(ctx).Name, known)
	if len(errs) > 0 {
		f.Errors = silenceFormErrors(errs)
		u.renderSilenceNew(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	err = u.store.CreateSilence(ctx, s)
	switch code := vigil.ErrorCode(err); code {
	case "":
		u.redirectFlash(w, r, silenceURL(s.ID), "ok",
			"Silence #"+itoa(s.ID)+" created: new alerts it matches are held, without paging, until "+u.timeLabel(s.EndsAt).Text+".")
	case vigil.CodeInvalid, vigil.CodeNotFound:
		f.Errors = silenceStoreErrors(err, lines)
		u.renderSilenceNew(w, r, statusOf(vigil.CodeInvalid), f)
	default:
		u.fail(w, r, err)
	}
}
