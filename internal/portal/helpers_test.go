package portal

import (
	"testing"
	"time"
)

func TestLocalPath(t *testing.T) {
	tests := []struct {
		raw  string
		want string
		ok   bool
	}{
		{"/portal/", "/portal/", true},
		{"/portal/factors", "/portal/factors", true},
		{"/portal/factors?x=1#top", "/portal/factors", true},
		{"/portal/sessions/arn:aws:mpa:us-east-1:111122223333:session%2Fteam%2Fid", "/portal/sessions/arn:aws:mpa:us-east-1:111122223333:session%2Fteam%2Fid", true},
		{"", "", false},
		{"/portal", "", false},
		{"/keyturn/health", "", false},
		{"//attacker.example/portal/", "", false},
		{"https://attacker.example/portal/", "", false},
		{"/portal/../keyturn/health", "", false},
		{"/portal/%2e%2e/keyturn/health", "", false},
		{"/portal/./factors", "", false},
		{`/portal/\attacker.example`, "", false},
		{"/portal/\r\nSet-Cookie: a=b", "", false},
		{"/portal/\x00", "", false},
	}
	for _, tc := range tests {
		got, ok := localPath(tc.raw)
		if got != tc.want || ok != tc.ok {
			t.Errorf("localPath(%q) = %q, %t; want %q, %t", tc.raw, got, ok, tc.want, tc.ok)
		}
	}
}

func TestRemaining(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		until time.Duration
		want  string
	}{
		{-time.Minute, "passed"},
		{0, "passed"},
		{30 * time.Second, "less than a minute left"},
		{time.Minute, "1 minute left"},
		{90 * time.Minute, "1 hour 30 minutes left"},
		{2 * time.Hour, "2 hours left"},
		{23*time.Hour + 59*time.Minute + 59*time.Second, "23 hours 59 minutes left"},
		{49*time.Hour + 5*time.Minute, "2 days 1 hour left"},
		{7 * 24 * time.Hour, "7 days left"},
	}
	for _, tc := range tests {
		if got := remaining(now, now.Add(tc.until)); got != tc.want {
			t.Errorf("remaining(%s) = %q, want %q", tc.until, got, tc.want)
		}
	}
}
