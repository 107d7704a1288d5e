package portal

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/keyturn/keyturn"
	"github.com/keyturn/keyturn/internal/engine"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static/style.css
var stylesheet []byte

// stylesheetETag lets browsers revalidate the stylesheet cheaply.
var stylesheetETag = func() string {
	sum := sha256.Sum256(stylesheet)
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}()

// pageNames are the templates in templates/ that render a whole page. Each
// defines "content" for the layout in layout.html.
var pageNames = []string{"signin", "enrolled", "continue", "home", "session", "factors", "error"}

// pageTemplates maps a page name to its template, layout included.
type pageTemplates map[string]*template.Template

func mustParseTemplates() pageTemplates {
	base := template.Must(template.New("layout.html").Funcs(templateFuncs).
		ParseFS(templateFiles, "templates/layout.html", "templates/parts.html"))
	pages := pageTemplates{}
	for _, name := range pageNames {
		t := template.Must(base.Clone())
		pages[name] = template.Must(t.ParseFS(templateFiles, "templates/"+name+".html"))
	}
	return pages
}

var templateFuncs = template.FuncMap{
	// isoTime formats a time for a <time datetime> attribute.
	"isoTime": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	// showTime formats a time for reading.
	"showTime": func(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") },
	// methodName names a second-factor method for reading.
	"methodName": methodName,
	// proofForm passes the factors page and a prefix for element ids to the
	// "proof" template, which several forms on the page include.
	"proofForm": func(p *factorsPage, id string) proofForm { return proofForm{Page: p, ID: id} },
	// factorName names an enrolled factor, with its label where the label
	// adds something, such as the address of e-mailed codes.
	"factorName": func(f engine.Factor) string {
		name := methodName(f.Method)
		if f.Label == "" || strings.EqualFold(f.Label, name) {
			return name
		}
		return name + " (" + f.Label + ")"
	},
}

func methodName(method string) string {
	switch method {
	case keyturn.MFATOTP:
		return "Authenticator app"
	case keyturn.MFAEmailOTP:
		return "E-mailed codes"
	default:
		return method
	}
}

// page is the data that every page shows: its title, the approver and
// the outcome of the last action.
type page struct {
	Title string
	// User is the signed-in approver, or nil on the sign-in pages.
	User *keyturn.User
	// Notice is the outcome of the action the approver just took.
	Notice string
	// Error is the message of an action that failed.
	Error string
	// RefreshURL, when set, makes the browser load that path of the portal
	// at once.
	RefreshURL string
}

func (p *page) base() *page { return p }

// pageData is a page's data: a struct that embeds page.
type pageData interface{ base() *page }

// render writes the named page with the status. The page is executed into
// a buffer first, so that a template error becomes a clean error page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, data pageData) {
	var buf bytes.Buffer
	if err := h.pages[name].ExecuteTemplate(&buf, "layout.html", data); err != nil {
		h.log.ErrorContext(r.Context(), "portal: render page failed", "page", name, "err", err)
		buf.Reset()
		status = http.StatusInternalServerError
		errData := &errorPage{page: page{Title: "Something went wrong", Error: internalMessage}}
		if err := h.pages["error"].ExecuteTemplate(&buf, "layout.html", errData); err != nil {
			http.Error(w, internalMessage, status)
			return
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// renderError writes an error page with the message.
func (h *Handler) renderError(w http.ResponseWriter, r *http.Request, status int, message string) {
	data := &errorPage{page: page{Title: http.StatusText(status), Error: message}}
	if cookie, err := r.Cookie(cookieName); err == nil && cookie.Value != "" {
		data.SignedIn = true
	}
	h.render(w, r, status, "error", data)
}

// serveStylesheet serves the embedded stylesheet, which browsers may cache
// but must revalidate, so that an upgrade shows at once.
func serveStylesheet(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("ETag", stylesheetETag)
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	http.ServeContent(w, r, "style.css", time.Time{}, bytes.NewReader(stylesheet))
}

type errorPage struct {
	page
	// SignedIn offers a link home instead of the sign-in page.
	SignedIn bool
}

type signInPage struct {
	page
	// Next is the path of the portal to go to after sign-in.
	Next string
}

type enrolledPage struct {
	page
	Token string
	Next  string
}

type continuePage struct {
	page
	URL string
}

// remaining describes the time from now until t, rounded down to minutes.
func remaining(now, t time.Time) string {
	d := t.Sub(now)
	switch {
	case d <= 0:
		return "passed"
	case d < time.Minute:
		return "less than a minute left"
	}
	days := int(d / (24 * time.Hour))
	hours := int(d % (24 * time.Hour) / time.Hour)
	minutes := int(d % time.Hour / time.Minute)
	var parts []string
	if days > 0 {
		parts = append(parts, plural(days, "day"))
	}
	if hours > 0 {
		parts = append(parts, plural(hours, "hour"))
	}
	if minutes > 0 && days == 0 {
		parts = append(parts, plural(minutes, "minute"))
	}
	return strings.Join(parts, " ") + " left"
}

func plural(n int, unit string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", unit)
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
