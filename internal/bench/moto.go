package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

// The moto reference serves CloudWatch Logs DescribeLogGroups: a list call
// that moto implements with a name prefix filter, a page size (limit, up to
// 50) and a next token, like ListSessions with a filter. The log groups
// are named after the benchmark's actions, with the same skewed shares, so
// that the prefix of the most frequent action selects about as many items
// as ListSessions with ActionName EQ that action.

const (
	logsTargetPrefix = "Logs_20140328."
	logsContentType  = "application/x-amz-json-1.1"
)

// MotoPrefix returns the log group name prefix of an action.
func MotoPrefix(action string) string {
	return "/bench/" + strings.Replace(action, ":", "/", 1) + "/"
}

// motoEndpoint is a moto server.
type motoEndpoint struct {
	base      string
	accessKey string
	secret    string
	http      *http.Client
}

func newMotoEndpoint(base string, hc *http.Client) *motoEndpoint {
	cred := Credential(AccountID(0))
	return &motoEndpoint{base: base, accessKey: cred.AccessKeyID, secret: cred.SecretAccessKey, http: hc}
}

func (e *motoEndpoint) call(ctx context.Context, c *signedClient, action string, in any) ([]byte, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	header := http.Header{"Content-Type": {logsContentType}, "X-Amz-Target": {logsTargetPrefix + action}}
	return c.do(ctx, http.MethodPost, "/", header, body)
}

func (e *motoEndpoint) signed() *signedClient {
	return newSignedClient(e.base, e.http, e.accessKey, e.secret, "logs")
}

// probe sends one DescribeLogGroups request. It succeeds once moto
// serves requests.
func (e *motoEndpoint) probe(ctx context.Context) error {
	_, err := e.call(ctx, e.signed(), "DescribeLogGroups", map[string]any{"limit": 1})
	return err
}

// fill creates items log groups with names spread over the actions' prefixes
// by the actions' weights, from concurrency workers.
func (e *motoEndpoint) fill(ctx context.Context, items, concurrency int, progress io.Writer) error {
	names := make(chan string, concurrency)
	go func() {
		defer close(names)
		i := 0
		for i < items {
			for _, a := range actions {
				for range a.Weight {
					if i == items {
						return
					}
					select {
					case names <- fmt.Sprintf("%sgroup-%07d", MotoPrefix(a.Name), i):
					case <-ctx.Done():
						return
					}
					i++
				}
			}
		}
	}()
	p := StartProgress(progress, "fill moto", "log groups", int64(items), 2*time.Second, nil)
	defer p.Stop()
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			c := e.signed()
			for name := range names {
				if _, err := e.call(ctx, c, "CreateLogGroup", map[string]string{"logGroupName": name}); err != nil {
					once.Do(func() { firstErr = fmt.Errorf("create log group %s in moto: %w", name, err) })
					return
				}
				p.Add(1)
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		// Drain the producer so that it stops.
		for range names {
		}
	}
	return firstErr
}

// describeOp returns the operation of the moto scenario: the first page of
// DescribeLogGroups with a name prefix and a page size of PageSize.
func (e *motoEndpoint) describeOp(kind, prefix string) func(int) Op {
	if kind == ClientSigned {
		in := map[string]any{"logGroupNamePrefix": prefix, "limit": PageSize}
		return func(int) Op {
			c := e.signed()
			return func(ctx context.Context) (int, error) {
				b, err := e.call(ctx, c, "DescribeLogGroups", in)
				return len(b), err
			}
		}
	}
	in := &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(prefix), Limit: aws.Int32(PageSize)}
	return func(int) Op {
		n := new(atomic.Int64)
		c := cloudwatchlogs.NewFromConfig(sdkConfig(e.base, e.http, e.accessKey, e.secret, n))
		return func(ctx context.Context) (int, error) {
			before := n.Load()
			_, err := c.DescribeLogGroups(ctx, in)
			return int(n.Load() - before), err
		}
	}
}

// startMoto starts moto_server on a free loopback port and waits until it
// responds.
func startMoto(ctx context.Context, motoPath, workDir string, hc *http.Client) (*Process, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	p, err := StartProcess("moto", []string{motoPath, "-H", "127.0.0.1", "-p", strconv.Itoa(port)},
		"http://127.0.0.1:"+strconv.Itoa(port), filepath.Join(workDir, "moto.log"))
	if err != nil {
		return nil, err
	}
	if _, err := p.WaitReady(ctx, newMotoEndpoint(p.URL, hc).probe, 5*time.Millisecond, 120*time.Second); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}
