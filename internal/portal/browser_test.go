package portal_test

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// browser drives the portal as a web browser would: it keeps cookies,
// follows redirects, and sends the Origin and Sec-Fetch-Site headers that
// browsers add to a form submission.
type browser struct {
	t      *testing.T
	base   string
	client *http.Client
}

// response is a page that the portal returned.
type response struct {
	status int
	header http.Header
	body   string
	// url is where the browser ended up after redirects.
	url *url.URL
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatalf("create cookie jar: %v", err)
	}
	return &browser{t: t, base: base, client: &http.Client{Jar: jar}}
}

// withoutRedirects returns a browser with the same cookies that reports
// redirects instead of following them.
func (b *browser) withoutRedirects() *browser {
	client := *b.client
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{t: b.t, base: b.base, client: &client}
}

func (b *browser) get(path string) response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.base+path, nil)
	if err != nil {
		b.t.Fatalf("build GET %s: %v", path, err)
	}
	return b.do(req)
}

// post submits a form from a page of the portal.
func (b *browser) post(path string, form url.Values) response {
	b.t.Helper()
	req := b.newPost(path, form)
	req.Header.Set("Origin", b.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return b.do(req)
}

func (b *browser) newPost(path string, form url.Values) *http.Request {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatalf("build POST %s: %v", path, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

func (b *browser) do(req *http.Request) response {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatalf("read the response to %s %s: %v", req.Method, req.URL, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(body), url: resp.Request.URL}
}

// cookie returns the portal cookie that the browser holds, or nil.
func (b *browser) cookie() *http.Cookie {
	b.t.Helper()
	u, err := url.Parse(b.base + "/portal/")
	if err != nil {
		b.t.Fatalf("parse %s: %v", b.base, err)
	}
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == "keyturn_portal" {
			return c
		}
	}
	return nil
}

// setCookie makes the browser hold the portal cookie with the value.
func (b *browser) setCookie(value string) {
	u, err := url.Parse(b.base + "/portal/")
	if err != nil {
		b.t.Fatalf("parse %s: %v", b.base, err)
	}
	b.client.Jar.SetCookies(u, []*http.Cookie{{Name: "keyturn_portal", Value: value, Path: "/portal/"}})
}

// inputValue returns the value of the input element with the id.
func inputValue(t *testing.T, body, id string) string {
	t.Helper()
	re := regexp.MustCompile(`<input id="` + regexp.QuoteMeta(id) + `"[^>]*\svalue="([^"]*)"`)
	match := re.FindStringSubmatch(body)
	if match == nil {
		t.Fatalf("the page has no input %q with a value:\n%s", id, body)
	}
	return html.UnescapeString(match[1])
}

// wantStatus fails the test unless the response has the status.
func wantStatus(t *testing.T, what string, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: got status %d, want %d; page:\n%s", what, r.status, status, r.body)
	}
}

// wantText fails the test unless the page contains the text, after HTML
// escaping.
func wantText(t *testing.T, what string, r response, text string) {
	t.Helper()
	if !strings.Contains(r.body, html.EscapeString(text)) {
		t.Errorf("%s: the page does not contain %q; page:\n%s", what, text, r.body)
	}
}

// messageRE finds the notice or error message of a page.
var messageRE = regexp.MustCompile(`<p class="message (?:notice|error)" role="(?:status|alert)">([^<]*)</p>`)

// message returns the page's notice or error message, or "".
func message(r response) string {
	match := messageRE.FindStringSubmatch(r.body)
	if match == nil {
		return ""
	}
	return html.UnescapeString(match[1])
}
