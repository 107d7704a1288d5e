package e2e

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mpa"
	"github.com/aws/aws-sdk-go-v2/service/mpa/types"
	gocmp "github.com/google/go-cmp/cmp"

	"github.com/keyturn/keyturn/client"
	"github.com/keyturn/keyturn/internal/storetest"
	"github.com/keyturn/keyturn/keyturntest"
)

// sdkListSeed fixes the random data and queries of the ListSessions tests,
// so that a failure repeats.
const sdkListSeed = 20260726

// sdkModelSession is the test's record of a session: its members as
// GetSession returns them, and its place in the order of creation.
type sdkModelSession struct {
	arn       string
	action    string
	status    types.SessionStatus
	code      types.SessionStatusCode
	initiated time.Time
	created   int
}

// sdkSessionModel is an independent model of one team's sessions, against
// which ListSessions results are checked.
type sdkSessionModel struct {
	sessions []sdkModelSession // newest first, as ListSessions orders them
}

// sdkNewSessionModel reads every session with GetSession and orders them
// newest first, and by creation, newest first, within one millisecond.
func sdkNewSessionModel(t *testing.T, api *mpa.Client, arns []string) *sdkSessionModel {
	t.Helper()
	m := &sdkSessionModel{}
	for i, arn := range arns {
		got := sdkGetSession(t, api, arn)
		m.sessions = append(m.sessions, sdkModelSession{
			arn:       arn,
			action:    aws.ToString(got.ActionName),
			status:    got.Status,
			code:      got.StatusCode,
			initiated: aws.ToTime(got.InitiationTime),
			created:   i,
		})
	}
	slices.SortFunc(m.sessions, func(a, b sdkModelSession) int {
		if c := b.initiated.Compare(a.initiated); c != 0 {
			return c
		}
		return cmp.Compare(b.created, a.created)
	})
	return m
}

// match returns the sessions that satisfy every filter, in list order.
func (m *sdkSessionModel) match(t *testing.T, filters []types.Filter) []sdkModelSession {
	t.Helper()
	var out []sdkModelSession
	for _, s := range m.sessions {
		ok := true
		for _, f := range filters {
			ok = ok && sdkFilterHolds(t, f, s)
		}
		if ok {
			out = append(out, s)
		}
	}
	return out
}

// sdkFilterHolds evaluates one filter on a session as the MPA API defines
// the fields and operators.
func sdkFilterHolds(t *testing.T, f types.Filter, s sdkModelSession) bool {
	t.Helper()
	v := aws.ToString(f.Value)
	switch f.FieldName {
	case types.FilterFieldActionName:
		switch f.Operator {
		case types.OperatorEquals:
			return s.action == v
		case types.OperatorNotEquals:
			return s.action != v
		case types.OperatorContains:
			return strings.Contains(s.action, v)
		case types.OperatorDoesNotContain:
			return !strings.Contains(s.action, v)
		}
	case types.FilterFieldSessionStatus:
		switch f.Operator {
		case types.OperatorEquals:
			return string(s.status) == v
		case types.OperatorNotEquals:
			return string(s.status) != v
		}
	case types.FilterFieldInitiationTime:
		if f.Operator == types.OperatorBetween {
			from, to, ok := strings.Cut(strings.ToUpper(v), " AND ")
			if !ok {
				t.Fatalf("model: BETWEEN value %q has no AND", v)
			}
			return !s.initiated.Before(sdkParseTime(t, from)) && !s.initiated.After(sdkParseTime(t, to))
		}
		at := sdkParseTime(t, v)
		switch f.Operator {
		case types.OperatorGreaterThan:
			return s.initiated.After(at)
		case types.OperatorLessThan:
			return s.initiated.Before(at)
		case types.OperatorGreaterThanOrEqualTo:
			return !s.initiated.Before(at)
		case types.OperatorLessThanOrEqualTo:
			return !s.initiated.After(at)
		}
	}
	t.Fatalf("model: unsupported filter %s %s", f.FieldName, f.Operator)
	return false
}

func sdkParseTime(t *testing.T, v string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		t.Fatalf("model: parse time %q: %v", v, err)
	}
	return at
}

// sdkListActions are the actions of the generated sessions. They share
// prefixes and differ in case, so that CONTAINS and EQ filters tell them
// apart.
var sdkListActions = []string{
	"test:Deploy", "test:DeployCanary", "test:deploy", "test:Rollback", "test:RotateKey", "test:Delete.Vault", "test:deploy.canary",
}

// sdkSessionData starts n sessions on the team from the seeded source,
// with the clock moved by nothing, a millisecond, seconds or minutes
// between starts, and gives each a fate: pending, approved, rejected,
// cancelled, or a short lifetime that later clock moves make run out. The
// clock must be frozen, so that sessions started without a move share
// their start time. It returns the session ARNs in the order they were
// created.
func sdkSessionData(t *testing.T, s *keyturntest.Server, rng *rand.Rand, team string, users []*client.User, n int) []string {
	t.Helper()
	ctx := t.Context()
	api := s.MPA()
	var arns []string
	for i := range n {
		switch r := rng.IntN(20); {
		case r < 7: // the same millisecond as the previous session
		case r < 9:
			s.AdvanceClock(t, time.Millisecond)
		case r < 12:
			s.AdvanceClock(t, time.Duration(1+rng.IntN(59))*time.Second)
		default:
			s.AdvanceClock(t, time.Duration(1+rng.IntN(90))*time.Minute)
		}

		if i%17 == 5 {
			// Keyturn's own sessions share the list with protected operations.
			out, err := api.StartApprovalTeamBaseline(ctx, &mpa.StartApprovalTeamBaselineInput{Arn: aws.String(team)})
			if err != nil {
				t.Fatalf("StartApprovalTeamBaseline: %v", err)
			}
			arns = append(arns, aws.ToString(out.BaselineSessionArn))
			continue
		}
		durations := []int{0, 0, 30, 120, 600}
		session, err := s.Admin().StartSession(ctx, client.StartSessionInput{
			ApprovalTeamArn: team,
			ActionName:      sdkListActions[rng.IntN(len(sdkListActions))],
			Description:     fmt.Sprintf("Generated session %d.", i),
			DurationMinutes: durations[rng.IntN(len(durations))],
		})
		if err != nil {
			t.Fatalf("StartSession %d: %v", i, err)
		}
		arns = append(arns, session.SessionArn)

		switch rng.IntN(5) {
		case 0:
			s.Vote(t, session.SessionArn, users[0].UserID, "APPROVED")
			s.Vote(t, session.SessionArn, users[2].UserID, "APPROVED")
		case 1:
			s.Vote(t, session.SessionArn, users[1].UserID, "REJECTED")
			s.Vote(t, session.SessionArn, users[2].UserID, "REJECTED")
		case 2:
			if _, err := api.CancelSession(ctx, &mpa.CancelSessionInput{SessionArn: aws.String(session.SessionArn)}); err != nil {
				t.Fatalf("CancelSession: %v", err)
			}
		default:
			if rng.IntN(2) == 0 {
				s.Vote(t, session.SessionArn, users[1].UserID, "APPROVED")
			}
		}
	}
	return arns
}

// sdkFilterTime formats a time as a filter value, in one of the forms that
// clients send: nanoseconds or milliseconds in UTC, whole seconds, or an
// offset from UTC.
func sdkFilterTime(rng *rand.Rand, at time.Time) string {
	switch rng.IntN(4) {
	case 0:
		return at.UTC().Format(time.RFC3339Nano)
	case 1:
		return at.UTC().Format("2006-01-02T15:04:05.000Z")
	case 2:
		return at.UTC().Format(time.RFC3339)
	default:
		return at.In(time.FixedZone("IST", 5*3600+1800)).Format(time.RFC3339Nano)
	}
}

// sdkRandomFilters returns zero to three filters, whose time values fall on,
// just beside, or between the sessions' initiation times.
func sdkRandomFilters(rng *rand.Rand, m *sdkSessionModel) []types.Filter {
	pivot := func() time.Time {
		s := m.sessions[rng.IntN(len(m.sessions))].initiated
		switch rng.IntN(6) {
		case 0:
			return s.Add(-time.Millisecond)
		case 1:
			return s.Add(time.Millisecond)
		case 2:
			return s.Add(time.Duration(rng.Int64N(int64(2 * time.Hour))))
		default:
			return s
		}
	}
	filter := func(field types.FilterField, op types.Operator, value string) types.Filter {
		return types.Filter{FieldName: field, Operator: op, Value: aws.String(value)}
	}
	var out []types.Filter
	for range rng.IntN(4) {
		switch rng.IntN(3) {
		case 0:
			ops := []types.Operator{types.OperatorEquals, types.OperatorNotEquals, types.OperatorContains, types.OperatorDoesNotContain}
			op := ops[rng.IntN(len(ops))]
			values := append(slices.Clone(sdkListActions), "test:Nothing", "mpa:StartApprovalTeamBaseline")
			if op == types.OperatorContains || op == types.OperatorDoesNotContain {
				values = []string{"Deploy", "deploy", "test:", "Vault", ".", " ", "mpa:", "xyz"}
			}
			out = append(out, filter(types.FilterFieldActionName, op, values[rng.IntN(len(values))]))
		case 1:
			ops := []types.Operator{types.OperatorEquals, types.OperatorNotEquals}
			statuses := []string{"PENDING", "APPROVED", "FAILED", "CANCELLED", "CREATING"}
			out = append(out, filter(types.FilterFieldSessionStatus, ops[rng.IntN(len(ops))], statuses[rng.IntN(len(statuses))]))
		default:
			ops := []types.Operator{types.OperatorGreaterThan, types.OperatorLessThan, types.OperatorGreaterThanOrEqualTo,
				types.OperatorLessThanOrEqualTo, types.OperatorBetween}
			op := ops[rng.IntN(len(ops))]
			if op != types.OperatorBetween {
				out = append(out, filter(types.FilterFieldInitiationTime, op, sdkFilterTime(rng, pivot())))
				continue
			}
			a, b := pivot(), pivot()
			if b.Before(a) {
				a, b = b, a
			}
			// A whole-second form of b could fall before a: keep both exact.
			and := []string{"AND", "and", "And"}[rng.IntN(3)]
			out = append(out, filter(types.FilterFieldInitiationTime, op, a.UTC().Format(time.RFC3339Nano)+" "+and+" "+b.UTC().Format(time.RFC3339Nano)))
		}
	}
	return out
}

// sdkListed is one ListSessions run: its pages and the tokens it received.
type sdkListed struct {
	pages  [][]types.ListSessionsResponseSession
	tokens []string
}

func (l sdkListed) arns() []string {
	var out []string
	for _, page := range l.pages {
		for _, s := range page {
			out = append(out, aws.ToString(s.SessionArn))
		}
	}
	return out
}

// sdkPaginate runs the SDK's paginator to the end, from token if it is not
// empty, and checks the shape of each page.
func sdkPaginate(t *testing.T, api *mpa.Client, in mpa.ListSessionsInput, token string, pageSize int32, maxPages int) sdkListed {
	t.Helper()
	if token != "" {
		in.NextToken = aws.String(token)
	}
	limit := pageSize
	if limit == 0 {
		limit = 20
	}
	var l sdkListed
	p := mpa.NewListSessionsPaginator(api, &in, func(o *mpa.ListSessionsPaginatorOptions) { o.Limit = pageSize })
	for p.HasMorePages() {
		if len(l.pages) == maxPages {
			t.Fatalf("the paginator did not stop after %d pages", maxPages)
		}
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("ListSessions page %d: %v", len(l.pages)+1, err)
		}
		if len(page.Sessions) > int(limit) {
			t.Errorf("page %d has %d sessions, want at most %d", len(l.pages)+1, len(page.Sessions), limit)
		}
		if len(page.Sessions) == 0 && (len(l.pages) > 0 || page.NextToken != nil) {
			t.Errorf("page %d is empty, but only the one page of an empty result may be", len(l.pages)+1)
		}
		l.pages = append(l.pages, page.Sessions)
		if page.NextToken != nil {
			l.tokens = append(l.tokens, *page.NextToken)
		}
	}
	return l
}

func TestSDKListSessionsRandomised(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	api := s.MPA()
	team, users := s.ActiveTeam(t, "release", 2, 3)
	sdkFreezeClock(t, s)
	rng := rand.New(rand.NewPCG(sdkListSeed, 1))
	arns := sdkSessionData(t, s, rng, team, users, 70)
	s.AdvanceClock(t, time.Hour)
	model := sdkNewSessionModel(t, api, arns)

	counts := map[types.SessionStatus]int{}
	codes := map[types.SessionStatusCode]int{}
	ties := 0
	for i, m := range model.sessions {
		counts[m.status]++
		codes[m.code]++
		if i > 0 && m.initiated.Equal(model.sessions[i-1].initiated) {
			ties++
		}
	}
	for _, status := range []types.SessionStatus{types.SessionStatusPending, types.SessionStatusApproved, types.SessionStatusFailed, types.SessionStatusCancelled} {
		if counts[status] == 0 {
			t.Fatalf("the generated data has no %s session: change the seed", status)
		}
	}
	if codes[types.SessionStatusCodeExpired] == 0 || codes[types.SessionStatusCodeRejected] == 0 {
		t.Fatalf("the generated data has %d expired and %d rejected sessions, want some of each: change the seed",
			codes[types.SessionStatusCodeExpired], codes[types.SessionStatusCodeRejected])
	}
	if ties < 5 {
		t.Fatalf("the generated data has %d sessions that share a start time with the one before, want at least 5", ties)
	}
	t.Logf("%d sessions: %v, status codes %v, %d ties", len(model.sessions), counts, codes, ties)

	seenTokens := map[string]bool{}
	pageSizes := []int32{0, 1, 2, 3, 5, 7, 20}
	for run := range 80 {
		filters := sdkRandomFilters(rng, model)
		pageSize := pageSizes[rng.IntN(len(pageSizes))]
		if rng.IntN(3) == 0 {
			pageSize = 1 + rng.Int32N(20)
		}
		want := model.match(t, filters)
		name := fmt.Sprintf("run %d: %d filters, page size %d, %d matches", run, len(filters), pageSize, len(want))
		t.Run(name, func(t *testing.T) {
			for _, f := range filters {
				t.Logf("filter %s %s %q", f.FieldName, f.Operator, aws.ToString(f.Value))
			}
			in := mpa.ListSessionsInput{ApprovalTeamArn: aws.String(team), Filters: filters}
			listed := sdkPaginate(t, api, in, "", pageSize, len(model.sessions)+2)
			var wantArns []string
			for _, m := range want {
				wantArns = append(wantArns, m.arn)
			}
			if diff := gocmp.Diff(wantArns, listed.arns()); diff != "" {
				t.Fatalf("sessions listed (-model +ListSessions):\n%s", diff)
			}
			i := 0
			for _, page := range listed.pages {
				for _, got := range page {
					w := want[i]
					i++
					if got.Status != w.status || got.StatusCode != w.code || aws.ToString(got.ActionName) != w.action || !aws.ToTime(got.InitiationTime).Equal(w.initiated) {
						t.Errorf("session %s: listed as %s/%s %q at %s, GetSession says %s/%s %q at %s", w.arn,
							got.Status, got.StatusCode, aws.ToString(got.ActionName), aws.ToTime(got.InitiationTime), w.status, w.code, w.action, w.initiated)
					}
				}
			}
			for _, token := range listed.tokens {
				if seenTokens[token] {
					t.Errorf("the server issued token %q twice", token)
				}
				seenTokens[token] = true
			}

			// Resume from the token after k pages with a new paginator,
			// possibly with another page size.
			if len(listed.pages) < 2 {
				return
			}
			k := 1 + rng.IntN(len(listed.pages)-1)
			consumed := 0
			for _, page := range listed.pages[:k] {
				consumed += len(page)
			}
			resumeSize := pageSizes[rng.IntN(len(pageSizes))]
			rest := sdkPaginate(t, api, in, listed.tokens[k-1], resumeSize, len(model.sessions)+2)
			if diff := gocmp.Diff(wantArns[consumed:], rest.arns()); diff != "" {
				t.Errorf("sessions listed after resuming at page %d with page size %d (-model +ListSessions):\n%s", k+1, resumeSize, diff)
			}
		})
	}
}

func TestSDKListSessionsTokens(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	api := s.MPA()
	ctx := t.Context()
	team, users := s.ActiveTeam(t, "release", 2, 3)
	other, _ := s.ActiveTeam(t, "other", 1, 1)
	s.StartSession(t, other, "test:Deploy")
	sdkFreezeClock(t, s)
	rng := rand.New(rand.NewPCG(sdkListSeed, 2))
	arns := sdkSessionData(t, s, rng, team, users, 30)
	model := sdkNewSessionModel(t, api, arns)

	deploys := []types.Filter{{FieldName: types.FilterFieldActionName, Operator: types.OperatorContains, Value: aws.String("eploy")}}
	in := &mpa.ListSessionsInput{ApprovalTeamArn: aws.String(team), Filters: deploys, MaxResults: aws.Int32(3)}
	first, err := api.ListSessions(ctx, in)
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	if first.NextToken == nil {
		t.Fatalf("the first page of %d deploy sessions has no NextToken", len(model.match(t, deploys)))
	}
	token := *first.NextToken

	t.Run("same token twice", func(t *testing.T) {
		var pages []*mpa.ListSessionsOutput
		for range 2 {
			page, err := api.ListSessions(ctx, &mpa.ListSessionsInput{ApprovalTeamArn: in.ApprovalTeamArn, Filters: deploys, MaxResults: in.MaxResults, NextToken: aws.String(token)})
			if err != nil {
				t.Fatalf("ListSessions with the token: %v", err)
			}
			pages = append(pages, page)
		}
		if diff := gocmp.Diff(pages[0].Sessions, pages[1].Sessions, sdkIgnoreDocumentSerde); diff != "" {
			t.Errorf("the same token gave two different pages (-first +second):\n%s", diff)
		}
		if pages[0].NextToken == nil || pages[1].NextToken == nil {
			t.Fatal("a middle page has no NextToken")
		}
		if *pages[0].NextToken == *pages[1].NextToken {
			t.Error("the server issued the same NextToken twice")
		}
		var next [][]string
		for _, p := range pages {
			page, err := api.ListSessions(ctx, &mpa.ListSessionsInput{ApprovalTeamArn: in.ApprovalTeamArn, Filters: deploys, MaxResults: in.MaxResults, NextToken: p.NextToken})
			if err != nil {
				t.Fatalf("ListSessions with the next token: %v", err)
			}
			var arns []string
			for _, s := range page.Sessions {
				arns = append(arns, aws.ToString(s.SessionArn))
			}
			next = append(next, arns)
		}
		if diff := gocmp.Diff(next[0], next[1]); diff != "" {
			t.Errorf("the two next tokens lead to different pages (-first +second):\n%s", diff)
		}
	})

	t.Run("tampered", func(t *testing.T) {
		payload, mac, ok := strings.Cut(token, ".")
		flip := func(s string, i int) string {
			c := byte('A')
			if s[i] == 'A' {
				c = 'B'
			}
			return s[:i] + string(c) + s[i+1:]
		}
		otherPage, err := api.ListSessions(ctx, &mpa.ListSessionsInput{ApprovalTeamArn: in.ApprovalTeamArn, MaxResults: aws.Int32(1)})
		if err != nil || otherPage.NextToken == nil {
			t.Fatalf("ListSessions for a second token: %v", err)
		}
		otherPayload, _, _ := strings.Cut(*otherPage.NextToken, ".")
		tests := map[string]string{
			"empty signature":      payload + ".",
			"no signature":         payload,
			"truncated":            token[:len(token)-1],
			"extended":             token + "A",
			"garbage":              "bm90IGEgdG9rZW4",
			"other payload":        otherPayload + "." + mac,
			"payload byte changed": flip(payload, len(payload)/2) + "." + mac,
			"signature changed":    payload + "." + flip(mac, len(mac)/2),
			"parts swapped":        mac + "." + payload,
		}
		if !ok {
			t.Fatalf("token %q has no signature part, but the cases below assume payload.signature", token)
		}
		for name, tampered := range tests {
			t.Run(name, func(t *testing.T) {
				_, err := api.ListSessions(ctx, &mpa.ListSessionsInput{ApprovalTeamArn: in.ApprovalTeamArn, Filters: deploys, NextToken: aws.String(tampered)})
				sdkWantValidation(t, err, "NextToken")
			})
		}
	})

	t.Run("other request", func(t *testing.T) {
		tests := map[string]*mpa.ListSessionsInput{
			"no filters": {ApprovalTeamArn: aws.String(team)},
			"other value": {ApprovalTeamArn: aws.String(team), Filters: []types.Filter{
				{FieldName: types.FilterFieldActionName, Operator: types.OperatorContains, Value: aws.String("Deploy")},
			}},
			"extra filter": {ApprovalTeamArn: aws.String(team), Filters: append(slices.Clone(deploys), types.Filter{
				FieldName: types.FilterFieldSessionStatus, Operator: types.OperatorNotEquals, Value: aws.String("CREATING"),
			})},
			"other team": {ApprovalTeamArn: aws.String(other), Filters: deploys},
		}
		for name, req := range tests {
			t.Run(name, func(t *testing.T) {
				req.NextToken = aws.String(token)
				_, err := api.ListSessions(ctx, req)
				sdkWantValidation(t, err, "NextToken")
			})
		}

		_, err := api.ListApprovalTeams(ctx, &mpa.ListApprovalTeamsInput{NextToken: aws.String(token)})
		sdkWantValidation(t, err, "NextToken")
		_, err = s.WithAccount("444455556666").MPA().ListSessions(ctx, &mpa.ListSessionsInput{ApprovalTeamArn: aws.String(team), Filters: deploys, NextToken: aws.String(token)})
		sdkWantNotFound(t, err)
	})
}

// TestSDKListSessionsStartedBetweenPages starts sessions while a client
// pages: at later times, and at the very millisecond of the sessions around
// the page boundary. None of them may appear in the rest of the listing,
// and no older session may be repeated or missed.
func TestSDKListSessionsStartedBetweenPages(t *testing.T) {
	t.Parallel()
	s := keyturntest.NewServer(t)
	api := s.MPA()
	ctx := t.Context()
	team, _ := s.ActiveTeam(t, "release", 1, 1)
	sdkFreezeClock(t, s)

	// Two groups of eight sessions that start in the same millisecond, so
	// that pages of five end inside a group.
	var arns []string
	for group := range 2 {
		if group > 0 {
			s.AdvanceClock(t, time.Second)
		}
		for i := range 8 {
			arns = append(arns, s.StartSession(t, team, fmt.Sprintf("test:Batch%d", i)).SessionArn)
		}
	}
	model := sdkNewSessionModel(t, api, arns)
	var want []string
	for _, m := range model.sessions {
		want = append(want, m.arn)
	}
	if !slices.Equal(want[:8], sdkReversed(arns[8:])) || !slices.Equal(want[8:], sdkReversed(arns[:8])) {
		t.Fatalf("the model's order %v is not newest first by creation within each group", want)
	}

	in := mpa.ListSessionsInput{ApprovalTeamArn: aws.String(team), MaxResults: aws.Int32(5)}
	var got []string
	var token *string
	for page := 0; page == 0 || token != nil; page++ {
		req := in
		req.NextToken = token
		out, err := api.ListSessions(ctx, &req)
		if err != nil {
			t.Fatalf("ListSessions page %d: %v", page+1, err)
		}
		for _, s := range out.Sessions {
			got = append(got, aws.ToString(s.SessionArn))
		}
		token = out.NextToken

		// Between pages: one session at the current time, which after the
		// first page is the millisecond of the newest group and of the
		// page's last session, and one a minute later.
		s.StartSession(t, team, "test:Latecomer")
		s.AdvanceClock(t, time.Minute)
		s.StartSession(t, team, "test:Latecomer")
		if page > 10 {
			t.Fatal("the listing did not end after 10 pages")
		}
	}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("sessions listed while others started (-before paging +listed):\n%s", diff)
	}

	all, err := sdkListAllSessions(ctx, api, team, nil)
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	if len(all) != len(want)+8 {
		t.Errorf("a new listing has %d sessions, want %d", len(all), len(want)+8)
	}
	for _, s := range all[:8] {
		if aws.ToString(s.ActionName) != "test:Latecomer" {
			t.Errorf("got %s among the newest sessions, want only the latecomers", aws.ToString(s.ActionName))
		}
	}
}

// TestSDKListSessionsTokensAcrossReplicas pages through one listing on two
// servers that share a PostgreSQL database: each accepts the other's
// tokens.
func TestSDKListSessionsTokensAcrossReplicas(t *testing.T) {
	t.Parallel()
	db := storetest.PostgresURL(t)
	first := keyturntest.Start(t, keyturntest.Options{Database: db})
	second := keyturntest.Start(t, keyturntest.Options{Database: db})
	team, _ := first.ActiveTeam(t, "release", 1, 1)
	var want []string
	for i := range 7 {
		want = append([]string{first.StartSession(t, team, fmt.Sprintf("test:Step%d", i)).SessionArn}, want...)
	}

	var got []string
	var token *string
	replicas := []*mpa.Client{first.MPA(), second.MPA()}
	for page := 0; page == 0 || token != nil; page++ {
		if page > len(want) {
			t.Fatalf("the listing did not end after %d pages", page)
		}
		out, err := replicas[page%2].ListSessions(t.Context(), &mpa.ListSessionsInput{
			ApprovalTeamArn: aws.String(team), MaxResults: aws.Int32(2), NextToken: token,
		})
		if err != nil {
			t.Fatalf("ListSessions page %d on replica %d: %v", page+1, page%2+1, err)
		}
		for _, s := range out.Sessions {
			got = append(got, aws.ToString(s.SessionArn))
		}
		token = out.NextToken
	}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("sessions listed across replicas (-want +got):\n%s", diff)
	}
}

func sdkReversed(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}
