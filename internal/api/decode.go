package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"

	"github.com/vigil-oss/vigil/internal/ingest/jsonerr"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// MaxBodyBytes is the limit of every request body, chunked or not.
const MaxBodyBytes = 1 << 20

// errBodyTooLarge is the answer to any body over MaxBodyBytes.
var errBodyTooLarge = vigil.Errorf(vigil.CodeTooLarge, "request body exceeds 1 MiB")

// ReadJSONBody checks that the request says it carries JSON and reads at
// most MaxBodyBytes of it. CodeUnsupportedMedia, CodeTooLarge, CodeInvalid
// (empty body).
func ReadJSONBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if err := requireJSON(r); err != nil {
		return nil, err
	}
	body, err := readLimited(w, r)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, vigil.Errorf(vigil.CodeInvalid, "request body is empty; a JSON value is required")
	}
	return body, nil
}

// readLimited reads the body up to MaxBodyBytes; a declared or chunked
// body over the limit is CodeTooLarge.
func readLimited(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > MaxBodyBytes {
		return nil, errBodyTooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errBodyTooLarge
		}
		return nil, &vigil.Error{Code: vigil.CodeInvalid, Message: "could not read the request body", Err: err}
	}
	return body, nil
}

func requireJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || mt != "application/json" {
		return vigil.Errorf(vigil.CodeUnsupportedMedia, "Content-Type must be application/json")
	}
	return nil
}

// decodeStrict decodes a management body into v: exactly one JSON value,
// unknown fields refused (so a typo is an error, not a silent no-op).
func decodeStrict(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := ReadJSONBody(w, r)
	if err != nil {
		return err
	}
	return unmarshalStrict(body, v)
}

// decodeOptional is decodeStrict for bodies that may be absent: an empty
// body (with or without a Content-Type) leaves v as it is.
func decodeOptional(w http.ResponseWriter, r *http.Request, v any) error {
	if r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return nil
	}
	if err := requireJSON(r); err != nil {
		return err
	}
	body, err := readLimited(w, r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	return unmarshalStrict(body, v)
}

func unmarshalStrict(body []byte, v any) error {
	if !json.Valid(body) {
		// Valid reports syntax errors (truncation, trailing garbage, depth)
		// before any field is set; Unmarshal tells us where.
		return jsonError(json.Unmarshal(body, new(any)))
	}
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) > 0 && t[0] != '{' && reflect.TypeOf(v).Elem().Kind() == reflect.Struct {
		return vigil.Errorf(vigil.CodeInvalid, "request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	return nil
}

// jsonError turns an encoding/json error into a CodeInvalid error that
// names the field when the decoder knows it; a body over the limit is
// CodeTooLarge.
func jsonError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errBodyTooLarge
	}
	return jsonerr.Translate(err)
}
