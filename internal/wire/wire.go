// Package wire holds the HTTP conventions that Keyturn's APIs share with
// AWS's rest-json protocol: JSON bodies, ISO 8601 timestamps, and errors
// named by an X-Amzn-ErrorType header with a JSON body that carries the
// message.
package wire

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/keyturn/keyturn"
	"github.com/keyturn/keyturn/internal/sigv4"
)

// MaxBodyBytes bounds request bodies. The largest MPA request, a team with
// 20 approvers, 10 policies and 50 tags, takes well under 100 KiB.
const MaxBodyBytes = 256 << 10

// Time is a timestamp that encodes as ISO 8601 in UTC with milliseconds,
// such as 2025-03-11T00:04:23.452Z, the form the MPA API uses. The zero
// time is omitted by omitzero.
type Time time.Time

// TimeOf returns t as a Time.
func TimeOf(t time.Time) Time { return Time(t) }

// IsZero reports whether the time is the zero time.
func (t Time) IsZero() bool { return time.Time(t).IsZero() }

// MarshalJSON encodes the time as an ISO 8601 string.
func (t Time) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(time.Time(t).UTC().Format("2006-01-02T15:04:05.000Z"))), nil
}

// UnmarshalJSON decodes an RFC 3339 string.
func (t *Time) UnmarshalJSON(b []byte) error {
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return fmt.Errorf("timestamp must be a string: %w", err)
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	*t = Time(v.UTC())
	return nil
}

// exception is how an error code travels on the wire.
type exception struct {
	name   string
	status int
}

var exceptions = map[keyturn.ErrorCode]exception{
	keyturn.ErrInvalid:          {"ValidationException", http.StatusBadRequest},
	keyturn.ErrInvalidParameter: {"InvalidParameterException", http.StatusBadRequest},
	keyturn.ErrTooManyTags:      {"TooManyTagsException", http.StatusBadRequest},
	keyturn.ErrAccessDenied:     {"AccessDeniedException", http.StatusForbidden},
	keyturn.ErrNotFound:         {"ResourceNotFoundException", http.StatusNotFound},
	keyturn.ErrConflict:         {"ConflictException", http.StatusConflict},
	// The MPA model gives ServiceQuotaExceededException status 402.
	keyturn.ErrQuotaExceeded: {"ServiceQuotaExceededException", http.StatusPaymentRequired},
	keyturn.ErrThrottled:     {"ThrottlingException", http.StatusTooManyRequests},
	keyturn.ErrUnavailable:   {"InternalServerException", http.StatusInternalServerError},
	keyturn.ErrInternal:      {"InternalServerException", http.StatusInternalServerError},
}

// ExceptionName returns the wire name of an error code.
func ExceptionName(code keyturn.ErrorCode) string {
	return exceptions[code].name
}

// errorBody is the JSON body of an error response.
type errorBody struct {
	Message      string `json:"Message"`
	ResourceName string `json:"ResourceName,omitempty"`
}

// WriteError writes err as an AWS-style error response. A *keyturn.Error
// keeps its message; a *sigv4.Error keeps its code, status and message; any
// other error is logged and written as InternalServerException with a
// generic message, so that no internal detail reaches the client.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var se *sigv4.Error
	if errors.As(err, &se) {
		writeErrorResponse(w, se.Status, se.Code, errorBody{Message: se.Message})
		return
	}
	var ae *APIError
	if errors.As(err, &ae) {
		if ae.Allow != "" {
			w.Header().Set("Allow", ae.Allow)
		}
		writeErrorResponse(w, ae.Status, ae.Code, errorBody{Message: ae.Message})
		return
	}
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		// The client went away: nobody reads the response.
		return
	}
	code := keyturn.Code(err)
	ex, ok := exceptions[code]
	if !ok {
		code, ex = keyturn.ErrInternal, exceptions[keyturn.ErrInternal]
	}
	switch code {
	case keyturn.ErrInternal:
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	case keyturn.ErrUnavailable:
		log.WarnContext(r.Context(), "request failed: dependency unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", "1")
	}
	body := errorBody{Message: keyturn.Message(err)}
	var ke *keyturn.Error
	if errors.As(err, &ke) && code == keyturn.ErrTooManyTags {
		body.ResourceName = ke.Resource
	}
	writeErrorResponse(w, ex.status, ex.name, body)
}

func writeErrorResponse(w http.ResponseWriter, status int, code string, body errorBody) {
	w.Header().Set("X-Amzn-ErrorType", code)
	WriteJSON(w, status, body)
}

// APIError is an error of the HTTP layer itself, outside the error codes of
// the domain: an unknown operation or a method the path does not allow.
type APIError struct {
	Status  int
	Code    string
	Message string
	// Allow lists the methods the path accepts, for a 405 response.
	Allow string
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// Encoded is a response body that is JSON already. WriteJSON sends it as
// it is, where json.Marshal would check and compact it once more.
type Encoded []byte

// WriteJSON writes v as a JSON response with the status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, ok := v.(Encoded)
	if !ok {
		var err error
		b, err = json.Marshal(v)
		if err != nil {
			// Every response type here marshals; a failure is a bug.
			panic(fmt.Sprintf("wire: encode %T: %v", v, err))
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// ReadBody reads a request body of at most MaxBodyBytes. A larger body
// gives a ValidationException.
func ReadBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, keyturn.Errorf(keyturn.ErrInvalid, "The request body is larger than the limit of %d bytes.", MaxBodyBytes)
	}
	if err != nil {
		return nil, keyturn.Errorf(keyturn.ErrInvalid, "The request body could not be read: %v.", err)
	}
	return body, nil
}

// DecodeError turns a JSON decoding error into a ValidationException that
// says where the body is malformed.
func DecodeError(err error) error {
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return keyturn.Errorf(keyturn.ErrInvalid, "The request body is not valid JSON: %v (at byte %d).", syntax, syntax.Offset)
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "the request body"
		}
		return keyturn.Errorf(keyturn.ErrInvalid, "The value of %s must be a JSON %s, not %s.", field, jsonKind(typeErr.Type.Kind().String()), typeErr.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return keyturn.Errorf(keyturn.ErrInvalid, "The request body is not valid JSON: it ends too early.")
	}
	return keyturn.Errorf(keyturn.ErrInvalid, "The request body is not valid JSON: %v.", err)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "slice", "array":
		return "array"
	case "map", "struct":
		return "object"
	case "bool":
		return "boolean"
	}
	return "number"
}

// NewRequestID returns a random request id in UUID form, as AWS services
// return in x-amzn-RequestId.
func NewRequestID() string { return uuid.NewString() }

// RejectNUL returns a ValidationException when a string in the JSON body,
// a value or a member name, contains the NUL character (\u0000), which
// PostgreSQL cannot store in text. The message names the member. A body
// that is not valid JSON passes, so that the decoder reports its error.
func RejectNUL(body []byte) error {
	if !bytes.Contains(body, []byte(`\u0000`)) {
		// JSON strings cannot hold a raw NUL byte, so an escape is the
		// only way to send one.
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	if path, found := findNUL(v, ""); found {
		return keyturn.Errorf(keyturn.ErrInvalid,
			"The request body is invalid: %s contains the NUL character (\\u0000), which Keyturn does not accept. Remove it and send the request again.", path)
	}
	return nil
}

// findNUL returns a description of the first string in v that contains
// NUL, with path naming v.
func findNUL(v any, path string) (string, bool) {
	switch v := v.(type) {
	case string:
		if strings.IndexByte(v, 0) >= 0 {
			if path == "" {
				return "the request body", true
			}
			return "the value of " + path, true
		}
	case []any:
		for i, elem := range v {
			if desc, found := findNUL(elem, fmt.Sprintf("%s[%d]", path, i)); found {
				return desc, true
			}
		}
	case map[string]any:
		for _, key := range slices.Sorted(maps.Keys(v)) {
			if strings.IndexByte(key, 0) >= 0 {
				if path == "" {
					return fmt.Sprintf("the member name %q", key), true
				}
				return fmt.Sprintf("the member name %q in %s", key, path), true
			}
			member := key
			if path != "" {
				member = path + "." + key
			}
			if desc, found := findNUL(v[key], member); found {
				return desc, true
			}
		}
	}
	return "", false
}
