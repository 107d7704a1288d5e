// Package waitapproval is an example of code that waits for a multi-party
// approval before it acts, written against the AWS SDK for Go. Its tests
// show how to test such code with keyturntest.
package waitapproval

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mpa"
	"github.com/aws/aws-sdk-go-v2/service/mpa/types"
)

// ErrNotApproved is wrapped by the error of WaitForApproval when the
// session ends without approval.
var ErrNotApproved = fmt.Errorf("the session was not approved")

// WaitForApproval reads the session every interval until it is decided. It
// returns nil when the session is APPROVED, an error that wraps
// ErrNotApproved when it ends otherwise, and ctx's error when ctx ends
// first.
func WaitForApproval(ctx context.Context, client *mpa.Client, sessionArn string, interval time.Duration) error {
	for {
		out, err := client.GetSession(ctx, &mpa.GetSessionInput{SessionArn: aws.String(sessionArn)})
		if err != nil {
			return fmt.Errorf("read session %s: %w", sessionArn, err)
		}
		switch out.Status {
		case types.SessionStatusApproved:
			return nil
		case types.SessionStatusFailed, types.SessionStatusCancelled:
			return fmt.Errorf("%w: %s %s: %s", ErrNotApproved, out.Status, out.StatusCode, aws.ToString(out.StatusMessage))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}
