package model

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Violation is one input constraint that a request breaks.
type Violation struct {
	// Path names the member, such as Approvers[0].PrimaryIdentityId.
	Path string
	// Value is the offending value, or nil when it is missing or sensitive.
	Value any
	// Rule states the constraint, such as "Member must not be null".
	Rule string
}

// String formats the violation the way AWS services word one.
func (v Violation) String() string {
	switch val := v.Value.(type) {
	case nil:
		return fmt.Sprintf("Value at '%s' failed to satisfy constraint: %s", v.Path, v.Rule)
	case string:
		// A NUL character is shown escaped, so that the message stays
		// printable text.
		shown := strings.ReplaceAll(truncate(val, 100), "\x00", `\u0000`)
		return fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: %s", shown, v.Path, v.Rule)
	default:
		return fmt.Sprintf("Value '%v' at '%s' failed to satisfy constraint: %s", val, v.Path, v.Rule)
	}
}

// Message joins violations into one ValidationException message, as in
// "2 validation errors detected: Value ...; Value ...".
func Message(vs []Violation) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.String()
	}
	noun := "errors"
	if len(vs) == 1 {
		noun = "error"
	}
	return fmt.Sprintf("%d validation %s detected: %s", len(vs), noun, strings.Join(parts, "; "))
}

// Validate checks a JSON value, decoded with json.Decoder.UseNumber, against
// the named shape. The path names the value in violations; for a whole
// request it is empty. A nil value is valid: structures check their required
// members themselves.
func Validate(shapeName string, v any, path string) []Violation {
	var vs []Violation
	validate(shapeName, v, path, &vs)
	return vs
}

func validate(shapeName string, v any, path string, vs *[]Violation) {
	s := Shapes[shapeName]
	if s == nil || v == nil {
		return
	}
	shown := v
	if s.Sensitive {
		shown = nil
	}
	fail := func(rule string, args ...any) {
		*vs = append(*vs, Violation{Path: displayPath(path), Value: shown, Rule: fmt.Sprintf(rule, args...)})
	}
	switch s.Type {
	case "structure":
		obj, ok := v.(map[string]any)
		if !ok {
			fail("Member must be a JSON object")
			return
		}
		validateStructure(s, obj, path, vs)
	case "list":
		list, ok := v.([]any)
		if !ok {
			fail("Member must be a JSON array")
			return
		}
		checkSize(s, len(list), fail)
		for i, elem := range list {
			validate(s.Member, elem, fmt.Sprintf("%s[%d]", path, i), vs)
		}
	case "map":
		obj, ok := v.(map[string]any)
		if !ok {
			fail("Member must be a JSON object")
			return
		}
		checkSize(s, len(obj), fail)
		for _, key := range slices.Sorted(maps.Keys(obj)) {
			validate(s.Key, key, path+".key", vs)
			if obj[key] == nil {
				*vs = append(*vs, Violation{Path: displayPath(path + "." + key), Rule: "Member must not be null"})
				continue
			}
			validate(s.Value, obj[key], path+"."+key, vs)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			fail("Member must be a string")
			return
		}
		validateString(s, str, fail)
	case "integer", "long":
		n, ok := v.(json.Number)
		if !ok {
			fail("Member must be an integer")
			return
		}
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil {
			fail("Member must be an integer")
			return
		}
		if s.HasMin && i < s.Min {
			fail("Member must have value greater than or equal to %d", s.Min)
		}
		if s.HasMax && i > s.Max {
			fail("Member must have value less than or equal to %d", s.Max)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			fail("Member must be a boolean")
		}
	case "timestamp":
		if _, ok := v.(string); !ok {
			fail("Member must be an ISO 8601 timestamp string")
		}
	}
}

func validateStructure(s *Shape, obj map[string]any, path string, vs *[]Violation) {
	for _, name := range s.Required {
		if obj[name] == nil {
			*vs = append(*vs, Violation{Path: displayPath(join(path, name)), Rule: "Member must not be null"})
		}
	}
	set := 0
	for _, m := range s.Members {
		val, present := obj[m.Name]
		if !present || val == nil {
			continue
		}
		set++
		validate(m.Shape, val, join(path, m.Name), vs)
	}
	if s.Union && set != 1 {
		names := make([]string, len(s.Members))
		for i, m := range s.Members {
			names[i] = m.Name
		}
		*vs = append(*vs, Violation{
			Path: displayPath(path),
			Rule: fmt.Sprintf("Exactly one member must be set, out of [%s], but %d were set", strings.Join(names, ", "), set),
		})
	}
}

// nulRule is the rule that every string member keeps, in addition to the
// model's. PostgreSQL cannot store the NUL character in text, and no member
// of the model needs it.
const nulRule = "Member must not contain the NUL character"

func validateString(s *Shape, str string, fail func(string, ...any)) {
	if strings.IndexByte(str, 0) >= 0 {
		fail(nulRule)
	}
	if len(s.Enum) > 0 {
		for _, e := range s.Enum {
			if str == e {
				return
			}
		}
		fail("Member must satisfy enum value set: [%s]", strings.Join(s.Enum, ", "))
		return
	}
	n := int64(utf8.RuneCountInString(str))
	if s.HasMin && n < s.Min {
		fail("Member must have length greater than or equal to %d", s.Min)
	}
	if s.HasMax && n > s.Max {
		fail("Member must have length less than or equal to %d", s.Max)
	}
	if s.Pattern != "" && !pattern(s.Pattern).MatchString(str) {
		fail("Member must satisfy regular expression pattern: %s", s.Pattern)
	}
}

func checkSize(s *Shape, n int, fail func(string, ...any)) {
	if s.HasMin && int64(n) < s.Min {
		fail("Member must have length greater than or equal to %d", s.Min)
	}
	if s.HasMax && int64(n) > s.Max {
		fail("Member must have length less than or equal to %d", s.Max)
	}
}

var patterns sync.Map // model pattern -> *regexp.Regexp

// pattern compiles a model pattern so that it must match the whole value,
// as the model's patterns are meant.
func pattern(p string) *regexp.Regexp {
	if re, ok := patterns.Load(p); ok {
		return re.(*regexp.Regexp)
	}
	re := regexp.MustCompile(`^(?:` + splitRepeats(p) + `)$`)
	patterns.Store(p, re)
	return re
}

// largeRepeatRE finds a bracket expression or dot followed by a counted
// repeat, such as [a-z]{1,1023}.
var largeRepeatRE = regexp.MustCompile(`(\[[^\]]*\]|\.)\{(\d+),(\d+)\}`)

// splitRepeats rewrites counted repeats above RE2's limit of 1000, which
// some model patterns use, as two repeats that together match the same
// counts: X{1,1023} becomes X{1,1000}X{0,23}.
func splitRepeats(p string) string {
	return largeRepeatRE.ReplaceAllStringFunc(p, func(m string) string {
		sub := largeRepeatRE.FindStringSubmatch(m)
		lo, _ := strconv.Atoi(sub[2])
		hi, _ := strconv.Atoi(sub[3])
		if hi <= 1000 {
			return m
		}
		return fmt.Sprintf("%s{%d,1000}%s{0,%d}", sub[1], lo, sub[1], hi-1000)
	})
}

// MatchesPattern reports whether the value satisfies the shape's pattern.
// A shape without a pattern matches everything.
func MatchesPattern(shapeName, value string) bool {
	s := Shapes[shapeName]
	if s == nil || s.Pattern == "" {
		return true
	}
	return pattern(s.Pattern).MatchString(value)
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func displayPath(path string) string {
	if path == "" {
		return "request"
	}
	return path
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "..."
}
