package model

import (
	"strings"
	"testing"
)

func TestEveryModelPatternCompiles(t *testing.T) {
	for name, s := range Shapes {
		if s.Pattern == "" {
			continue
		}
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("shape %s: pattern %q does not compile: %v", name, s.Pattern, p)
				}
			}()
			pattern(s.Pattern)
		}()
	}
}

func TestSplitRepeatsKeepsLimits(t *testing.T) {
	re := pattern(`[a-z]{1,1023}`)
	tests := []struct {
		length int
		want   bool
	}{{0, false}, {1, true}, {1000, true}, {1023, true}, {1024, false}}
	for _, tc := range tests {
		if got := re.MatchString(strings.Repeat("a", tc.length)); got != tc.want {
			t.Errorf("length %d: match = %v, want %v", tc.length, got, tc.want)
		}
	}
}
