package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// ErrorBody is the one shape of every error answer's "error" member.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// ErrorResponse is the body of every error answer:
// {"error":{"code":"...","message":"...","field":"..."}}.
type ErrorResponse struct {
	Error ErrorBody `json:"error"`
}

// statusByCode is the one table from domain error codes to HTTP statuses.
var statusByCode = map[string]int{
	vigil.CodeInvalid:          http.StatusBadRequest,
	vigil.CodeNotFound:         http.StatusNotFound,
	vigil.CodeConflict:         http.StatusConflict,
	vigil.CodeUnauthorized:     http.StatusUnauthorized,
	vigil.CodeForbidden:        http.StatusForbidden,
	vigil.CodeTooLarge:         http.StatusRequestEntityTooLarge,
	vigil.CodeUnsupportedMedia: http.StatusUnsupportedMediaType,
	vigil.CodeRateLimited:      http.StatusTooManyRequests,
	vigil.CodeUnavailable:      http.StatusServiceUnavailable,
	vigil.CodeInternal:         http.StatusInternalServerError,
}

// CodeMethodNotAllowed is an edge-only code (the domain never returns it):
// the path exists but not with this method.
const CodeMethodNotAllowed = "method_not_allowed"

// StatusOf returns the HTTP status of an error code; unknown codes are 500.
func StatusOf(code string) int {
	if code == CodeMethodNotAllowed {
		return http.StatusMethodNotAllowed
	}
	if s, ok := statusByCode[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// RetryAfterer is an error that says when the client may try again; a 429
// answer carries it as Retry-After (1 second when the error does not say).
type RetryAfterer interface {
	RetryAfter() time.Duration
}

// ErrorBodyOf returns the client-safe body of err.
func ErrorBodyOf(err error) ErrorBody {
	err = classify(err)
	return ErrorBody{Code: vigil.ErrorCode(err), Message: vigil.ErrorMessage(err), Field: vigil.ErrorField(err)}
}

// classify turns context errors into unavailable: a deadline hit while
// waiting for the database is an outage, not a bug.
func classify(err error) error {
	if vigil.ErrorCode(err) == vigil.CodeInternal &&
		(errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
		return &vigil.Error{Code: vigil.CodeUnavailable, Message: "the request timed out or was cancelled", Err: err}
	}
	return err
}

// WriteError writes err as the JSON error body with its status. Internal
// errors are logged here, once, at error level, with their cause; the
// client sees only "internal error". The logger comes from the request
// context (see WithLogger).
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	err = classify(err)
	body := ErrorBodyOf(err)
	status := StatusOf(body.Code)
	log := LoggerFrom(r.Context())
	switch body.Code {
	case vigil.CodeInternal:
		log.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	case vigil.CodeUnavailable:
		log.WarnContext(r.Context(), "service unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
	case vigil.CodeUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="vigil"`)
	case vigil.CodeRateLimited:
		after := time.Second
		var ra RetryAfterer
		if errors.As(err, &ra) && ra.RetryAfter() > 0 {
			after = ra.RetryAfter()
		}
		w.Header().Set("Retry-After", strconv.Itoa(int((after+time.Second-1)/time.Second)))
	}
	WriteJSON(w, status, ErrorResponse{Error: body})
}

// WriteJSON writes v as JSON with the given status. HTML characters are
// not escaped: the answer is JSON, never HTML.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if status == http.StatusNoContent || v == nil {
		return
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client is gone when this fails; nothing to tell it
}

type loggerKey struct{}

// WithLogger returns a context carrying the logger WriteError uses.
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, l)
}

// LoggerFrom returns the logger in ctx, or one that discards everything.
func LoggerFrom(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok && l != nil {
		return l
	}
	return discardLogger
}

var discardLogger = slog.New(slog.DiscardHandler)
