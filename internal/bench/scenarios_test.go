package bench

import "testing"

func TestMatchScenario(t *testing.T) {
	tests := []struct {
		patterns []string
		name     string
		want     bool
	}{
		{nil, "list/first", true},
		{[]string{"list/*"}, "list/status-eq/page-1000", true},
		{[]string{"list/page-*"}, "list/page-10", true},
		{[]string{"list/page-*"}, "list/status-eq/page-10", false},
		{[]string{"get", "vote"}, "vote", true},
		{[]string{"get"}, "get/x", false},
		{[]string{"*pending"}, "list/status-eq-pending", true},
		{[]string{"list/first"}, "list/firstx", false},
	}
	for _, tc := range tests {
		if got := MatchScenario(tc.patterns, tc.name); got != tc.want {
			t.Errorf("MatchScenario(%q, %q) = %v, want %v", tc.patterns, tc.name, got, tc.want)
		}
	}
}

func TestCheckLoopback(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:80", "http://127.0.0.2:9"} {
		if err := CheckLoopback(u); err != nil {
			t.Errorf("CheckLoopback(%q) = %v, want nil", u, err)
		}
	}
	for _, u := range []string{"http://10.0.0.1:8080", "http://example.com", "http://0.0.0.0:80"} {
		if err := CheckLoopback(u); err == nil {
			t.Errorf("CheckLoopback(%q) = nil, want an error", u)
		}
	}
}

func TestEscapeLabel(t *testing.T) {
	got := escapeLabel("arn:aws:mpa:us-east-1:111122223333:session/team-1/a_b.c~d")
	want := "arn%3Aaws%3Ampa%3Aus-east-1%3A111122223333%3Asession%2Fteam-1%2Fa_b.c~d"
	if got != want {
		t.Errorf("escapeLabel = %s, want %s", got, want)
	}
}

func TestScenarioNamesCoverFilters(t *testing.T) {
	names := map[string]bool{}
	for _, n := range ScenarioNames([]int{10, 1000}) {
		names[n] = true
	}
	for _, want := range []string{
		"list/first", "list/action-eq", "list/action-ne", "list/action-contains", "list/action-not-contains",
		"list/status-eq", "list/status-ne", "list/time-gt", "list/time-lt", "list/time-gte", "list/time-lte",
		"list/time-between", "list/multi", "list/page-10", "list/page-1000", "list/status-eq/page-1000",
		"get", "start", "vote", "minimal/list", "moto/describe-log-groups",
	} {
		if !names[want] {
			t.Errorf("scenario %s is missing", want)
		}
	}
}
