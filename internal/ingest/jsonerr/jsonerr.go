// Package jsonerr turns encoding/json's errors into CodeInvalid errors that
// name the field at fault when the decoder knows it, without echoing long
// or huge input back. The API's body decoder and the native ingest decoder
// share it, so both answer bad JSON in the same words.
package jsonerr

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Translate returns err as a *vigil.Error with CodeInvalid; a *vigil.Error
// (from an UnmarshalJSON method) is returned as it is.
func Translate(err error) error {
	if err == nil {
		return vigil.Errorf(vigil.CodeInvalid, "malformed JSON")
	}
	var (
		ve *vigil.Error
		se *json.SyntaxError
		te *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &ve):
		return ve
	case errors.As(err, &se):
		return &vigil.Error{Code: vigil.CodeInvalid, Message: fmt.Sprintf("malformed JSON at byte %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: ")), Err: err}
	case errors.As(err, &te):
		msg := fmt.Sprintf("must be %s, not %s", kindName(te.Type), valueKind(te.Value))
		return &vigil.Error{Code: vigil.CodeInvalid, Field: te.Field, Message: msg, Err: err}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return &vigil.Error{Code: vigil.CodeInvalid, Message: "malformed JSON: unexpected end of input", Err: err}
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return vigil.FieldError(strings.Trim(name, `"`), "is not a known field")
	}
	// Errors of UnmarshalJSON methods (durations, severities) carry their
	// own text and no field.
	return &vigil.Error{Code: vigil.CodeInvalid, Message: "invalid JSON value: " + strings.TrimPrefix(msg, "json: "), Err: err}
}

// valueKind shortens encoding/json's value description ("number 1e999")
// so huge or long input is not echoed back.
func valueKind(v string) string {
	kind, _, _ := strings.Cut(v, " ")
	return kind
}

func kindName(t reflect.Type) string {
	if t == nil {
		return "a valid value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer in range"
	case reflect.Float32, reflect.Float64:
		return "a number in range"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a valid value"
}
