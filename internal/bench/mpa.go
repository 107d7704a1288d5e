package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/mpa"
	mpatypes "github.com/aws/aws-sdk-go-v2/service/mpa/types"

	"github.com/keyturn/keyturn/client"
)

// PageSize is the MaxResults of every ListSessions request: the largest
// that the MPA model allows.
const PageSize = 20

// Filter is one ListSessions filter, as the client sends it.
type Filter struct {
	Field string
	Op    string
	Value string
}

// mpaEndpoint is a server of MPA API requests: Keyturn, or the minimal
// reference server, which returns one page to every request.
type mpaEndpoint struct {
	base      string
	accessKey string
	secret    string
	http      *http.Client
}

func newMPAEndpoint(base, accountID string, hc *http.Client) *mpaEndpoint {
	cred := Credential(accountID)
	return &mpaEndpoint{base: base, accessKey: cred.AccessKeyID, secret: cred.SecretAccessKey, http: hc}
}

func (e *mpaEndpoint) signed() *signedClient {
	return newSignedClient(e.base, e.http, e.accessKey, e.secret, "mpa")
}

var jsonHeader = http.Header{"Content-Type": {"application/json"}}

func listSessionsPath(teamArn string) string {
	return "/approval-teams/" + escapeLabel(teamArn) + "/sessions/?List"
}

func listSessionsBody(filters []Filter, token string) []byte {
	type filter struct {
		FieldName string
		Operator  string
		Value     string
	}
	in := struct {
		MaxResults int
		NextToken  string   `json:",omitempty"`
		Filters    []filter `json:",omitempty"`
	}{MaxResults: PageSize, NextToken: token}
	for _, f := range filters {
		in.Filters = append(in.Filters, filter{f.Field, f.Op, f.Value})
	}
	b, err := json.Marshal(in)
	if err != nil {
		panic(err) // the input has only strings and an int
	}
	return b
}

// listPage is one ListSessions page as setup reads it.
type listPage struct {
	Arns      []string
	NextToken string
	Body      []byte
}

// listSessions reads one page with the signed client.
func (e *mpaEndpoint) listSessions(ctx context.Context, teamArn string, filters []Filter, token string) (listPage, error) {
	body, err := e.signed().do(ctx, http.MethodPost, listSessionsPath(teamArn), jsonHeader, listSessionsBody(filters, token))
	if err != nil {
		return listPage{}, err
	}
	var out struct {
		NextToken string
		Sessions  []struct{ SessionArn string }
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return listPage{}, fmt.Errorf("decode the ListSessions response: %w", err)
	}
	p := listPage{NextToken: out.NextToken, Body: body}
	for _, s := range out.Sessions {
		p.Arns = append(p.Arns, s.SessionArn)
	}
	return p, nil
}

// listApprovalTeams sends one ListApprovalTeams request: the probe that
// shows when a server is ready.
func (e *mpaEndpoint) listApprovalTeams(ctx context.Context) error {
	_, err := e.signed().do(ctx, http.MethodPost, "/approval-teams/?List", jsonHeader, []byte(`{}`))
	return err
}

// cancelSession cancels a PENDING session.
func (e *mpaEndpoint) cancelSession(ctx context.Context, arn string) error {
	_, err := e.signed().do(ctx, http.MethodPut, "/sessions/"+escapeLabel(arn), nil, nil)
	return err
}

// sdkClient returns an MPA client of aws-sdk-go-v2 for the endpoint that
// counts response bytes into n.
func (e *mpaEndpoint) sdkClient(n *atomic.Int64) *mpa.Client {
	return mpa.NewFromConfig(sdkConfig(e.base, e.http, e.accessKey, e.secret, n))
}

// listSessionsOp returns the operation of a ListSessions scenario: every
// request reads the same page.
func (e *mpaEndpoint) listSessionsOp(kind, teamArn string, filters []Filter, token string) func(int) Op {
	if kind == ClientSigned {
		body := listSessionsBody(filters, token)
		path := listSessionsPath(teamArn)
		return func(int) Op {
			c := e.signed()
			return func(ctx context.Context) (int, error) {
				b, err := c.do(ctx, http.MethodPost, path, jsonHeader, body)
				return len(b), err
			}
		}
	}
	in := &mpa.ListSessionsInput{ApprovalTeamArn: aws.String(teamArn), MaxResults: aws.Int32(PageSize)}
	if token != "" {
		in.NextToken = aws.String(token)
	}
	for _, f := range filters {
		in.Filters = append(in.Filters, mpatypes.Filter{
			FieldName: mpatypes.FilterField(f.Field), Operator: mpatypes.Operator(f.Op), Value: aws.String(f.Value),
		})
	}
	return func(int) Op {
		n := new(atomic.Int64)
		c := e.sdkClient(n)
		return func(ctx context.Context) (int, error) {
			before := n.Load()
			_, err := c.ListSessions(ctx, in)
			return int(n.Load() - before), err
		}
	}
}

// getSessionOp returns the operation of the GetSession scenario: each
// request reads a session drawn from arns.
func (e *mpaEndpoint) getSessionOp(kind string, arns []string) func(int) Op {
	return func(worker int) Op {
		rng := rand.New(rand.NewPCG(uint64(worker), 0x67657473))
		if kind == ClientSigned {
			c := e.signed()
			return func(ctx context.Context) (int, error) {
				arn := arns[rng.IntN(len(arns))]
				b, err := c.do(ctx, http.MethodGet, "/sessions/"+escapeLabel(arn), nil, nil)
				return len(b), err
			}
		}
		n := new(atomic.Int64)
		c := e.sdkClient(n)
		return func(ctx context.Context) (int, error) {
			before := n.Load()
			_, err := c.GetSession(ctx, &mpa.GetSessionInput{SessionArn: aws.String(arns[rng.IntN(len(arns))])})
			return int(n.Load() - before), err
		}
	}
}

// keyturnClient returns a client of Keyturn's own API that counts response
// bytes into n.
func (e *mpaEndpoint) keyturnClient(n *atomic.Int64) *client.Client {
	return &client.Client{
		BaseURL:     e.base,
		Credentials: credentials.NewStaticCredentialsProvider(e.accessKey, e.secret, ""),
		Region:      Region,
		HTTPClient:  &http.Client{Transport: &countingTransport{base: e.http.Transport, n: n}, Timeout: e.http.Timeout},
	}
}

// arnCollector gathers the ARNs of sessions that a scenario started.
type arnCollector struct {
	mu   sync.Mutex
	arns []string
}

func (c *arnCollector) add(arn string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.arns = append(c.arns, arn)
}

func (c *arnCollector) all() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.arns...)
}

// startSessionOp returns the operation of the StartSession scenario: each
// request starts a session in the team for an action drawn from actions,
// and records its ARN in started.
func (e *mpaEndpoint) startSessionOp(teamArn string, actions []string, started *arnCollector) func(int) Op {
	return func(worker int) Op {
		rng := rand.New(rand.NewPCG(uint64(worker), 0x73746172))
		n := new(atomic.Int64)
		c := e.keyturnClient(n)
		return func(ctx context.Context) (int, error) {
			before := n.Load()
			s, err := c.StartSession(ctx, client.StartSessionInput{
				ApprovalTeamArn: teamArn,
				ActionName:      actions[rng.IntN(len(actions))],
				Description:     "Session started by keyturn-bench",
			})
			if err != nil {
				return 0, err
			}
			started.add(s.SessionArn)
			return int(n.Load() - before), nil
		}
	}
}

// voteJob is one vote to cast: an approver's approval in a session.
type voteJob struct {
	SessionArn string
	UserID     string
}

// voteJobs returns the votes that decide each session: one approval from
// each of the first minApprovals approvers. The votes of a session are
// queued apart, so that concurrent workers rarely vote in the same session
// at once.
func voteJobs(arns, approverIDs []string, minApprovals int) chan voteJob {
	jobs := make(chan voteJob, len(arns)*minApprovals)
	for a := range minApprovals {
		for _, arn := range arns {
			jobs <- voteJob{SessionArn: arn, UserID: approverIDs[a]}
		}
	}
	close(jobs)
	return jobs
}

// voteOp returns the operation of the vote scenario: each request casts
// the next queued vote, acting as the approver with X-Keyturn-Act-As, and
// returns ErrExhausted when the queue is empty.
func (e *mpaEndpoint) voteOp(jobs <-chan voteJob) func(int) Op {
	return func(int) Op {
		n := new(atomic.Int64)
		base := e.keyturnClient(n)
		return func(ctx context.Context) (int, error) {
			job, ok := <-jobs
			if !ok {
				return 0, ErrExhausted
			}
			c := *base
			c.ActAs = job.UserID
			before := n.Load()
			_, err := c.Vote(ctx, job.SessionArn, client.VoteInput{Response: "APPROVED"})
			return int(n.Load() - before), err
		}
	}
}
