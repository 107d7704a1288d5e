package mpaapi

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/keyturn/keyturn/internal/mpaapi/model"
	"github.com/keyturn/keyturn/internal/wire"
)

// MPA request URIs carry ARNs as path labels, percent-encoded inside one
// segment (arn%3Aaws%3Ampa%3A...%2Fsession%2F...), and tell operations apart
// by bare query keys (?List, ?Delete) and trailing slashes. The router
// splits the path as sent, before unescaping, so an encoded slash stays in
// its segment; it then matches each operation's URI template from the
// model, segment by segment.

// route is one operation's URI template, parsed.
type route struct {
	op     *model.Operation
	method string
	// segments of the path template; a label is "{Name}".
	segments []string
	// queryKey is the bare query key the operation requires, if any.
	queryKey string
}

// match is a routed request.
type match struct {
	op     *model.Operation
	labels map[string]string
}

type router struct {
	routes []route
}

func newRouter() *router {
	r := &router{}
	for i := range model.Operations {
		op := &model.Operations[i]
		path, query, _ := strings.Cut(op.URI, "?")
		r.routes = append(r.routes, route{
			op:       op,
			method:   op.Method,
			segments: strings.Split(strings.TrimPrefix(path, "/"), "/"),
			queryKey: query,
		})
	}
	return r
}

// splitPath splits the path as the client sent it into unescaped segments.
func splitPath(u *url.URL) ([]string, error) {
	raw := strings.TrimPrefix(u.EscapedPath(), "/")
	parts := strings.Split(raw, "/")
	for i, p := range parts {
		s, err := url.PathUnescape(p)
		if err != nil {
			return nil, fmt.Errorf("path segment %q is not valid percent-encoding", p)
		}
		parts[i] = s
	}
	return parts, nil
}

// find returns the operation for the request. A path that no operation
// has gives UnknownOperationException (404); a path that exists for other
// methods or query keys gives 405 with the methods that fit.
func (rt *router) find(r *http.Request) (*match, error) {
	segments, err := splitPath(r.URL)
	if err != nil {
		return nil, &wire.APIError{Status: http.StatusBadRequest, Code: "ValidationException", Message: "The request path is malformed: " + err.Error() + "."}
	}
	query := r.URL.Query()
	var allowed []string
	for i := range rt.routes {
		rte := &rt.routes[i]
		labels, ok := rte.matchPath(segments)
		if !ok {
			continue
		}
		if rte.queryKey != "" && !query.Has(rte.queryKey) {
			allowed = append(allowed, rte.method+" ?"+rte.queryKey)
			continue
		}
		if rte.method != r.Method {
			allowed = append(allowed, rte.describe())
			continue
		}
		if rte.queryKey == "" && rt.shadowed(rte, segments, query) {
			continue
		}
		return &match{op: rte.op, labels: labels}, nil
	}
	if len(allowed) > 0 {
		slices.Sort(allowed)
		var methods []string
		for _, a := range allowed {
			m, _, _ := strings.Cut(a, " ")
			if !slices.Contains(methods, m) {
				methods = append(methods, m)
			}
		}
		return nil, &wire.APIError{
			Status:  http.StatusMethodNotAllowed,
			Code:    "UnknownOperationException",
			Message: fmt.Sprintf("No MPA operation is %s %s. This path accepts: %s.", r.Method, r.URL.Path, strings.Join(allowed, ", ")),
			Allow:   strings.Join(methods, ", "),
		}
	}
	return nil, &wire.APIError{
		Status:  http.StatusNotFound,
		Code:    "UnknownOperationException",
		Message: fmt.Sprintf("No MPA operation has the path %s. See the MPA API reference for the operations of API version 2022-07-26.", r.URL.Path),
	}
}

// shadowed reports whether another route with a query key also matches the
// request: POST /approval-teams/{Arn}?Delete must not fall through to a
// route without the key.
func (rt *router) shadowed(rte *route, segments []string, query url.Values) bool {
	for i := range rt.routes {
		other := &rt.routes[i]
		if other == rte || other.queryKey == "" || other.method != rte.method {
			continue
		}
		if _, ok := other.matchPath(segments); ok && query.Has(other.queryKey) {
			return true
		}
	}
	return false
}

func (rte *route) matchPath(segments []string) (map[string]string, bool) {
	if len(segments) != len(rte.segments) {
		return nil, false
	}
	var labels map[string]string
	for i, tmpl := range rte.segments {
		if strings.HasPrefix(tmpl, "{") {
			if segments[i] == "" {
				return nil, false
			}
			if labels == nil {
				labels = map[string]string{}
			}
			labels[strings.Trim(tmpl, "{}")] = segments[i]
			continue
		}
		if segments[i] != tmpl {
			return nil, false
		}
	}
	return labels, true
}

func (rte *route) describe() string {
	if rte.queryKey != "" {
		return rte.method + " ?" + rte.queryKey
	}
	return rte.method
}
