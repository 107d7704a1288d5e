package mpaapi

import (
	"bytes"
	"net/http/httptest"
	"net/url"
	"testing"
)

// BenchmarkGatherInput routes a ListSessions request with three filters
// and gathers its input from the path and body, as the handler does before
// validation.
func BenchmarkGatherInput(b *testing.B) {
	teamArn := "arn:aws:mpa:us-east-1:111122223333:approval-team/production-changes-5aa4c564-53a9-4ff1-9877-34f0a3a0775e"
	body := []byte(`{"MaxResults":20,"Filters":[` +
		`{"FieldName":"ActionName","Operator":"EQ","Value":"deploy:PromoteToProduction"},` +
		`{"FieldName":"SessionStatus","Operator":"EQ","Value":"APPROVED"},` +
		`{"FieldName":"InitiationTime","Operator":"BETWEEN","Value":"2026-08-01T00:00:00Z AND 2026-09-01T00:00:00Z"}]}`)
	r := httptest.NewRequest("POST", "http://127.0.0.1:8080/approval-teams/"+url.PathEscape(teamArn)+"/sessions/?List", bytes.NewReader(body))
	rt := newRouter()
	m, err := rt.find(r)
	if err != nil {
		b.Fatalf("route: %v", err)
	}
	if m.op.Name != "ListSessions" {
		b.Fatalf("routed to %s, want ListSessions", m.op.Name)
	}
	input, err := gatherInput(m, r, body)
	if err != nil {
		b.Fatalf("gatherInput: %v", err)
	}
	if input["ApprovalTeamArn"] != teamArn {
		b.Fatalf("gathered ApprovalTeamArn %v, want %s", input["ApprovalTeamArn"], teamArn)
	}

	b.Run("route", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := rt.find(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gather", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := gatherInput(m, r, body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
