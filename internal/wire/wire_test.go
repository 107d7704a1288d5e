package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keyturn/keyturn"
	"github.com/keyturn/keyturn/internal/sigv4"
)

func TestWriteErrorMapsCodes(t *testing.T) {
	tests := []struct {
		err        error
		wantStatus int
		wantType   string
		wantMsg    string
	}{
		{keyturn.Errorf(keyturn.ErrInvalid, "bad"), 400, "ValidationException", "bad"},
		{keyturn.Errorf(keyturn.ErrInvalidParameter, "bad"), 400, "InvalidParameterException", "bad"},
		{keyturn.Errorf(keyturn.ErrTooManyTags, "many"), 400, "TooManyTagsException", "many"},
		{keyturn.Errorf(keyturn.ErrAccessDenied, "no"), 403, "AccessDeniedException", "no"},
		{keyturn.Errorf(keyturn.ErrNotFound, "gone"), 404, "ResourceNotFoundException", "gone"},
		{keyturn.Errorf(keyturn.ErrConflict, "busy"), 409, "ConflictException", "busy"},
		{keyturn.Errorf(keyturn.ErrQuotaExceeded, "full"), 402, "ServiceQuotaExceededException", "full"},
		{keyturn.Errorf(keyturn.ErrThrottled, "slow"), 429, "ThrottlingException", "slow"},
		{keyturn.Errorf(keyturn.ErrUnavailable, "down"), 500, "InternalServerException", "down"},
		{errors.New("secret detail"), 500, "InternalServerException", keyturn.Message(errors.New(""))},
		{&sigv4.Error{Code: "InvalidSignatureException", Status: 403, Message: "sig"}, 403, "InvalidSignatureException", "sig"},
		{&APIError{Status: 405, Code: "UnknownOperationException", Message: "no", Allow: "GET"}, 405, "UnknownOperationException", "no"},
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tc := range tests {
		t.Run(tc.wantType, func(t *testing.T) {
			w := httptest.NewRecorder()
			WriteError(w, httptest.NewRequest("GET", "/", nil), log, tc.err)
			if w.Code != tc.wantStatus {
				t.Errorf("status = %d, want %d", w.Code, tc.wantStatus)
			}
			if got := w.Header().Get("X-Amzn-ErrorType"); got != tc.wantType {
				t.Errorf("X-Amzn-ErrorType = %q, want %q", got, tc.wantType)
			}
			var body struct{ Message string }
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q is not JSON: %v", w.Body, err)
			}
			if body.Message != tc.wantMsg {
				t.Errorf("Message = %q, want %q", body.Message, tc.wantMsg)
			}
		})
	}
}

func TestWriteErrorTooManyTagsNamesResource(t *testing.T) {
	err := keyturn.Errorf(keyturn.ErrTooManyTags, "too many")
	err.Resource = "arn:aws:mpa:us-east-1:111122223333:approval-team/a"
	w := httptest.NewRecorder()
	WriteError(w, httptest.NewRequest("GET", "/", nil), slog.New(slog.NewTextHandler(io.Discard, nil)), err)
	var body struct{ ResourceName string }
	json.Unmarshal(w.Body.Bytes(), &body)
	if body.ResourceName != err.Resource {
		t.Errorf("ResourceName = %q, want %q", body.ResourceName, err.Resource)
	}
}

func TestTimeEncodesMilliseconds(t *testing.T) {
	at := time.Date(2025, 3, 11, 0, 4, 23, 452_987_000, time.FixedZone("CET", 3600))
	b, err := json.Marshal(TimeOf(at))
	if err != nil {
		t.Fatal(err)
	}
	if want := `"2025-03-10T23:04:23.452Z"`; string(b) != want {
		t.Errorf("Time encodes as %s, want %s", b, want)
	}
	var back Time
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	if !time.Time(back).Equal(at.Truncate(time.Millisecond)) {
		t.Errorf("round trip = %v, want %v", time.Time(back), at.Truncate(time.Millisecond))
	}
}

func TestReadBodyLimit(t *testing.T) {
	big := make([]byte, MaxBodyBytes+1)
	r := httptest.NewRequest("POST", "/", bytes.NewReader(big))
	_, err := ReadBody(httptest.NewRecorder(), r)
	if keyturn.Code(err) != keyturn.ErrInvalid {
		t.Errorf("ReadBody of %d bytes: error %v, want ErrInvalid", len(big), err)
	}
}

func TestRejectNUL(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string // a part of the message, or "" for no error
	}{
		{"top-level member", `{"UserName":"alice\u0000"}`, "the value of UserName contains the NUL character"},
		{"nested member", `{"Metadata":{"ticket":"CHG-1\u0000"}}`, "the value of Metadata.ticket contains"},
		{"list element", `{"AdditionalSecurityRequirements":["a","\u0000"]}`, "the value of AdditionalSecurityRequirements[1] contains"},
		{"member name", `{"Metadata":{"tick\u0000et":"CHG-1"}}`, `the member name "tick\x00et" in Metadata contains`},
		{"whole body", `"\u0000"`, "the request body contains"},
		{"escaped backslash", `{"Description":"C:\\u0000"}`, ""},
		{"no NUL", `{"Description":"line\nbreak \u0001 Zoë"}`, ""},
		{"invalid JSON", `{"UserName":"\u0000"`, ""},
		{"empty body", ``, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := RejectNUL([]byte(tc.body))
			if tc.want == "" {
				if err != nil {
					t.Errorf("RejectNUL(%s): got error %v, want none", tc.body, err)
				}
				return
			}
			if code := keyturn.Code(err); code != keyturn.ErrInvalid {
				t.Fatalf("RejectNUL(%s): got error %v (code %q), want code %q", tc.body, err, code, keyturn.ErrInvalid)
			}
			if msg := keyturn.Message(err); !strings.Contains(msg, tc.want) {
				t.Errorf("RejectNUL(%s): got message %q, want it to contain %q", tc.body, msg, tc.want)
			}
		})
	}
}
