package model

import (
	"strings"
	"testing"
)

func TestValidateRejectsNUL(t *testing.T) {
	const team = "arn:aws:mpa:us-east-1:111122223333:approval-team/a"
	tests := []struct {
		name  string
		shape string
		input map[string]any
		path  string
	}{
		{"client token", "CreateIdentitySourceRequest", map[string]any{
			"ClientToken":              "token\x00",
			"IdentitySourceParameters": map[string]any{"IamIdentityCenter": map[string]any{"InstanceArn": "arn:aws:sso:::instance/ssoins-1111222233334444", "Region": "us-east-1"}},
		}, "ClientToken"},
		{"tag value", "TagResourceRequest", map[string]any{
			"ResourceArn": team,
			"Tags":        map[string]any{"env": "prod\x00"},
		}, "Tags.env"},
		{"tag key", "TagResourceRequest", map[string]any{
			"ResourceArn": team,
			"Tags":        map[string]any{"env\x00": "prod"},
		}, "Tags.key"},
		{"filter value", "ListSessionsRequest", map[string]any{
			"ApprovalTeamArn": team,
			"Filters":         []any{map[string]any{"FieldName": "ActionName", "Operator": "EQ", "Value": "deploy:\x00"}},
		}, "Filters[0].Value"},
		{"enum value", "ListSessionsRequest", map[string]any{
			"ApprovalTeamArn": team,
			"Filters":         []any{map[string]any{"FieldName": "ActionName\x00", "Operator": "EQ", "Value": "deploy:Promote"}},
		}, "Filters[0].FieldName"},
		{"path label", "GetApprovalTeamRequest", map[string]any{"Arn": team + "\x00"}, "Arn"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vs := Validate(tc.shape, tc.input, "")
			found := false
			for _, v := range vs {
				if v.Path == tc.path && v.Rule == nulRule {
					found = true
				}
			}
			if !found {
				t.Errorf("Validate(%s): got violations %v, want %q at %s", tc.shape, vs, nulRule, tc.path)
			}
		})
	}
}

func TestValidateNULMessage(t *testing.T) {
	vs := Validate("ListSessionsRequest", map[string]any{"ApprovalTeamArn": "arn:aws:mpa:us-east-1:111122223333:approval-team/a\x00"}, "")
	want := `Value 'arn:aws:mpa:us-east-1:111122223333:approval-team/a\u0000' at 'ApprovalTeamArn' failed to satisfy constraint: Member must not contain the NUL character`
	msg := Message(vs)
	if !strings.Contains(msg, want) {
		t.Errorf("message = %q, want it to contain %q", msg, want)
	}
	if strings.ContainsRune(msg, 0) {
		t.Errorf("message = %q contains a raw NUL character, want it escaped", msg)
	}
}

func TestValidateAcceptsTextWithoutNUL(t *testing.T) {
	vs := Validate("TagResourceRequest", map[string]any{
		"ResourceArn": "arn:aws:mpa:us-east-1:111122223333:approval-team/a",
		"Tags":        map[string]any{"owner": "Zoë 🙂 line\nbreak"},
	}, "")
	if len(vs) != 0 {
		t.Errorf("Validate: got violations %v, want none", vs)
	}
}
