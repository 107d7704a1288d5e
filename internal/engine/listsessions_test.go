package engine

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyturn/keyturn"
)

func TestCompileFiltersValid(t *testing.T) {
	t.Parallel()
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   FilterInput
		want keyturn.SessionFilter
	}{
		{FilterInput{"ActionName", "EQ", "deploy:Rollback"}, keyturn.SessionFilter{Field: "ActionName", Op: "EQ", Value: "deploy:Rollback"}},
		{FilterInput{"ActionName", "NE", "deploy:Rollback"}, keyturn.SessionFilter{Field: "ActionName", Op: "NE", Value: "deploy:Rollback"}},
		{FilterInput{"ActionName", "CONTAINS", "Roll"}, keyturn.SessionFilter{Field: "ActionName", Op: "CONTAINS", Value: "Roll"}},
		{FilterInput{"ActionName", "NOT_CONTAINS", "Roll"}, keyturn.SessionFilter{Field: "ActionName", Op: "NOT_CONTAINS", Value: "Roll"}},
		{FilterInput{"SessionStatus", "EQ", "PENDING"}, keyturn.SessionFilter{Field: "SessionStatus", Op: "EQ", Value: "PENDING"}},
		{FilterInput{"SessionStatus", "NE", "APPROVED"}, keyturn.SessionFilter{Field: "SessionStatus", Op: "NE", Value: "APPROVED"}},
		{FilterInput{"SessionStatus", "EQ", "FAILED"}, keyturn.SessionFilter{Field: "SessionStatus", Op: "EQ", Value: "FAILED"}},
		{FilterInput{"SessionStatus", "EQ", "CANCELLED"}, keyturn.SessionFilter{Field: "SessionStatus", Op: "EQ", Value: "CANCELLED"}},
		{FilterInput{"SessionStatus", "EQ", "CREATING"}, keyturn.SessionFilter{Field: "SessionStatus", Op: "EQ", Value: "CREATING"}},
		{FilterInput{"InitiationTime", "GT", "2025-01-01T00:00:00Z"}, keyturn.SessionFilter{Field: "InitiationTime", Op: "GT", From: from}},
		{FilterInput{"InitiationTime", "LT", "2025-01-01T00:00:00Z"}, keyturn.SessionFilter{Field: "InitiationTime", Op: "LT", From: from}},
		{FilterInput{"InitiationTime", "GTE", "2025-01-01T00:00:00.000Z"}, keyturn.SessionFilter{Field: "InitiationTime", Op: "GTE", From: from}},
		{FilterInput{"InitiationTime", "LTE", "2025-01-01T02:00:00+02:00"}, keyturn.SessionFilter{Field: "InitiationTime", Op: "LTE", From: from}},
		{FilterInput{"InitiationTime", "GT", "2025-01-01T00:00:00.495844317Z"},
			keyturn.SessionFilter{Field: "InitiationTime", Op: "GT", From: from.Add(495844317 * time.Nanosecond)}},
		{FilterInput{"InitiationTime", "BETWEEN", "2025-01-01T00:00:00Z AND 2025-02-01T00:00:00Z"},
			keyturn.SessionFilter{Field: "InitiationTime", Op: "BETWEEN", From: from, To: to}},
		{FilterInput{"InitiationTime", "BETWEEN", "2025-01-01T00:00:00Z and 2025-02-01T00:00:00Z"},
			keyturn.SessionFilter{Field: "InitiationTime", Op: "BETWEEN", From: from, To: to}},
		{FilterInput{"InitiationTime", "BETWEEN", " 2025-01-01T00:00:00Z   And 2025-02-01T00:00:00Z "},
			keyturn.SessionFilter{Field: "InitiationTime", Op: "BETWEEN", From: from, To: to}},
		{FilterInput{"InitiationTime", "BETWEEN", "2025-01-01T00:00:00Z AND 2025-01-01T00:00:00Z"},
			keyturn.SessionFilter{Field: "InitiationTime", Op: "BETWEEN", From: from, To: from}},
	}
	for _, tt := range tests {
		t.Run(tt.in.FieldName+" "+tt.in.Operator+" "+tt.in.Value, func(t *testing.T) {
			got, err := CompileFilters([]FilterInput{tt.in})
			if err != nil {
				t.Fatalf("CompileFilters: %v", err)
			}
			if len(got) != 1 {
				t.Fatalf("got %d filters, want 1", len(got))
			}
			g := got[0]
			if g.Field != tt.want.Field || g.Op != tt.want.Op || g.Value != tt.want.Value || !g.From.Equal(tt.want.From) || !g.To.Equal(tt.want.To) {
				t.Errorf("got %+v, want %+v", g, tt.want)
			}
			if g.From.Location() != time.UTC {
				t.Errorf("From is in %s, want UTC", g.From.Location())
			}
		})
	}

	got, err := CompileFilters(nil)
	if err != nil || len(got) != 0 {
		t.Errorf("no filters: got %v, %v; want none and no error", got, err)
	}
}

func TestCompileFiltersInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   FilterInput
		// hint is text that the message must contain, to tell the
		// client what is supported.
		hint string
	}{
		{"missing field", FilterInput{"", "EQ", "x"}, "FieldName is missing"},
		{"missing operator", FilterInput{"ActionName", "", "x"}, "Operator is missing"},
		{"missing value", FilterInput{"ActionName", "EQ", ""}, "Value is missing"},
		{"missing status", FilterInput{"SessionStatus", "EQ", ""}, "Value is missing"},
		{"missing time", FilterInput{"InitiationTime", "GT", ""}, "2025-03-11T00:04:14Z"},
		{"missing range", FilterInput{"InitiationTime", "BETWEEN", ""}, "<time> AND <time>"},
		{"missing action for CONTAINS", FilterInput{"ActionName", "CONTAINS", ""}, "Value is missing"},
		{"team name field", FilterInput{"ApprovalTeamName", "EQ", "x"}, supportedFilters},
		{"voting time field", FilterInput{"VotingTime", "GT", "2025-01-01T00:00:00Z"}, supportedFilters},
		{"vote field", FilterInput{"Vote", "EQ", "APPROVED"}, supportedFilters},
		{"unknown field", FilterInput{"Colour", "EQ", "red"}, supportedFilters},
		{"lower-case field", FilterInput{"actionname", "EQ", "x"}, supportedFilters},
		{"action GT", FilterInput{"ActionName", "GT", "x"}, "use EQ, NE, CONTAINS or NOT_CONTAINS"},
		{"action BETWEEN", FilterInput{"ActionName", "BETWEEN", "a AND b"}, "use EQ, NE, CONTAINS or NOT_CONTAINS"},
		{"action unknown operator", FilterInput{"ActionName", "LIKE", "x"}, "use EQ, NE, CONTAINS or NOT_CONTAINS"},
		{"status CONTAINS", FilterInput{"SessionStatus", "CONTAINS", "PENDING"}, "use EQ or NE"},
		{"status GT", FilterInput{"SessionStatus", "GT", "PENDING"}, "use EQ or NE"},
		{"status unknown", FilterInput{"SessionStatus", "EQ", "DONE"}, "use PENDING, CANCELLED, APPROVED, FAILED or CREATING"},
		{"status lower case", FilterInput{"SessionStatus", "EQ", "pending"}, "use PENDING, CANCELLED, APPROVED, FAILED or CREATING"},
		{"status code", FilterInput{"SessionStatus", "EQ", "EXPIRED"}, "use PENDING, CANCELLED, APPROVED, FAILED or CREATING"},
		{"time EQ", FilterInput{"InitiationTime", "EQ", "2025-01-01T00:00:00Z"}, "use GT, LT, GTE, LTE or BETWEEN"},
		{"time CONTAINS", FilterInput{"InitiationTime", "CONTAINS", "2025"}, "use GT, LT, GTE, LTE or BETWEEN"},
		{"time words", FilterInput{"InitiationTime", "GT", "yesterday"}, "2025-03-11T00:04:14Z"},
		{"time without zone", FilterInput{"InitiationTime", "GT", "2025-01-01T00:00:00"}, "2025-03-11T00:04:14Z"},
		{"time month 13", FilterInput{"InitiationTime", "LT", "2025-13-01T00:00:00Z"}, "2025-03-11T00:04:14Z"},
		{"date only", FilterInput{"InitiationTime", "LT", "2025-01-01"}, "2025-03-11T00:04:14Z"},
		{"BETWEEN without AND", FilterInput{"InitiationTime", "BETWEEN", "2025-01-01T00:00:00Z 2025-02-01T00:00:00Z"}, "<time> AND <time>"},
		{"BETWEEN with OR", FilterInput{"InitiationTime", "BETWEEN", "2025-01-01T00:00:00Z OR 2025-02-01T00:00:00Z"}, "<time> AND <time>"},
		{"BETWEEN one time", FilterInput{"InitiationTime", "BETWEEN", "2025-01-01T00:00:00Z"}, "<time> AND <time>"},
		{"BETWEEN open end", FilterInput{"InitiationTime", "BETWEEN", "2025-01-01T00:00:00Z AND"}, "<time> AND <time>"},
		{"BETWEEN three times", FilterInput{"InitiationTime", "BETWEEN", "2025-01-01T00:00:00Z AND 2025-02-01T00:00:00Z AND 2025-03-01T00:00:00Z"}, "<time> AND <time>"},
		{"BETWEEN bad start", FilterInput{"InitiationTime", "BETWEEN", "soon AND 2025-02-01T00:00:00Z"}, "2025-03-11T00:04:14Z"},
		{"BETWEEN bad end", FilterInput{"InitiationTime", "BETWEEN", "2025-01-01T00:00:00Z AND later"}, "2025-03-11T00:04:14Z"},
		{"BETWEEN reversed", FilterInput{"InitiationTime", "BETWEEN", "2025-02-01T00:00:00Z AND 2025-01-01T00:00:00Z"}, "reversed"},
	}
	valid := FilterInput{"ActionName", "EQ", deployAction}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CompileFilters([]FilterInput{valid, tt.in})
			wantCode(t, err, keyturn.ErrInvalid)
			msg := keyturn.Message(err)
			if !strings.HasPrefix(msg, "Filters[1]: ") {
				t.Errorf("message %q does not start with the filter index Filters[1]", msg)
			}
			if !strings.Contains(msg, tt.hint) {
				t.Errorf("message %q does not contain %q", msg, tt.hint)
			}
		})
	}
}

// sessionSet is a team with five sessions of different actions, statuses
// and initiation times, one hour apart.
type sessionSet struct {
	team *keyturn.Team
	// byName maps a name to the session's ARN: approved, rejected,
	// cancelled, expired and pending, oldest first.
	byName map[string]string
}

func newSessionSet(f *fixture) sessionSet {
	f.t.Helper()
	team, users := f.activeTeam(2, 2)
	set := sessionSet{team: team, byName: map[string]string{}}
	start := func(name, action string, duration time.Duration) string {
		s, err := f.eng.StartSession(f.ctx, f.caller, StartSessionInput{TeamArn: team.Arn, ActionName: action, Duration: duration})
		if err != nil {
			f.t.Fatalf("StartSession %s: %v", name, err)
		}
		set.byName[name] = s.Arn
		f.clock.Advance(time.Hour)
		return s.Arn
	}
	approved := start("approved", deployAction, 0)
	f.vote(users[0], approved, keyturn.ResponseApproved)
	f.vote(users[1], approved, keyturn.ResponseApproved)
	rejected := start("rejected", "deploy:Rollback", 0)
	f.vote(users[0], rejected, keyturn.ResponseRejected)
	cancelled := start("cancelled", deployAction, 0)
	if err := f.eng.CancelSession(f.ctx, f.caller, cancelled); err != nil {
		f.t.Fatalf("CancelSession: %v", err)
	}
	start("expired", "deploy:Rollback", time.Minute)
	pending := start("pending", deployAction, 0)
	f.vote(users[0], pending, keyturn.ResponseApproved)
	return set
}

func TestListSessionsFilters(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	set := newSessionSet(f)
	at := func(hours int) string { return testStart.Add(time.Duration(hours) * time.Hour).Format(time.RFC3339) }
	tests := []struct {
		name    string
		filters []FilterInput
		want    []string // names, newest first
	}{
		{"no filter", nil, []string{"pending", "expired", "cancelled", "rejected", "approved"}},
		{"action EQ", []FilterInput{{"ActionName", "EQ", "deploy:Rollback"}}, []string{"expired", "rejected"}},
		{"action NE", []FilterInput{{"ActionName", "NE", "deploy:Rollback"}}, []string{"pending", "cancelled", "approved"}},
		{"action CONTAINS", []FilterInput{{"ActionName", "CONTAINS", "Promote"}}, []string{"pending", "cancelled", "approved"}},
		{"action CONTAINS is case-sensitive", []FilterInput{{"ActionName", "CONTAINS", "promote"}}, nil},
		{"action NOT_CONTAINS", []FilterInput{{"ActionName", "NOT_CONTAINS", "Promote"}}, []string{"expired", "rejected"}},
		{"status PENDING", []FilterInput{{"SessionStatus", "EQ", "PENDING"}}, []string{"pending"}},
		{"status not PENDING", []FilterInput{{"SessionStatus", "NE", "PENDING"}}, []string{"expired", "cancelled", "rejected", "approved"}},
		{"status FAILED counts expiry", []FilterInput{{"SessionStatus", "EQ", "FAILED"}}, []string{"expired", "rejected"}},
		{"status not FAILED", []FilterInput{{"SessionStatus", "NE", "FAILED"}}, []string{"pending", "cancelled", "approved"}},
		{"status APPROVED", []FilterInput{{"SessionStatus", "EQ", "APPROVED"}}, []string{"approved"}},
		{"status CANCELLED", []FilterInput{{"SessionStatus", "EQ", "CANCELLED"}}, []string{"cancelled"}},
		{"status CREATING", []FilterInput{{"SessionStatus", "EQ", "CREATING"}}, nil},
		{"time GT", []FilterInput{{"InitiationTime", "GT", at(2)}}, []string{"pending", "expired"}},
		{"time GTE", []FilterInput{{"InitiationTime", "GTE", at(2)}}, []string{"pending", "expired", "cancelled"}},
		{"time LT", []FilterInput{{"InitiationTime", "LT", at(2)}}, []string{"rejected", "approved"}},
		{"time LTE", []FilterInput{{"InitiationTime", "LTE", at(2)}}, []string{"cancelled", "rejected", "approved"}},
		{"time BETWEEN is inclusive", []FilterInput{{"InitiationTime", "BETWEEN", at(1) + " AND " + at(3)}}, []string{"expired", "cancelled", "rejected"}},
		{"time BETWEEN lower-case and", []FilterInput{{"InitiationTime", "BETWEEN", at(1) + " and " + at(1)}}, []string{"rejected"}},
		{"action and status", []FilterInput{{"ActionName", "EQ", deployAction}, {"SessionStatus", "NE", "PENDING"}}, []string{"cancelled", "approved"}},
		{"all three fields", []FilterInput{
			{"ActionName", "CONTAINS", "deploy:"}, {"SessionStatus", "EQ", "FAILED"}, {"InitiationTime", "GTE", at(2)},
		}, []string{"expired"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, token, err := f.eng.ListSessions(f.ctx, f.caller, set.team.Arn, tt.filters, Page{})
			if err != nil {
				t.Fatalf("ListSessions: %v", err)
			}
			if token != "" {
				t.Errorf("got NextToken %q on the only page, want none", token)
			}
			var want []string
			for _, name := range tt.want {
				want = append(want, set.byName[name])
			}
			if arns := sessionArns(got); !slices.Equal(arns, want) {
				t.Errorf("got %s, want %v", set.names(arns), tt.want)
			}
		})
	}

	listed, _, err := f.eng.ListSessions(f.ctx, f.caller, set.team.Arn, []FilterInput{{"SessionStatus", "EQ", "FAILED"}}, Page{})
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	if listed[0].Status != keyturn.SessionFailed || listed[0].StatusCode != keyturn.SessionExpired {
		t.Errorf("expired session as listed: got %s/%s, want FAILED/EXPIRED", listed[0].Status, listed[0].StatusCode)
	}
}

func (s sessionSet) names(arns []string) []string {
	out := make([]string, len(arns))
	for i, arn := range arns {
		out[i] = arn
		for name, a := range s.byName {
			if a == arn {
				out[i] = name
			}
		}
	}
	return out
}

func sessionArns(sessions []*keyturn.Session) []string {
	var arns []string
	for _, s := range sessions {
		arns = append(arns, s.Arn)
	}
	return arns
}

func TestListSessionsRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, _ := f.activeTeam(1, 1)

	_, _, err := f.eng.ListSessions(f.ctx, f.caller, active.Arn, []FilterInput{{"Vote", "EQ", "APPROVED"}}, Page{})
	wantCode(t, err, keyturn.ErrInvalid)

	_, _, err = f.eng.ListSessions(f.ctx, f.caller, keyturn.TeamArn(testRegion, testAccount, "missing-1234"), nil, Page{})
	wantCode(t, err, keyturn.ErrNotFound)

	other := f.caller
	other.AccountID = "444455556666"
	_, _, err = f.eng.ListSessions(f.ctx, other, active.Arn, nil, Page{})
	wantCode(t, err, keyturn.ErrNotFound)
}

// startSessions starts n sessions on the team, three at each initiation
// time, so that pages also split sessions that tie on time.
func (f *fixture) startSessions(teamArn string, n int) {
	f.t.Helper()
	for i := range n {
		if i%3 == 0 {
			f.clock.Advance(time.Minute)
		}
		f.startSession(teamArn)
	}
}

// walk lists every page of the team's sessions and returns the sessions in
// order and the tokens it received.
func (f *fixture) walk(teamArn string, filters []FilterInput, maxResults int) ([]string, []string) {
	f.t.Helper()
	var arns, tokens []string
	token := ""
	for page := 1; ; page++ {
		got, next, err := f.eng.ListSessions(f.ctx, f.caller, teamArn, filters, Page{MaxResults: maxResults, NextToken: token})
		if err != nil {
			f.t.Fatalf("ListSessions page %d: %v", page, err)
		}
		if len(got) > maxResults {
			f.t.Fatalf("page %d has %d sessions, more than MaxResults %d", page, len(got), maxResults)
		}
		arns = append(arns, sessionArns(got)...)
		if next == "" {
			return arns, tokens
		}
		if len(got) == 0 {
			f.t.Fatalf("page %d is empty but has a NextToken", page)
		}
		tokens = append(tokens, next)
		token = next
		if page > 1000 {
			f.t.Fatal("more than 1000 pages: the pagination does not end")
		}
	}
}

func TestListSessionsPagination(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, _ := f.activeTeam(1, 1)
	f.startSessions(active.Arn, 23)
	all, _, err := f.eng.ListSessions(f.ctx, f.caller, active.Arn, nil, Page{MaxResults: 100})
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	want := sessionArns(all)
	if len(want) != 23 {
		t.Fatalf("got %d sessions in one page, want 23", len(want))
	}
	for i := 1; i < len(all); i++ {
		if compareNewestFirst(all[i-1], all[i]) >= 0 {
			t.Fatalf("sessions %d and %d are not newest first: %s seq %d, then %s seq %d",
				i-1, i, all[i-1].InitiationTime, all[i-1].Seq, all[i].InitiationTime, all[i].Seq)
		}
	}

	issued := map[string]bool{}
	for maxResults := 1; maxResults <= 20; maxResults++ {
		got, tokens := f.walk(active.Arn, nil, maxResults)
		if !slices.Equal(got, want) {
			t.Errorf("MaxResults %d: got %d sessions %v, want each of the %d once, newest first", maxResults, len(got), got, len(want))
		}
		if wantPages := (len(want) + maxResults - 1) / maxResults; len(tokens) != wantPages-1 {
			t.Errorf("MaxResults %d: got %d tokens, want %d", maxResults, len(tokens), wantPages-1)
		}
		for _, tok := range tokens {
			if issued[tok] {
				t.Errorf("MaxResults %d: token %q was issued before", maxResults, tok)
			}
			issued[tok] = true
		}
	}

	page, token, err := f.eng.ListSessions(f.ctx, f.caller, active.Arn, nil, Page{})
	if err != nil {
		t.Fatalf("ListSessions with the default page size: %v", err)
	}
	if len(page) != defaultPageSize || token == "" {
		t.Errorf("default page: got %d sessions and token %q, want %d and a token", len(page), token, defaultPageSize)
	}
}

func TestListSessionsPaginationWithFilter(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, users := f.activeTeam(1, 1)
	f.startSessions(active.Arn, 12)
	all, _, err := f.eng.ListSessions(f.ctx, f.caller, active.Arn, nil, Page{MaxResults: 100})
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	var want []string
	for i, s := range all {
		if i%2 == 0 {
			f.vote(users[0], s.Arn, keyturn.ResponseApproved)
			want = append(want, s.Arn)
		}
	}
	filters := []FilterInput{{"SessionStatus", "EQ", "APPROVED"}}

	for maxResults := 1; maxResults <= 7; maxResults++ {
		got, _ := f.walk(active.Arn, filters, maxResults)
		if !slices.Equal(got, want) {
			t.Errorf("MaxResults %d: got %v, want %v", maxResults, got, want)
		}
	}
}

func TestListSessionsTokenReuse(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, _ := f.activeTeam(1, 1)
	f.startSessions(active.Arn, 7)
	page := Page{MaxResults: 3}
	_, token, err := f.eng.ListSessions(f.ctx, f.caller, active.Arn, nil, page)
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}

	page.NextToken = token
	first, next1, err := f.eng.ListSessions(f.ctx, f.caller, active.Arn, nil, page)
	if err != nil {
		t.Fatalf("ListSessions with the token: %v", err)
	}
	second, next2, err := f.eng.ListSessions(f.ctx, f.caller, active.Arn, nil, page)
	if err != nil {
		t.Fatalf("ListSessions with the token again: %v", err)
	}

	if !slices.Equal(sessionArns(first), sessionArns(second)) {
		t.Errorf("the same token gave different pages: %v and %v", sessionArns(first), sessionArns(second))
	}
	if next1 == "" || next2 == "" || next1 == next2 || next1 == token {
		t.Errorf("next tokens %q and %q after %q: want two new, different tokens", next1, next2, token)
	}
	third1, _, err := f.eng.ListSessions(f.ctx, f.caller, active.Arn, nil, Page{MaxResults: 3, NextToken: next1})
	if err != nil {
		t.Fatalf("ListSessions with the first next token: %v", err)
	}
	third2, _, err := f.eng.ListSessions(f.ctx, f.caller, active.Arn, nil, Page{MaxResults: 3, NextToken: next2})
	if err != nil {
		t.Fatalf("ListSessions with the second next token: %v", err)
	}
	if !slices.Equal(sessionArns(third1), sessionArns(third2)) {
		t.Errorf("two tokens for the same position gave different pages: %v and %v", sessionArns(third1), sessionArns(third2))
	}
}

func TestListSessionsBadTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, _ := f.activeTeam(1, 1)
	f.startSessions(active.Arn, 4)
	filters := []FilterInput{{"ActionName", "EQ", deployAction}}
	_, token, err := f.eng.ListSessions(f.ctx, f.caller, active.Arn, filters, Page{MaxResults: 2})
	if err != nil || token == "" {
		t.Fatalf("ListSessions: token %q, %v; want a token", token, err)
	}
	other, _ := f.activeTeam(1, 1)
	_, teamsToken, err := f.eng.ListTeams(f.ctx, f.caller, Page{MaxResults: 1})
	if err != nil || teamsToken == "" {
		t.Fatalf("ListTeams: token %q, %v; want a token", teamsToken, err)
	}
	payload, mac, _ := strings.Cut(token, ".")
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}

	tests := []struct {
		name    string
		teamArn string
		filters []FilterInput
		token   string
	}{
		{"payload changed", active.Arn, filters, flip(payload, len(payload)/2) + "." + mac},
		{"signature changed", active.Arn, filters, payload + "." + flip(mac, 3)},
		{"signature missing", active.Arn, filters, payload},
		{"signature empty", active.Arn, filters, payload + "."},
		{"truncated", active.Arn, filters, token[:len(token)-4]},
		{"not base64", active.Arn, filters, "!!!.???"},
		{"garbage", active.Arn, filters, "abc"},
		{"other filters", active.Arn, []FilterInput{{"ActionName", "EQ", "deploy:Rollback"}}, token},
		{"no filters", active.Arn, nil, token},
		{"other team", other.Arn, filters, token},
		{"other operation", active.Arn, filters, teamsToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := f.eng.ListSessions(f.ctx, f.caller, tt.teamArn, tt.filters, Page{MaxResults: 2, NextToken: tt.token})
			wantCode(t, err, keyturn.ErrInvalid)
		})
	}

	if _, _, err := f.eng.ListSessions(f.ctx, f.caller, active.Arn, filters, Page{MaxResults: 2, NextToken: token}); err != nil {
		t.Errorf("the untouched token: %v", err)
	}
}

func TestListSessionsStartedBetweenPages(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"later time", "same time"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			active, _ := f.activeTeam(1, 1)
			f.startSessions(active.Arn, 10)
			before, _, err := f.eng.ListSessions(f.ctx, f.caller, active.Arn, nil, Page{MaxResults: 100})
			if err != nil {
				t.Fatalf("ListSessions: %v", err)
			}

			var got []string
			page, token, err := f.eng.ListSessions(f.ctx, f.caller, active.Arn, nil, Page{MaxResults: 4})
			if err != nil {
				t.Fatalf("ListSessions: %v", err)
			}
			got = append(got, sessionArns(page)...)
			if name == "later time" {
				f.clock.Advance(time.Second)
			}
			added := f.startSession(active.Arn)
			for token != "" {
				page, token, err = f.eng.ListSessions(f.ctx, f.caller, active.Arn, nil, Page{MaxResults: 4, NextToken: token})
				if err != nil {
					t.Fatalf("ListSessions: %v", err)
				}
				got = append(got, sessionArns(page)...)
			}

			if !slices.Equal(got, sessionArns(before)) {
				t.Errorf("got %v, want the %d sessions that existed when the listing began, each once", got, len(before))
			}
			if slices.Contains(got, added.Arn) {
				t.Errorf("the session started between pages, %s, is on a later page; it is newer than the first page", added.Arn)
			}
		})
	}
}

func TestCompileFiltersTimeRange(t *testing.T) {
	t.Parallel()
	outside := []FilterInput{
		{"InitiationTime", "GT", "2300-01-01T00:00:00Z"},
		{"InitiationTime", "LT", "1600-01-01T00:00:00Z"},
		{"InitiationTime", "GTE", "1969-12-31T23:59:59.999Z"},
		{"InitiationTime", "LTE", "2200-01-01T00:00:00.001Z"},
		{"InitiationTime", "GT", "9999-12-31T23:59:59Z"},
		{"InitiationTime", "BETWEEN", "2025-01-01T00:00:00Z AND 2263-01-01T00:00:00Z"},
		{"InitiationTime", "BETWEEN", "0001-01-01T00:00:00Z AND 2025-01-01T00:00:00Z"},
	}
	for _, in := range outside {
		t.Run(in.Operator+" "+in.Value, func(t *testing.T) {
			_, err := CompileFilters([]FilterInput{in})
			wantCode(t, err, keyturn.ErrInvalid)
			if msg, want := keyturn.Message(err), "from 1970-01-01T00:00:00Z to 2200-01-01T00:00:00Z"; !strings.Contains(msg, want) {
				t.Errorf("message %q does not contain the range %q", msg, want)
			}
		})
	}

	// The ends of the range are valid, also written with an offset.
	for _, value := range []string{
		"1970-01-01T00:00:00Z AND 2200-01-01T00:00:00Z",
		"1970-01-01T01:00:00+01:00 AND 2199-12-31T19:00:00-05:00",
	} {
		if _, err := CompileFilters([]FilterInput{{"InitiationTime", "BETWEEN", value}}); err != nil {
			t.Errorf("BETWEEN %s: %v", value, err)
		}
	}
}

func TestListSessionsFarFutureFilter(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	active, _ := f.activeTeam(1, 1)
	f.startSession(active.Arn)

	_, _, err := f.eng.ListSessions(f.ctx, f.caller, active.Arn, []FilterInput{{"InitiationTime", "GT", "2300-01-01T00:00:00Z"}}, Page{})
	wantCode(t, err, keyturn.ErrInvalid)

	got, _, err := f.eng.ListSessions(f.ctx, f.caller, active.Arn, []FilterInput{{"InitiationTime", "GT", "2199-01-01T00:00:00Z"}}, Page{})
	if err != nil {
		t.Fatalf("ListSessions after 2199: %v", err)
	}
	if len(got) != 0 {
		t.Errorf("ListSessions after 2199: got %d sessions, want none", len(got))
	}
}
