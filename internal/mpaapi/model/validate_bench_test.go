package model

import (
	"bytes"
	"encoding/json"
	"testing"
)

// decodeInput decodes a request body as the MPA handler does, with
// json.Decoder.UseNumber.
func decodeInput(b *testing.B, body string) map[string]any {
	b.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(body)))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		b.Fatalf("decode %s: %v", body, err)
	}
	return v
}

// benchmarkValidate validates a valid input of the shape, and fails if the
// input breaks a constraint, so that the loop measures the full walk.
func benchmarkValidate(b *testing.B, shape, body string) {
	input := decodeInput(b, body)
	if vs := Validate(shape, input, ""); len(vs) > 0 {
		b.Fatalf("Validate %s: %s", shape, Message(vs))
	}
	b.ReportAllocs()
	for b.Loop() {
		Validate(shape, input, "")
	}
}

func BenchmarkValidateCreateApprovalTeam(b *testing.B) {
	benchmarkValidate(b, "CreateApprovalTeamRequest", `{
		"Name": "production-changes",
		"Description": "Approves changes to production systems.",
		"ApprovalStrategy": {"MofN": {"MinApprovalsRequired": 2}},
		"Approvers": [
			{"PrimaryIdentityId": "4f1c7e2a-9b3d-4c5e-8f6a-1b2c3d4e5f60", "PrimaryIdentitySourceArn": "arn:aws:mpa:us-east-1:111122223333:identity-source/IamIdentityCenter"},
			{"PrimaryIdentityId": "5a2d8f3b-0c4e-4d6f-9a7b-2c3d4e5f6071", "PrimaryIdentitySourceArn": "arn:aws:mpa:us-east-1:111122223333:identity-source/IamIdentityCenter"},
			{"PrimaryIdentityId": "6b3e9a4c-1d5f-4e7a-8b8c-3d4e5f607182", "PrimaryIdentitySourceArn": "arn:aws:mpa:us-east-1:111122223333:identity-source/IamIdentityCenter"}
		],
		"Policies": [{"PolicyArn": "arn:aws:mpa:::aws:policy/backup.amazonaws.com/CreateRestoreAccessVault/1"}],
		"ClientToken": "6c1a2b3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
		"Tags": {"team": "platform", "env": "prod"}
	}`)
}

func BenchmarkValidateListSessions(b *testing.B) {
	benchmarkValidate(b, "ListSessionsRequest", `{
		"ApprovalTeamArn": "arn:aws:mpa:us-east-1:111122223333:approval-team/production-changes-5aa4c564-53a9-4ff1-9877-34f0a3a0775e",
		"MaxResults": 20,
		"NextToken": "eyJ2IjoxLCJiIjoiNGYxYzdlMmE5YjNkNGM1ZThmNmExYjJjM2Q0ZTVmNjAiLCJ0IjoxNzY0ODY2Mzg0MDAwMDAwMDAwLCJzIjo0MiwibiI6ImFiY2RlZmdoaWprbCJ9.c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlMTIz",
		"Filters": [
			{"FieldName": "ActionName", "Operator": "EQ", "Value": "deploy:PromoteToProduction"},
			{"FieldName": "SessionStatus", "Operator": "EQ", "Value": "APPROVED"},
			{"FieldName": "InitiationTime", "Operator": "BETWEEN", "Value": "2026-08-01T00:00:00Z AND 2026-09-01T00:00:00Z"}
		]
	}`)
}
