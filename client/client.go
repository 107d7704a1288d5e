// Package client is a Go client for Keyturn's own API: identity-store
// users, approver enrolment, invitations, votes, sessions for protected
// operations, and the controls of a development server.
//
// Administrator calls are signed with AWS Signature Version 4, like MPA API
// calls, from an aws.CredentialsProvider. Approver calls send an approver
// token, or, on a development server, act as a user with the
// X-Keyturn-Act-As header on a signed request.
package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Client calls one Keyturn server.
type Client struct {
	// BaseURL is the server's URL, such as http://127.0.0.1:8080.
	BaseURL string
	// Credentials sign administrator calls. Nil means approver calls only.
	Credentials aws.CredentialsProvider
	// Region is the region of the credential scope; it selects the
	// region of the account's data. Default: us-east-1.
	Region string
	// ApproverToken authenticates approver calls.
	ApproverToken string
	// ActAs, on a development server, makes signed approver calls act as
	// this user id or user name.
	ActAs string
	// HTTPClient sends requests. Default: a client with a 60-second
	// timeout.
	HTTPClient *http.Client
}

// Error is an error response from the server.
type Error struct {
	StatusCode int
	// Code is the error type, such as ValidationException.
	Code      string
	Message   string
	RequestID string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s (HTTP %d, request %s)", e.Code, e.Message, e.StatusCode, e.RequestID)
}

// IsCode reports whether err is an *Error with the code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

type auth int

const (
	authNone auth = iota
	authAdmin
	authApprover
)

// do sends one request and decodes the JSON response into out.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any, a auth) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	u := strings.TrimSuffix(c.BaseURL, "/") + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	switch a {
	case authAdmin:
		if err := c.sign(ctx, req, body); err != nil {
			return err
		}
	case authApprover:
		if c.ApproverToken != "" {
			req.Header.Set("Authorization", "Bearer "+c.ApproverToken)
		} else if c.ActAs != "" && c.Credentials != nil {
			req.Header.Set("X-Keyturn-Act-As", c.ActAs)
			if err := c.sign(ctx, req, body); err != nil {
				return err
			}
		} else {
			return errors.New("client: approver calls need an ApproverToken, or ActAs with Credentials on a development server")
		}
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		e := &Error{StatusCode: resp.StatusCode, Code: resp.Header.Get("X-Amzn-ErrorType"), RequestID: resp.Header.Get("x-amzn-RequestId")}
		var m struct{ Message string }
		if json.Unmarshal(respBody, &m) == nil {
			e.Message = m.Message
		}
		if e.Code == "" {
			e.Code = "HTTP" + strconv.Itoa(resp.StatusCode)
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(respBody, out); err != nil {
		return fmt.Errorf("client: decode the response of %s %s: %w", method, path, err)
	}
	return nil
}

func (c *Client) sign(ctx context.Context, req *http.Request, body []byte) error {
	if c.Credentials == nil {
		return errors.New("client: this call needs AWS credentials to sign it")
	}
	creds, err := c.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("no AWS credentials to sign the request with: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a profile with --profile or AWS_PROFILE (%w)", err)
	}
	region := c.Region
	if region == "" {
		region = "us-east-1"
	}
	sum := sha256.Sum256(body)
	return v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "mpa", region, time.Now())
}

// escape encodes an ARN or name as one path segment.
func escape(s string) string { return url.PathEscape(s) }
