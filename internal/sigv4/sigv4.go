// Package sigv4 verifies AWS Signature Version 4 on incoming requests.
//
// The server recomputes the signature from the parts the client says it
// signed: the method, the path as sent, the query, the signed headers and a
// SHA-256 of the body. It follows AWS's published signing process for
// services other than S3, whose canonical URI encodes the already encoded
// path a second time. Request freshness is checked against the real clock.
package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	algorithm = "AWS4-HMAC-SHA256"
	// DefaultMaxSkew is how far a request's time may be from the server's,
	// as AWS allows.
	DefaultMaxSkew = 15 * time.Minute
	amzDateFormat  = "20060102T150405Z"
)

// Credential is an access key that the server accepts, with the account
// and principal it stands for.
type Credential struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	AccountID       string `json:"AccountId"`
	PrincipalArn    string `json:"PrincipalArn"`
	// Operator credentials may also change settings shared by every
	// account, such as the policy catalogue, and export or import
	// snapshots.
	Operator bool `json:"Operator,omitempty"`
	// IdentityAdmin credentials may manage the account's identity store:
	// create users and issue their enrolment codes.
	IdentityAdmin bool `json:"IdentityAdmin,omitempty"`
}

// Identity is the verified signer of a request.
type Identity struct {
	Credential
	// Region is the region of the signature's credential scope.
	Region string
}

// Error is a failed verification, with the AWS error code and HTTP status
// that AWS services return for it.
type Error struct {
	Code    string
	Status  int
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Verifier checks request signatures against a set of credentials.
type Verifier struct {
	// Service is the signing name that credential scopes must carry.
	Service string
	// Credentials maps access key ids to credentials.
	Credentials map[string]Credential
	// AnyKey accepts every access key without checking the signature,
	// for development. The account is the access key itself when that is
	// 12 digits, and DefaultAccountID otherwise.
	AnyKey           bool
	DefaultAccountID string
	// MaxSkew bounds the difference between a request's time and the
	// server's. Zero means DefaultMaxSkew.
	MaxSkew time.Duration
	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
}

var (
	authRE       = regexp.MustCompile(`^AWS4-HMAC-SHA256\s+Credential=([^,\s]+)\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-fA-F]+)\s*$`)
	accountKeyRE = regexp.MustCompile(`^[0-9]{12}$`)
)

// Verify checks the signature of r, whose body has already been read into
// body, and returns the signer. The error is always an *Error.
func (v *Verifier) Verify(r *http.Request, body []byte) (*Identity, error) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		if r.URL.Query().Has("X-Amz-Algorithm") {
			return nil, &Error{"IncompleteSignatureException", http.StatusBadRequest,
				"Presigned URLs are not supported. Sign the request with an Authorization header."}
		}
		return nil, &Error{"MissingAuthenticationTokenException", http.StatusForbidden,
			"Missing Authentication Token: the request must be signed with AWS Signature Version 4."}
	}
	m := authRE.FindStringSubmatch(auth)
	if m == nil {
		if !strings.HasPrefix(auth, algorithm) {
			return nil, &Error{"IncompleteSignatureException", http.StatusBadRequest,
				"The Authorization header must use the AWS4-HMAC-SHA256 algorithm (AWS Signature Version 4)."}
		}
		return nil, &Error{"IncompleteSignatureException", http.StatusBadRequest,
			"The Authorization header is malformed: it must contain Credential=, SignedHeaders= and Signature=."}
	}
	credential, signedHeaders, signature := m[1], strings.Split(m[2], ";"), strings.ToLower(m[3])

	scope := strings.Split(credential, "/")
	if len(scope) != 5 || scope[4] != "aws4_request" {
		return nil, &Error{"IncompleteSignatureException", http.StatusBadRequest,
			fmt.Sprintf("The credential %q is malformed: it must be <access key>/<yyyymmdd>/<region>/%s/aws4_request.", credential, v.Service)}
	}
	keyID, date, region, service := scope[0], scope[1], scope[2], scope[3]
	if service != v.Service {
		return nil, &Error{"InvalidSignatureException", http.StatusForbidden,
			fmt.Sprintf("The credential is scoped to service %q; it must be scoped to %q.", service, v.Service)}
	}

	requestTime, err := v.requestTime(r, date)
	if err != nil {
		return nil, err
	}
	for _, h := range []string{"host", "x-amz-date"} {
		if r.Header.Get("X-Amz-Date") == "" && h == "x-amz-date" {
			h = "date"
		}
		if !slices.Contains(signedHeaders, h) {
			return nil, &Error{"IncompleteSignatureException", http.StatusBadRequest,
				fmt.Sprintf("SignedHeaders must include %q.", h)}
		}
	}

	if v.AnyKey {
		account := v.DefaultAccountID
		if accountKeyRE.MatchString(keyID) {
			account = keyID
		}
		return &Identity{Region: region, Credential: Credential{
			AccessKeyID:   keyID,
			AccountID:     account,
			PrincipalArn:  fmt.Sprintf("arn:aws:iam::%s:root", account),
			Operator:      true,
			IdentityAdmin: true,
		}}, nil
	}
	cred, ok := v.Credentials[keyID]
	if !ok {
		return nil, &Error{"UnrecognizedClientException", http.StatusForbidden,
			"The security token included in the request is invalid: the access key id is not known to this server."}
	}

	payloadHash, err := payloadHash(r, body)
	if err != nil {
		return nil, err
	}
	canonical := canonicalRequest(r, signedHeaders, payloadHash)
	stringToSign := strings.Join([]string{
		algorithm,
		requestTime.Format(amzDateFormat),
		strings.Join(scope[1:], "/"),
		hexSHA256([]byte(canonical)),
	}, "\n")
	key := signingKey(cred.SecretAccessKey, date, region, service)
	want := hex.EncodeToString(hmacSHA256(key, []byte(stringToSign)))
	if !hmac.Equal([]byte(want), []byte(signature)) {
		return nil, &Error{"InvalidSignatureException", http.StatusForbidden,
			"The request signature we calculated does not match the signature you provided. Check your AWS secret access key and signing method."}
	}
	return &Identity{Credential: cred, Region: region}, nil
}

// requestTime returns the signed time of the request, checked against the
// scope date and the server's clock.
func (v *Verifier) requestTime(r *http.Request, scopeDate string) (time.Time, error) {
	raw := r.Header.Get("X-Amz-Date")
	var t time.Time
	var err error
	if raw != "" {
		t, err = time.Parse(amzDateFormat, raw)
	} else if raw = r.Header.Get("Date"); raw != "" {
		t, err = http.ParseTime(raw)
	} else {
		return time.Time{}, &Error{"IncompleteSignatureException", http.StatusBadRequest,
			"The request must carry its signing time in an X-Amz-Date header."}
	}
	if err != nil {
		return time.Time{}, &Error{"IncompleteSignatureException", http.StatusBadRequest,
			fmt.Sprintf("The signing time %q is not of the form yyyymmddThhmmssZ.", raw)}
	}
	if t.UTC().Format("20060102") != scopeDate {
		return time.Time{}, &Error{"InvalidSignatureException", http.StatusForbidden,
			fmt.Sprintf("The credential scope date %s does not match the signing time %s.", scopeDate, raw)}
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	skew := v.MaxSkew
	if skew == 0 {
		skew = DefaultMaxSkew
	}
	n := now().UTC()
	if d := n.Sub(t); d > skew || d < -skew {
		return time.Time{}, &Error{"InvalidSignatureException", http.StatusForbidden,
			fmt.Sprintf("Signature expired: the signing time %s is more than %s from the server time %s. Check the client's clock.",
				t.UTC().Format(amzDateFormat), skew, n.Format(amzDateFormat))}
	}
	return t, nil
}

// payloadHash returns the hex SHA-256 of the body, which the canonical
// request always carries. MPA is not S3, so a body is never streamed or
// left unsigned: an X-Amz-Content-Sha256 header, when sent, must be that
// hash. Accepting UNSIGNED-PAYLOAD would let anyone who obtains a signed
// request replace its body while the signature is fresh.
func payloadHash(r *http.Request, body []byte) (string, error) {
	sum := hexSHA256(body)
	claimed := r.Header.Get("X-Amz-Content-Sha256")
	switch {
	case claimed == "" || strings.EqualFold(claimed, sum):
		return sum, nil
	case claimed == "UNSIGNED-PAYLOAD":
		return "", &Error{"InvalidSignatureException", http.StatusForbidden,
			"X-Amz-Content-Sha256: UNSIGNED-PAYLOAD is not accepted. Sign the SHA-256 of the request body, as the AWS SDKs do for every service but S3."}
	}
	return "", &Error{"InvalidSignatureException", http.StatusForbidden,
		"The X-Amz-Content-Sha256 header does not match the SHA-256 of the request body."}
}

// canonicalRequest builds the canonical request of AWS's signing process.
func canonicalRequest(r *http.Request, signedHeaders []string, payloadHash string) string {
	var headers strings.Builder
	for _, name := range signedHeaders {
		// net/http moves Host and Content-Length out of the header map.
		var values []string
		switch name {
		case "host":
			values = []string{r.Host}
		case "content-length":
			values = []string{strconv.FormatInt(r.ContentLength, 10)}
		default:
			values = slices.Clone(r.Header.Values(name))
		}
		for i, val := range values {
			values[i] = strings.Join(strings.Fields(val), " ")
		}
		headers.WriteString(name + ":" + strings.Join(values, ",") + "\n")
	}
	return strings.Join([]string{
		r.Method,
		canonicalURI(r),
		canonicalQuery(r.URL.RawQuery),
		headers.String(),
		strings.Join(signedHeaders, ";"),
		payloadHash,
	}, "\n")
}

// canonicalURI encodes the path as the client sent it once more, as AWS
// does for every service but S3.
func canonicalURI(r *http.Request) string {
	path := r.URL.EscapedPath()
	if path == "" {
		return "/"
	}
	return encode(path, false)
}

// canonicalQuery sorts the query's parameters, each name and value decoded
// from the request and encoded the AWS way. A bare key such as ?List has an
// empty value.
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	type pair struct{ k, v string }
	var pairs []pair
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		pairs = append(pairs, pair{encode(unescape(k), true), encode(unescape(v), true)})
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	out := make([]string, len(pairs))
	for i, p := range pairs {
		out[i] = p.k + "=" + p.v
	}
	return strings.Join(out, "&")
}

// encode percent-encodes every byte but the unreserved characters of RFC
// 3986, and the slash unless encodeSlash.
func encode(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		case c == '/' && !encodeSlash:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

// unescape decodes a query name or value, and keeps a malformed one as it
// is, so that its signature fails rather than the parse.
func unescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

func signingKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), []byte(date))
	k = hmacSHA256(k, []byte(region))
	k = hmacSHA256(k, []byte(service))
	return hmacSHA256(k, []byte("aws4_request"))
}

func hmacSHA256(key, data []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(data)
	return h.Sum(nil)
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
