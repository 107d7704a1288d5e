package bench

import (
	"fmt"
	"strings"
	"time"

	"github.com/keyturn/keyturn"
)

// Targets of a scenario.
const (
	TargetKeyturn = "keyturn"
	TargetMinimal = "minimal"
	TargetMoto    = "moto"
)

// Scenario names that are not ListSessions variants.
const (
	ScenarioGet     = "get"
	ScenarioStart   = "start"
	ScenarioVote    = "vote"
	ScenarioMinimal = "minimal/list"
	ScenarioMoto    = "moto/describe-log-groups"
	ScenarioFirst   = "list/first"
)

// listSpec is a ListSessions scenario on the first page.
type listSpec struct {
	Name        string
	Description string
	Filters     []Filter
}

// filterTime formats a filter time as ISO 8601 in UTC, to the second.
func filterTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// listSpecs returns the first-page ListSessions scenarios of a data set:
// no filter, each supported field and operator, and several filters at
// once. Action filters use the most frequent action. Time filters split
// the data set's span in the middle, and BETWEEN takes a window of a
// twelfth of the span around the middle.
func listSpecs(m *Manifest) []listSpec {
	top := m.Actions[0]
	rare := m.Actions[len(m.Actions)-1]
	service, _, _ := strings.Cut(m.Actions[2], ":")
	mid := m.Start.Add(m.End.Sub(m.Start) / 2)
	half := m.End.Sub(m.Start) / 24
	between := filterTime(mid.Add(-half)) + " AND " + filterTime(mid.Add(half))
	approved := string(keyturn.SessionApproved)
	f := func(field, op, value string) Filter { return Filter{Field: field, Op: op, Value: value} }
	return []listSpec{
		{ScenarioFirst, "no filter", nil},
		{"list/action-eq", "ActionName EQ " + top, []Filter{f(keyturn.FieldActionName, keyturn.OpEQ, top)}},
		{"list/action-ne", "ActionName NE " + top, []Filter{f(keyturn.FieldActionName, keyturn.OpNE, top)}},
		{"list/action-contains", "ActionName CONTAINS " + service + ":", []Filter{f(keyturn.FieldActionName, keyturn.OpContains, service+":")}},
		{"list/action-contains-rare", "ActionName CONTAINS the rarest action", []Filter{f(keyturn.FieldActionName, keyturn.OpContains, rare)}},
		{"list/action-not-contains", "ActionName NOT_CONTAINS " + top, []Filter{f(keyturn.FieldActionName, keyturn.OpNotContains, top)}},
		{"list/status-eq", "SessionStatus EQ APPROVED", []Filter{f(keyturn.FieldSessionStatus, keyturn.OpEQ, approved)}},
		{"list/status-ne", "SessionStatus NE APPROVED", []Filter{f(keyturn.FieldSessionStatus, keyturn.OpNE, approved)}},
		{"list/status-eq-pending", "SessionStatus EQ PENDING (few match)", []Filter{f(keyturn.FieldSessionStatus, keyturn.OpEQ, string(keyturn.SessionPending))}},
		{"list/time-gt", "InitiationTime GT the middle of the span", []Filter{f(keyturn.FieldInitiationTime, keyturn.OpGT, filterTime(mid))}},
		{"list/time-gte", "InitiationTime GTE the middle of the span", []Filter{f(keyturn.FieldInitiationTime, keyturn.OpGTE, filterTime(mid))}},
		{"list/time-lt", "InitiationTime LT the middle of the span", []Filter{f(keyturn.FieldInitiationTime, keyturn.OpLT, filterTime(mid))}},
		{"list/time-lte", "InitiationTime LTE the middle of the span", []Filter{f(keyturn.FieldInitiationTime, keyturn.OpLTE, filterTime(mid))}},
		{"list/time-between", "InitiationTime BETWEEN a window of 1/12 of the span", []Filter{f(keyturn.FieldInitiationTime, keyturn.OpBetween, between)}},
		{"list/multi", "ActionName EQ " + top + ", SessionStatus EQ APPROVED and InitiationTime BETWEEN", []Filter{
			f(keyturn.FieldActionName, keyturn.OpEQ, top),
			f(keyturn.FieldSessionStatus, keyturn.OpEQ, approved),
			f(keyturn.FieldInitiationTime, keyturn.OpBetween, between),
		}},
	}
}

// deepFilter is the filter of the filtered deep page scenario.
var deepFilter = []Filter{{Field: keyturn.FieldSessionStatus, Op: keyturn.OpEQ, Value: string(keyturn.SessionApproved)}}

// pageScenario names the scenario of a deep page, unfiltered or with
// deepFilter.
func pageScenario(page int, filtered bool) string {
	if filtered {
		return fmt.Sprintf("list/status-eq/page-%d", page)
	}
	return fmt.Sprintf("list/page-%d", page)
}

// MatchScenario reports whether a scenario name matches one of the
// patterns, in which * matches any run of characters, slashes included. No
// patterns match every name.
func MatchScenario(patterns []string, name string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		if matchGlob(p, name) {
			return true
		}
	}
	return false
}

func matchGlob(pattern, name string) bool {
	for pattern != "" {
		if pattern[0] == '*' {
			pattern = strings.TrimLeft(pattern, "*")
			if pattern == "" {
				return true
			}
			for i := range len(name) + 1 {
				if matchGlob(pattern, name[i:]) {
					return true
				}
			}
			return false
		}
		if name == "" || pattern[0] != name[0] {
			return false
		}
		pattern, name = pattern[1:], name[1:]
	}
	return name == ""
}

// ScenarioNames returns the name of every scenario that run measures for
// the pages, in the order run measures them.
func ScenarioNames(pages []int) []string {
	var names []string
	for _, s := range listSpecs(&Manifest{Actions: ActionNames()}) {
		names = append(names, s.Name)
	}
	for _, p := range pages {
		names = append(names, pageScenario(p, false))
	}
	if len(pages) > 0 {
		names = append(names, pageScenario(pages[len(pages)-1], true))
	}
	return append(names, ScenarioGet, ScenarioStart, ScenarioVote, ScenarioMinimal, ScenarioMoto)
}
