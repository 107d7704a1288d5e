package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Client kinds: how the measured requests are built and signed.
const (
	// ClientSDK sends requests with aws-sdk-go-v2's service clients, as a
	// Go program that uses the service would.
	ClientSDK = "sdk"
	// ClientSigned builds each request by hand and signs it with
	// aws-sdk-go-v2's SigV4 signer, with less client work per request.
	ClientSigned = "signed"
)

// CheckLoopback returns an error unless the URL's host is a loopback
// address: the load generator sends requests to this machine only.
func CheckLoopback(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("invalid URL %q: %w", rawURL, err)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("URL %q is not on a loopback address: keyturn-bench sends load to 127.0.0.1 or ::1 only", rawURL)
}

// newHTTPClient returns a client whose connection pool keeps a connection
// for each worker, so that requests reuse connections as a long-running
// client does.
func newHTTPClient(concurrency int) *http.Client {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2 * concurrency,
		MaxIdleConnsPerHost: 2 * concurrency,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

// countingTransport adds the size of each response body read through it
// to n.
type countingTransport struct {
	base http.RoundTripper
	n    *atomic.Int64
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err == nil {
		resp.Body = &countingBody{ReadCloser: resp.Body, n: t.n}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// sdkConfig returns an aws-sdk-go-v2 configuration that sends requests to
// the base URL, signed with the credential, without retries, and counts
// response bytes into n.
func sdkConfig(base string, hc *http.Client, accessKey, secret string, n *atomic.Int64) aws.Config {
	counted := &http.Client{Transport: &countingTransport{base: hc.Transport, n: n}, Timeout: hc.Timeout}
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, secret, ""),
		BaseEndpoint: aws.String(base),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
		HTTPClient:   counted,
	}
}

// signedClient sends requests that it builds and signs itself.
type signedClient struct {
	base    string
	http    *http.Client
	signer  *v4.Signer
	creds   aws.Credentials
	service string
}

func newSignedClient(base string, hc *http.Client, accessKey, secret, service string) *signedClient {
	return &signedClient{
		base:    strings.TrimSuffix(base, "/"),
		http:    hc,
		signer:  v4.NewSigner(),
		creds:   aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: secret, Source: "keyturn-bench"},
		service: service,
	}
}

// HTTPError is a response with a status other than 2xx.
type HTTPError struct {
	Status  int
	Code    string
	Message string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// do signs and sends one request and returns the response body. A status
// other than 2xx returns an *HTTPError.
func (c *signedClient) do(ctx context.Context, method, path string, header http.Header, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	sum := sha256.Sum256(body)
	if err := c.signer.SignHTTP(ctx, c.creds, req, hex.EncodeToString(sum[:]), c.service, Region, time.Now()); err != nil {
		return nil, fmt.Errorf("sign the request: %w", err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, responseError(resp, respBody)
	}
	return respBody, nil
}

// responseError reads an AWS error response: the code from the
// X-Amzn-ErrorType header or the __type member, the message from the
// Message or message member.
func responseError(resp *http.Response, body []byte) *HTTPError {
	e := &HTTPError{Status: resp.StatusCode, Code: resp.Header.Get("X-Amzn-ErrorType")}
	var m struct {
		Type         string `json:"__type"`
		Message      string `json:"Message"`
		LowerMessage string `json:"message"`
	}
	if json.Unmarshal(body, &m) == nil {
		if e.Code == "" {
			e.Code = m.Type
		}
		e.Message = m.Message + m.LowerMessage
	}
	if e.Message == "" {
		e.Message = strings.TrimSpace(string(body[:min(len(body), 200)]))
	}
	return e
}

// escapeLabel percent-encodes a path label as aws-sdk-go-v2 does: every
// byte but the unreserved characters of RFC 3986.
func escapeLabel(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
