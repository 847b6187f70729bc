package vigil

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in one table at the edge
// (internal/api), so the domain never speaks HTTP.
const (
	CodeInvalid          = "invalid"           // bad input, 400
	CodeNotFound         = "not_found"         // 404
	CodeConflict         = "conflict"          // state does not allow it, 409
	CodeUnauthorized     = "unauthorized"      // missing or bad credential, 401
	CodeForbidden        = "forbidden"         // 403
	CodeTooLarge         = "too_large"         // body over the limit, 413
	CodeUnsupportedMedia = "unsupported_media" // wrong content type, 415
	CodeRateLimited      = "rate_limited"      // 429
	CodeUnavailable      = "unavailable"       // database down, 503
	CodeInternal         = "internal"          // a bug, 500
)

// Error is the one error type the domain returns. Field names the input
// field at fault, when there is one, so API clients and forms can point at it.
type Error struct {
	Code    string
	Message string
	Field   string
	// Err is the underlying cause, kept for logs; never shown to clients.
	Err error
}

func (e *Error) Error() string {
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns a CodeInvalid error naming the offending field.
func FieldError(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err: the code of an *Error in its chain,
// CodeInternal for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the client-safe message of err. Internal errors get a
// generic text so no detail (or secret) of the cause leaks.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != CodeInternal {
		return e.Message
	}
	return "internal error"
}

// ErrorField returns the field named by err, or "".
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
