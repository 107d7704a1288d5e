package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

var testCred = Credential{
	AccessKeyID:     "AKIDEXAMPLE",
	SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
	AccountID:       "111122223333",
	PrincipalArn:    "arn:aws:iam::111122223333:user/admin",
}

func newVerifier(now time.Time) *Verifier {
	return &Verifier{
		Service:     "mpa",
		Credentials: map[string]Credential{testCred.AccessKeyID: testCred},
		Now:         func() time.Time { return now },
	}
}

// signedRequest builds a request the way aws-sdk-go-v2 sends it and signs
// it with the SDK's own signer, which serves as the reference.
func signedRequest(t *testing.T, method, rawURL string, body []byte, secret string, at time.Time) *http.Request {
	t.Helper()
	r := httptest.NewRequest(method, rawURL, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("User-Agent", "aws-sdk-go-v2/test")
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: testCred.AccessKeyID, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), "mpa", "us-east-1", at); err != nil {
		t.Fatalf("sign: %v", err)
	}
	return r
}

func TestVerifyAcceptsSDKSignatures(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name, method, url, body string
	}{
		{"create team", "POST", "http://127.0.0.1:8080/approval-teams", `{"Name":"a"}`},
		{"team arn in path", "GET", "http://127.0.0.1:8080/approval-teams/arn%3Aaws%3Ampa%3Aus-east-1%3A111122223333%3Aapproval-team%2Fops-1", ""},
		{"session arn", "PUT", "http://127.0.0.1:8080/sessions/arn%3Aaws%3Ampa%3Aus-east-1%3A111122223333%3Asession%2Fops-1%2Fabc", ""},
		{"default policy version", "GET", "http://127.0.0.1:8080/policy-versions/arn%3Aaws%3Ampa%3A%3A%3Aaws%3Apolicy%2Fbackup.amazonaws.com%2FCreateRestoreAccessVault%2F%24DEFAULT", ""},
		{"bare list key", "POST", "http://127.0.0.1:8080/approval-teams/?List&MaxResults=5&NextToken=a%2Bb%2Fc%3D", ""},
		{"delete key", "POST", "http://127.0.0.1:8080/approval-teams/arn%3Aaws%3Ampa%3Aus-east-1%3A111122223333%3Aapproval-team%2Fops-1?Delete", `{}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := signedRequest(t, tc.method, tc.url, []byte(tc.body), testCred.SecretAccessKey, now)
			id, err := newVerifier(now).Verify(r, []byte(tc.body))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if id.AccountID != testCred.AccountID || id.Region != "us-east-1" {
				t.Errorf("identity = %s in %s, want %s in us-east-1", id.AccountID, id.Region, testCred.AccountID)
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	body := []byte(`{"Description":"x"}`)
	url := "http://127.0.0.1:8080/approval-teams"
	tests := []struct {
		name     string
		request  func() *http.Request
		body     []byte
		wantCode string
	}{
		{"unsigned", func() *http.Request { return httptest.NewRequest("POST", url, bytes.NewReader(body)) }, body, "MissingAuthenticationTokenException"},
		{"wrong secret", func() *http.Request { return signedRequest(t, "POST", url, body, "not-the-secret", now) }, body, "InvalidSignatureException"},
		{"tampered body", func() *http.Request { return signedRequest(t, "POST", url, body, testCred.SecretAccessKey, now) }, []byte(`{"Description":"y"}`), "InvalidSignatureException"},
		{"stale", func() *http.Request {
			return signedRequest(t, "POST", url, body, testCred.SecretAccessKey, now.Add(-16*time.Minute))
		}, body, "InvalidSignatureException"},
		{"unknown key", func() *http.Request {
			r := signedRequest(t, "POST", url, body, testCred.SecretAccessKey, now)
			r.Header.Set("Authorization", bytes.NewBufferString(r.Header.Get("Authorization")).String()[:0]+
				replaceKey(r.Header.Get("Authorization"), "AKIDEXAMPLE", "AKIDUNKNOWN"))
			return r
		}, body, "UnrecognizedClientException"},
		{"wrong service", func() *http.Request {
			r := signedRequest(t, "POST", url, body, testCred.SecretAccessKey, now)
			r.Header.Set("Authorization", replaceKey(r.Header.Get("Authorization"), "/mpa/", "/s3/"))
			return r
		}, body, "InvalidSignatureException"},
		{"garbled header", func() *http.Request {
			r := httptest.NewRequest("POST", url, bytes.NewReader(body))
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 nonsense")
			return r
		}, body, "IncompleteSignatureException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newVerifier(now).Verify(tc.request(), tc.body)
			var ve *Error
			if !errors.As(err, &ve) {
				t.Fatalf("Verify error = %v, want *Error", err)
			}
			if ve.Code != tc.wantCode {
				t.Errorf("code = %s (%s), want %s", ve.Code, ve.Message, tc.wantCode)
			}
		})
	}
}

func replaceKey(s, old, new string) string {
	return string(bytes.Replace([]byte(s), []byte(old), []byte(new), 1))
}

func TestVerifyAnyKeyMapsAccount(t *testing.T) {
	now := time.Now().UTC()
	v := &Verifier{Service: "mpa", AnyKey: true, DefaultAccountID: "000000000000"}
	r := signedRequest(t, "GET", "http://127.0.0.1/approval-teams/x", nil, "anything", now)
	id, err := v.Verify(r, nil)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if id.AccountID != "000000000000" {
		t.Errorf("account = %s, want the default 000000000000", id.AccountID)
	}
	r.Header.Set("Authorization", replaceKey(r.Header.Get("Authorization"), "AKIDEXAMPLE", "123456789012"))
	if id, err = v.Verify(r, nil); err != nil || id.AccountID != "123456789012" {
		t.Errorf("12-digit key: account = %v, err = %v; want 123456789012", id, err)
	}
}

// signedWithPayloadHeader signs a request with the SDK's signer over the
// payload hash, sent in an X-Amz-Content-Sha256 header as S3 clients send
// it.
func signedWithPayloadHeader(t *testing.T, url string, body []byte, payloadHash string, at time.Time) *http.Request {
	t.Helper()
	r := httptest.NewRequest("POST", url, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Amz-Content-Sha256", payloadHash)
	creds := aws.Credentials{AccessKeyID: testCred.AccessKeyID, SecretAccessKey: testCred.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, payloadHash, "mpa", "us-east-1", at); err != nil {
		t.Fatalf("sign: %v", err)
	}
	return r
}

func TestVerifyRejectsUnsignedPayload(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	url := "http://127.0.0.1:8080/sessions/arn%3Aaws%3Ampa%3Aus-east-1%3A111122223333%3Asession%2Fops-1%2Fabc"
	signed := []byte(`{"Description":"approved change"}`)
	swapped := []byte(`{"Description":"something else"}`)

	// The signature covers the literal UNSIGNED-PAYLOAD instead of the
	// body, so it verifies for the body sent and for any other.
	for _, body := range [][]byte{signed, swapped} {
		r := signedWithPayloadHeader(t, url, signed, "UNSIGNED-PAYLOAD", now)
		_, err := newVerifier(now).Verify(r, body)
		var ve *Error
		if !errors.As(err, &ve) {
			t.Fatalf("Verify of an UNSIGNED-PAYLOAD request with body %s: got error %v, want *Error", body, err)
		}
		if ve.Code != "InvalidSignatureException" {
			t.Errorf("Verify of an UNSIGNED-PAYLOAD request with body %s: got code %s (%s), want InvalidSignatureException", body, ve.Code, ve.Message)
		}
	}
}

func TestVerifyPayloadHashHeader(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	url := "http://127.0.0.1:8080/approval-teams"
	body := []byte(`{"Name":"a"}`)
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])

	r := signedWithPayloadHeader(t, url, body, hash, now)
	if _, err := newVerifier(now).Verify(r, body); err != nil {
		t.Errorf("Verify with a matching X-Amz-Content-Sha256: %v", err)
	}

	r = signedWithPayloadHeader(t, url, body, hash, now)
	_, err := newVerifier(now).Verify(r, []byte(`{"Name":"b"}`))
	var ve *Error
	if !errors.As(err, &ve) || ve.Code != "InvalidSignatureException" {
		t.Errorf("Verify with a body that does not match X-Amz-Content-Sha256: got %v, want InvalidSignatureException", err)
	}
}
