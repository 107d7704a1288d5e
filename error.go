package keyturn

import (
	"errors"
	"fmt"
)

// ErrorCode classifies an Error. The wire layers map each code to one
// exception of the MPA API and one HTTP status.
type ErrorCode string

// Error codes. Each maps to the MPA exception named in its comment.
const (
	// ErrInvalid is a request that breaks an input rule (ValidationException).
	ErrInvalid ErrorCode = "invalid"
	// ErrInvalidParameter is a parameter combination that names nothing on
	// the resource (InvalidParameterException, GetResourcePolicy only).
	ErrInvalidParameter ErrorCode = "invalid_parameter"
	// ErrNotFound is a resource that does not exist or that the caller
	// cannot see (ResourceNotFoundException).
	ErrNotFound ErrorCode = "not_found"
	// ErrConflict is a request that the resource's current state does not
	// allow (ConflictException).
	ErrConflict ErrorCode = "conflict"
	// ErrQuotaExceeded is a request that would pass a quota
	// (ServiceQuotaExceededException).
	ErrQuotaExceeded ErrorCode = "quota_exceeded"
	// ErrTooManyTags is a TagResource call that would leave more tags on a
	// resource than allowed (TooManyTagsException).
	ErrTooManyTags ErrorCode = "too_many_tags"
	// ErrAccessDenied is a caller without the right to the operation
	// (AccessDeniedException).
	ErrAccessDenied ErrorCode = "access_denied"
	// ErrThrottled is a caller over a rate limit (ThrottlingException).
	ErrThrottled ErrorCode = "throttled"
	// ErrUnavailable is a dependency, such as the database, that cannot be
	// reached; the request may be retried (InternalServerException).
	ErrUnavailable ErrorCode = "unavailable"
	// ErrInternal is a bug or an unexpected failure (InternalServerException).
	ErrInternal ErrorCode = "internal"
)

// Error is an error whose message is safe to show to the caller. Errors of
// any other type are internal: the wire layers log them and return a generic
// message.
type Error struct {
	Code    ErrorCode
	Message string
	// Resource is the ARN the error is about, where one applies. The wire
	// layer returns it as ResourceName of TooManyTagsException.
	Resource string
	// Err is the underlying cause, for logs. It is never shown to callers.
	Err error
}

// Error returns the message prefixed with the code.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("keyturn: %s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("keyturn: %s: %s", e.Code, e.Message)
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Code returns the code of the first *Error in err's chain, ErrInternal for
// any other non-nil error, and "" for nil.
func Code(err error) ErrorCode {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ErrInternal
}

// Message returns the message of the first *Error in err's chain, or a
// generic message for any other error, whose text may hold internal detail.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "An internal error occurred. Try again later; if it persists, contact the server operator."
}
