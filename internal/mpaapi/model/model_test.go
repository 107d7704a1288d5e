package model

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/keyturn/keyturn/internal/mpaapi/model/internal/codegen"
)

// TestTablesMatchModel regenerates the tables from botocore's copy of the
// MPA model and compares them with model_gen.go, so that a hand edit or a
// stale file fails. It skips when botocore is not installed.
func TestTablesMatchModel(t *testing.T) {
	path, err := codegen.BotocoreModelPath()
	if err != nil {
		t.Skipf("botocore's MPA model is not available (%v); install botocore with pip to run this test", err)
	}
	want, err := codegen.Generate(path)
	if err != nil {
		t.Fatalf("generate from %s: %v", path, err)
	}
	got, err := os.ReadFile("model_gen.go")
	if err != nil {
		t.Fatalf("read model_gen.go: %v", err)
	}
	if string(got) != string(want) {
		t.Errorf("model_gen.go differs from the tables generated from %s; run go generate in internal/mpaapi/model", path)
	}
}

func TestEveryOperationHasShapes(t *testing.T) {
	if len(Operations) != 22 {
		t.Errorf("the model has %d operations, want the 22 of API version 2022-07-26", len(Operations))
	}
	for _, op := range Operations {
		if op.Input != "" && Shapes[op.Input] == nil {
			t.Errorf("operation %s: input shape %s is missing", op.Name, op.Input)
		}
	}
}

func TestValidateMessages(t *testing.T) {
	tests := []struct {
		name  string
		input map[string]any
		want  string
	}{
		{"missing required", map[string]any{}, "Value at 'ApprovalTeamArn' failed to satisfy constraint: Member must not be null"},
		{"pattern", map[string]any{"ApprovalTeamArn": "arn:aws:mpa:us-east-1:111122223333:approval-team/a b"},
			"Member must satisfy regular expression pattern"},
		{"range", map[string]any{"ApprovalTeamArn": "arn:aws:mpa:us-east-1:111122223333:approval-team/a", "MaxResults": json.Number("21")},
			"Value '21' at 'MaxResults' failed to satisfy constraint: Member must have value less than or equal to 20"},
		{"enum", map[string]any{"ApprovalTeamArn": "arn:aws:mpa:us-east-1:111122223333:approval-team/a",
			"Filters": []any{map[string]any{"FieldName": "Color"}}}, "at 'Filters[0].FieldName' failed to satisfy constraint: Member must satisfy enum value set"},
		{"list size", map[string]any{"ApprovalTeamArn": "arn:aws:mpa:us-east-1:111122223333:approval-team/a",
			"Filters": make([]any, 11)}, "Member must have length less than or equal to 10"},
		{"type", map[string]any{"ApprovalTeamArn": 7.0}, "Member must be a string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vs := Validate("ListSessionsRequest", tc.input, "")
			if len(vs) == 0 {
				t.Fatalf("Validate returned no violation, want one with %q", tc.want)
			}
			if msg := Message(vs); !strings.Contains(msg, tc.want) {
				t.Errorf("message = %q, want it to contain %q", msg, tc.want)
			}
		})
	}
}

func TestValidateHidesSensitiveValues(t *testing.T) {
	vs := Validate("CreateApprovalTeamRequest", map[string]any{"Description": strings.Repeat("x", 300)}, "")
	for _, v := range vs {
		if v.Path == "Description" && v.Value != nil {
			t.Errorf("violation of the sensitive Description shows its value %v", v.Value)
		}
	}
}

func TestValidateUnion(t *testing.T) {
	input := map[string]any{"ApprovalStrategy": map[string]any{}}
	msg := Message(Validate("UpdateApprovalTeamRequest", input, ""))
	if !strings.Contains(msg, "Exactly one member must be set") {
		t.Errorf("message = %q, want the union rule", msg)
	}
}
