package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// BenchmarkVerify verifies the signature of a ListSessions request as
// aws-sdk-go-v2 signs it. The anykey case is a development server, which
// parses the Authorization header but computes no signature.
func BenchmarkVerify(b *testing.B) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	body := []byte(`{"MaxResults":20,"Filters":[{"FieldName":"SessionStatus","Operator":"EQ","Value":"APPROVED"}]}`)
	r := httptest.NewRequest("POST", "http://127.0.0.1:8080/approval-teams/arn%3Aaws%3Ampa%3Aus-east-1%3A111122223333%3Aapproval-team%2Fops-1/sessions/?List", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: testCred.AccessKeyID, SecretAccessKey: testCred.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), "mpa", "us-east-1", now); err != nil {
		b.Fatalf("sign: %v", err)
	}

	for _, tc := range []struct {
		name   string
		anyKey bool
	}{
		{"signature", false},
		{"anykey", true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			v := newVerifier(now)
			v.AnyKey = tc.anyKey
			if _, err := v.Verify(r, body); err != nil {
				b.Fatalf("Verify: %v", err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(r, body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
