package bench

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercentiles(t *testing.T) {
	var latencies []time.Duration
	for i := 100; i >= 1; i-- {
		latencies = append(latencies, time.Duration(i)*time.Millisecond)
	}
	p := percentiles(latencies)
	checks := []struct {
		name      string
		got, want float64
	}{
		{"p50", p.P50, 50},
		{"p90", p.P90, 90},
		{"p99", p.P99, 99},
		{"max", p.Max, 100},
		{"mean", p.Mean, 50.5},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v ms, want %v ms", c.name, c.got, c.want)
		}
	}
	if p := percentiles(nil); p != (Percentiles{}) {
		t.Errorf("percentiles of no latencies = %+v, want zero", p)
	}
}

func TestRunLoadStopsAtMaxRequests(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	hc := newHTTPClient(4)
	newOp := func(int) Op {
		return func(ctx context.Context) (int, error) {
			c := newSignedClient(srv.URL, hc, "AKID", "secret", "mpa")
			b, err := c.do(ctx, http.MethodGet, "/", nil, nil)
			return len(b), err
		}
	}
	r := RunLoad(context.Background(), "test", newOp, LoadOptions{Concurrency: 4, Duration: 10 * time.Second, MaxRequests: 200})
	if r.Requests < 200 || r.Requests > 200+4 {
		t.Errorf("sent %d requests, want 200 and at most one in flight per worker more", r.Requests)
	}
	if r.Errors != 0 {
		t.Errorf("got %d errors: %v", r.Errors, r.ErrorSamples)
	}
	if r.Seconds >= 10 {
		t.Errorf("measured %.1fs, want an early stop at the request limit", r.Seconds)
	}
	if r.ResponseBytes != float64(len(`{"ok":true}`)) {
		t.Errorf("mean response size %.1f bytes, want %d", r.ResponseBytes, len(`{"ok":true}`))
	}
}

func TestRunLoadCountsErrorsAndExhaustion(t *testing.T) {
	var calls atomic.Int64
	newOp := func(int) Op {
		return func(context.Context) (int, error) {
			switch n := calls.Add(1); {
			case n > 30:
				return 0, ErrExhausted
			case n%10 == 0:
				return 0, errors.New("injected failure")
			default:
				return 1, nil
			}
		}
	}
	r := RunLoad(context.Background(), "test", newOp, LoadOptions{Concurrency: 1, Duration: 10 * time.Second})
	if !r.Exhausted {
		t.Error("Exhausted is false after the operation ran out of work")
	}
	if r.Requests != 30 {
		t.Errorf("counted %d requests, want 30", r.Requests)
	}
	if r.Errors != 3 {
		t.Errorf("counted %d errors, want 3", r.Errors)
	}
	if len(r.ErrorSamples) != 1 || r.ErrorSamples[0] != "injected failure" {
		t.Errorf("error samples = %q, want the one distinct message", r.ErrorSamples)
	}
}

func TestHTTPErrorFromResponse(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amzn-ErrorType", "ValidationException")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"Message":"bad filter"}`))
	}))
	defer srv.Close()
	c := newSignedClient(srv.URL, newHTTPClient(1), "AKID", "secret", "mpa")
	_, err := c.do(context.Background(), http.MethodPost, "/", nil, []byte(`{}`))
	var httpErr *HTTPError
	if !errors.As(err, &httpErr) {
		t.Fatalf("got error %v, want an *HTTPError", err)
	}
	if httpErr.Status != 400 || httpErr.Code != "ValidationException" || httpErr.Message != "bad filter" {
		t.Errorf("got %+v, want status 400, ValidationException, bad filter", httpErr)
	}
}
