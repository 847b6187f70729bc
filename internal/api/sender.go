package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// readSenderBody reads the body of a drop-in sender's request (PagerDuty,
// Opsgenie): at most limit bytes, else tooLarge. Those senders do not always
// say application/json, so a missing Content-Type (or text/json, text/plain,
// *+json) is accepted; a type that is clearly not JSON is refused.
func readSenderBody(w http.ResponseWriter, r *http.Request, limit int64, tooLarge error) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !(mt == "application/json" || mt == "text/json" || mt == "text/plain" || strings.HasSuffix(mt, "+json")) {
			return nil, vigil.Errorf(vigil.CodeUnsupportedMedia, "Content-Type must be application/json")
		}
	}
	if r.ContentLength > limit {
		return nil, tooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge
		}
		return nil, &vigil.Error{Code: vigil.CodeInvalid, Message: "could not read the request body", Err: err}
	}
	return body, nil
}
