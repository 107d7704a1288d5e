package e2e

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/mpa"
	"github.com/aws/aws-sdk-go-v2/service/mpa/types"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/keyturn/keyturn"
	"github.com/keyturn/keyturn/client"
	"github.com/keyturn/keyturn/internal/sqlstore"
	"github.com/keyturn/keyturn/internal/storetest"
	"github.com/keyturn/keyturn/keyturntest"
)

// TestReplicas runs several `keyturn serve --dev` processes on one
// PostgreSQL schema, as replicas behind a load balancer run, and checks
// that they behave as one server. What one writes the others read at once,
// and pagination tokens work on any replica. Concurrent votes decide each
// session once even when a replica is killed, and racing sweepers apply
// each expiry once. Replicas that start together migrate the schema once.
func TestReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the replica tests in -short mode")
	}
	// Skip or fail before the build when PostgreSQL cannot be reached.
	storetest.PostgresURL(t)
	binary := buildServerForPython(t)

	t.Run("read after write", func(t *testing.T) { testReplicasReadAfterWrite(t, binary) })
	t.Run("pagination tokens", func(t *testing.T) { testReplicasPaginationTokens(t, binary) })
	t.Run("votes with a replica killed", func(t *testing.T) { testReplicasVotesWithKill(t, binary) })
	t.Run("sweepers expire once", func(t *testing.T) { testReplicasSweepersExpireOnce(t, binary) })
	t.Run("concurrent start", func(t *testing.T) { testReplicasConcurrentStart(t, binary) })
}

// replica is one `keyturn serve --dev` process on loopback whose logs, in
// JSON, go to a file.
type replica struct {
	name    string
	url     string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the process has exited
	stopped sync.Once
}

// launchReplica starts a development server on a free loopback port with
// the database and the extra flags, and returns without waiting for it to
// serve. It stops the process when the test ends.
func launchReplica(t *testing.T, binary, name, database string, flags ...string) *replica {
	t.Helper()
	addr := freeAddrForPython(t)
	r := &replica{
		name:    name,
		url:     "http://" + addr,
		logPath: filepath.Join(t.TempDir(), name+".log"),
		done:    make(chan struct{}),
	}

	logFile, err := os.Create(r.logPath)
	if err != nil {
		t.Fatal(err)
	}

	args := append([]string{"serve", "--dev",
		"--addr", addr,
		"--database", database,
		"--sweep-interval", "100ms",
		"--log-format", "json"}, flags...)
	r.cmd = exec.Command(binary, args...)
	r.cmd.Stdout = logFile
	r.cmd.Stderr = logFile
	if err := r.cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("start replica %s: %v", name, err)
	}

	go func() {
		r.cmd.Wait()
		logFile.Close()
		close(r.done)
	}()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// startReplica launches a replica and waits until its health check
// returns 200.
func startReplica(t *testing.T, binary, name, database string, flags ...string) *replica {
	t.Helper()
	r := launchReplica(t, binary, name, database, flags...)
	r.waitHealthy(t)
	return r
}

// waitHealthy polls GET /keyturn/health until it returns 200, and fails
// the test if the process exits or 30 seconds pass first.
func (r *replica) waitHealthy(t *testing.T) {
	t.Helper()
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-r.done:
			t.Fatalf("replica %s exited at start with %v; log:\n%s", r.name, r.cmd.ProcessState, r.log())
		default:
		}
		resp, err := hc.Get(r.url + "/keyturn/health")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("GET /keyturn/health returned %s", resp.Status)
		}
		last = err
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("replica %s did not become healthy within 30s: %v; log:\n%s", r.name, last, r.log())
}

// kill ends the process with SIGKILL, as a crash or a lost machine would,
// and waits until it has exited.
func (r *replica) kill(t *testing.T) {
	t.Helper()
	r.stopped.Do(func() {
		if err := r.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Errorf("kill replica %s: %v", r.name, err)
		}
		<-r.done
	})
}

// stop ends the process with SIGTERM, kills it if it has not exited ten
// seconds later, and fails the test unless it exited with status 0.
func (r *replica) stop(t *testing.T) {
	t.Helper()
	r.stopped.Do(func() {
		if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Errorf("send SIGTERM to replica %s: %v", r.name, err)
		}
		select {
		case <-r.done:
		case <-time.After(10 * time.Second):
			r.cmd.Process.Kill()
			<-r.done
			t.Errorf("replica %s did not stop within 10s of SIGTERM; killed it", r.name)
			return
		}
		if !r.cmd.ProcessState.Success() {
			t.Errorf("replica %s exited with %v after SIGTERM, want status 0; log:\n%s", r.name, r.cmd.ProcessState, r.log())
		}
	})
}

func (r *replica) log() string {
	b, err := os.ReadFile(r.logPath)
	if err != nil {
		return fmt.Sprintf("(cannot read the log of replica %s: %v)", r.name, err)
	}
	return string(b)
}

// logRecords returns the replica's JSON log records, and fails the test
// on a line that is not JSON.
func (r *replica) logRecords(t *testing.T) []map[string]any {
	t.Helper()
	f, err := os.Open(r.logPath)
	if err != nil {
		t.Fatalf("open the log of replica %s: %v", r.name, err)
	}
	defer f.Close()
	var records []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Errorf("replica %s logged a line that is not JSON: %q", r.name, sc.Text())
			continue
		}
		records = append(records, rec)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read the log of replica %s: %v", r.name, err)
	}
	return records
}

// wantNoErrorLogs fails the test for every record of level ERROR in the
// replica's log: internal errors that clients see as
// InternalServerException.
func (r *replica) wantNoErrorLogs(t *testing.T) {
	t.Helper()
	for _, rec := range r.logRecords(t) {
		if rec["level"] == "ERROR" {
			t.Errorf("replica %s logged an error: %v", r.name, rec)
		}
	}
}

// as returns the keyturntest helpers for the replica, signing requests as
// the account. Only the helpers that send requests work on a replica in
// another process; AdvanceClockWithoutSweep does not.
func (r *replica) as(account string) *keyturntest.Server {
	return &keyturntest.Server{URL: r.url, AccountID: account, Region: "us-east-1"}
}

// readClient returns an MPA API client for reads through the replica,
// signed as the account, with the SDK's standard retryer. aws-sdk-go-v2
// (v1.48) can fail to read a response with "use of closed network
// connection" when the HTTP transport closes the connection as it finishes
// writing the request, and its standard retryer retries that error.
func (r *replica) readClient(account string) *mpa.Client {
	cfg := r.as(account).AWSConfig()
	cfg.Retryer = func() aws.Retryer { return retry.NewStandard() }
	return mpa.NewFromConfig(cfg)
}

// randomAccount returns a 12-digit account id, so that each test's data is
// its own.
func randomAccount() string {
	return fmt.Sprintf("4%011d", rand.Int64N(100_000_000_000))
}

func testReplicasReadAfterWrite(t *testing.T, binary string) {
	database := storetest.PostgresURL(t)
	a := startReplica(t, binary, "a", database)
	b := startReplica(t, binary, "b", database)
	account := randomAccount()
	onA, onB := a.as(account), b.as(account)
	ctx := t.Context()

	// A user created through A can join a team created through A, and
	// accept the invitation through B.
	users := []*client.User{onA.CreateUser(t, "reader-1"), onA.CreateUser(t, "reader-2")}
	team := onA.CreateTeam(t, "replicated", 2, users[0].UserID, users[1].UserID)
	got, err := b.readClient(account).GetApprovalTeam(ctx, &mpa.GetApprovalTeamInput{Arn: aws.String(team)})
	if err != nil {
		t.Fatalf("GetApprovalTeam through B of a team created through A: %v", err)
	}
	if got.Status != types.ApprovalTeamStatusPending || len(got.Approvers) != 2 {
		t.Errorf("got team %s with %d approvers through B, want PENDING with 2", got.Status, len(got.Approvers))
	}
	onB.AcceptInvitation(t, team, users[0].UserID)
	onA.AcceptInvitation(t, team, users[1].UserID)
	got, err = b.readClient(account).GetApprovalTeam(ctx, &mpa.GetApprovalTeamInput{Arn: aws.String(team)})
	if err != nil {
		t.Fatalf("GetApprovalTeam through B: %v", err)
	}
	if got.Status != types.ApprovalTeamStatusActive {
		t.Errorf("got team status %s through B after both approvers accepted, want ACTIVE", got.Status)
	}

	// A vote through A shows in GetSession through B, and the deciding
	// vote through B shows through A.
	session := onA.StartSession(t, team, "test:Replicate").SessionArn
	onA.Vote(t, session, users[0].UserID, "APPROVED")
	s, err := b.readClient(account).GetSession(ctx, &mpa.GetSessionInput{SessionArn: aws.String(session)})
	if err != nil {
		t.Fatalf("GetSession through B: %v", err)
	}
	if s.Status != types.SessionStatusPending {
		t.Errorf("got session status %s through B after one of two approvals, want PENDING", s.Status)
	}
	if r := responseOf(s.ApproverResponses, users[0].UserID); r != types.SessionResponseApproved {
		t.Errorf("got response %q of %s through B after the vote through A, want APPROVED", r, users[0].UserName)
	}
	onB.Vote(t, session, users[1].UserID, "APPROVED")
	s, err = a.readClient(account).GetSession(ctx, &mpa.GetSessionInput{SessionArn: aws.String(session)})
	if err != nil {
		t.Fatalf("GetSession through A: %v", err)
	}
	if s.Status != types.SessionStatusApproved {
		t.Errorf("got session status %s through A after the deciding vote through B, want APPROVED", s.Status)
	}

	// Votes are final on every replica.
	_, err = onA.As(users[1].UserID).Vote(ctx, session, client.VoteInput{Response: "REJECTED"})
	if !client.IsCode(err, "ConflictException") {
		t.Errorf("second vote through A after a vote through B: got error %v, want ConflictException", err)
	}
	a.wantNoErrorLogs(t)
	b.wantNoErrorLogs(t)
}

// responseOf returns the response of the identity in a GetSession output,
// or "" if the identity is not an approver of the session.
func responseOf(responses []types.GetSessionResponseApproverResponse, identityID string) types.SessionResponse {
	for _, r := range responses {
		if aws.ToString(r.IdentityId) == identityID {
			return r.Response
		}
	}
	return ""
}

func testReplicasPaginationTokens(t *testing.T, binary string) {
	database := storetest.PostgresURL(t)
	replicas := []*replica{
		startReplica(t, binary, "a", database),
		startReplica(t, binary, "b", database),
	}
	account := randomAccount()
	onA := replicas[0].as(account)
	ctx := t.Context()

	team, _ := onA.ActiveTeam(t, "pager", 1, 2)
	var started []string
	for i := range 7 {
		started = append(started, onA.StartSession(t, team, fmt.Sprintf("test:Page%d", i)).SessionArn)
	}
	slices.Reverse(started) // ListSessions lists the newest first

	// Each page comes from the other replica than the one that issued its
	// token, and each token is sent twice, to both replicas, which must
	// return the same page.
	var listed []string
	token := ""
	for page := 0; ; page++ {
		if page > len(started) {
			t.Fatalf("ListSessions returned more than %d pages of 2 for %d sessions", page, len(started))
		}
		in := &mpa.ListSessionsInput{ApprovalTeamArn: aws.String(team), MaxResults: aws.Int32(2)}
		if token != "" {
			in.NextToken = aws.String(token)
		}
		var pages [2]*mpa.ListSessionsOutput
		for i := range pages {
			r := replicas[(page+i)%len(replicas)]
			out, err := r.readClient(account).ListSessions(ctx, in)
			if err != nil {
				t.Fatalf("ListSessions page %d through %s: %v", page+1, r.name, err)
			}
			pages[i] = out
		}
		first, second := sessionArns(pages[0].Sessions), sessionArns(pages[1].Sessions)
		if !slices.Equal(first, second) {
			t.Errorf("page %d: got %q through one replica and %q through the other for the same token", page+1, first, second)
		}
		listed = append(listed, first...)
		token = aws.ToString(pages[0].NextToken)
		if token == "" {
			break
		}
	}
	if !slices.Equal(listed, started) {
		t.Errorf("ListSessions across replicas listed %q, want %q", listed, started)
	}

	// A token that one replica issued for one team is rejected by the
	// other for another team: the binding holds across replicas.
	other, _ := onA.ActiveTeam(t, "other", 1, 1)
	out, err := replicas[0].readClient(account).ListSessions(ctx, &mpa.ListSessionsInput{ApprovalTeamArn: aws.String(team), MaxResults: aws.Int32(2)})
	if err != nil {
		t.Fatalf("ListSessions through A: %v", err)
	}
	_, err = replicas[1].readClient(account).ListSessions(ctx, &mpa.ListSessionsInput{
		ApprovalTeamArn: aws.String(other), NextToken: out.NextToken,
	})
	sdkWantValidation(t, err, "NextToken")
}

func sessionArns(sessions []types.ListSessionsResponseSession) []string {
	arns := make([]string, len(sessions))
	for i, s := range sessions {
		arns[i] = aws.ToString(s.SessionArn)
	}
	return arns
}

// replicaVoteWorkers bounds the voters that vote at once.
const replicaVoteWorkers = 100

// replicaVote is one approver's vote in the kill test and what came of it.
type replicaVote struct {
	session  *replicaSession
	user     *client.User
	response string

	// attempts counts the requests sent, and ambiguous those that may
	// have landed without the voter learning the result: a connection
	// lost after the request was written, a timeout or a 5xx.
	attempts  int
	ambiguous int
	// outcome is what the voter learned in the end.
	outcome voteOutcome
	// decided is true when the response that accepted the vote showed the
	// session decided, that is, this vote decided it.
	decided bool
	err     error
}

type voteOutcome int

const (
	// voteAccepted: a response accepted the vote, or a retry was refused
	// because the approver had already voted, which proves an earlier
	// attempt landed.
	voteAccepted voteOutcome = iota + 1
	// voteRefused: the session was decided before the vote, and no
	// earlier attempt can have landed.
	voteRefused
	// voteUnknown: the session was decided before a retry, after an
	// attempt that may have landed.
	voteUnknown
)

// replicaSession is a session of the kill test.
type replicaSession struct {
	arn          string
	minApprovals int
	approvers    int
}

func testReplicasVotesWithKill(t *testing.T, binary string) {
	database := storetest.PostgresURL(t)
	replicas := []*replica{
		startReplica(t, binary, "a", database),
		startReplica(t, binary, "b", database),
	}
	survivor, victim := replicas[0], replicas[1]
	account := randomAccount()
	onA := survivor.as(account)

	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	// Teams of several sizes. Each session gets one vote from every
	// approver, an approval with a probability drawn per session, so that
	// both outcomes occur.
	teams := []struct {
		name                              string
		approvers, minApprovals, sessions int
	}{
		{"wide", 15, 8, 10},
		{"middle", 9, 5, 10},
		{"narrow", 5, 3, 10},
	}
	var votes []*replicaVote
	var sessions []*replicaSession
	for _, spec := range teams {
		team, users := onA.ActiveTeam(t, spec.name, spec.minApprovals, spec.approvers)
		for i := range spec.sessions {
			s := &replicaSession{
				arn:          onA.StartSession(t, team, fmt.Sprintf("test:Kill%d", i)).SessionArn,
				minApprovals: spec.minApprovals,
				approvers:    spec.approvers,
			}
			sessions = append(sessions, s)
			pApprove := []float64{0.3, 0.5, 0.7, 0.9}[rng.IntN(4)]
			for _, u := range users {
				response := "REJECTED"
				if rng.Float64() < pApprove {
					response = "APPROVED"
				}
				votes = append(votes, &replicaVote{session: s, user: u, response: response})
			}
		}
	}
	rng.Shuffle(len(votes), func(i, j int) { votes[i], votes[j] = votes[j], votes[i] })

	transport := &http.Transport{MaxIdleConnsPerHost: replicaVoteWorkers}
	t.Cleanup(transport.CloseIdleConnections)
	hc := &http.Client{Transport: transport, Timeout: 15 * time.Second}

	// Kill the victim once a third of the votes have finished, while the
	// others are in flight.
	var finished atomic.Int64
	var inFlight [2]atomic.Int64
	killAt := int64(len(votes) / 3)
	killNow := make(chan struct{})
	killed := make(chan int64, 1)
	go func() {
		select {
		case <-killNow:
		case <-t.Context().Done():
			return
		}
		n := inFlight[1].Load()
		victim.kill(t)
		killed <- n
	}()

	queue := make(chan *replicaVote)
	var wg sync.WaitGroup
	for w := range replicaVoteWorkers {
		workerRng := rand.New(rand.NewPCG(seed, uint64(w)+2))
		wg.Go(func() {
			for v := range queue {
				castReplicaVote(t.Context(), replicas, inFlight[:], hc, account, workerRng, v)
				if finished.Add(1) == killAt {
					close(killNow)
				}
			}
		})
	}
	for _, v := range votes {
		queue <- v
	}
	close(queue)
	wg.Wait()
	if n := <-killed; n == 0 {
		t.Errorf("no vote was in flight on replica %s when it was killed; the kill tested nothing", victim.name)
	} else {
		t.Logf("killed replica %s with %d votes in flight on it", victim.name, n)
	}

	var retried, ambiguous, unknown int
	for _, v := range votes {
		if v.err != nil {
			t.Errorf("%s voting %s in %s: %v", v.user.UserName, v.response, v.session.arn, v.err)
		}
		if v.attempts > 1 {
			retried++
		}
		if v.ambiguous > 0 {
			ambiguous++
		}
		if v.outcome == voteUnknown {
			unknown++
		}
	}
	t.Logf("%d votes in %d sessions: %d retried, %d with an attempt of unknown result, %d whose landing is unknown",
		len(votes), len(sessions), retried, ambiguous, unknown)
	if t.Failed() {
		t.FailNow()
	}

	recorded := storedVotes(t, database)
	admin := onA.Admin()
	for _, s := range sessions {
		got, err := admin.GetSession(t.Context(), s.arn)
		if err != nil {
			t.Errorf("GetSession %s through the surviving replica: %v", s.arn, err)
			continue
		}
		var sessionVotes []*replicaVote
		for _, v := range votes {
			if v.session == s {
				sessionVotes = append(sessionVotes, v)
			}
		}
		checkReplicaSession(t, s, got, recorded[s.arn], sessionVotes)
	}
	survivor.wantNoErrorLogs(t)
}

// castReplicaVote sends the vote through a replica chosen at random and,
// while a request fails without a definite result, through the other
// replica, and records the outcome in v.
func castReplicaVote(ctx context.Context, replicas []*replica, inFlight []atomic.Int64, hc *http.Client, account string, rng *rand.Rand, v *replicaVote) {
	const maxAttempts = 8
	i := rng.IntN(len(replicas))
	var last error
	for v.attempts < maxAttempts {
		v.attempts++
		c := replicas[i].as(account).As(v.user.UserID)
		c.HTTPClient = hc
		inFlight[i].Add(1)
		s, err := c.Vote(ctx, v.session.arn, client.VoteInput{Response: v.response})
		inFlight[i].Add(-1)
		var apiErr *client.Error
		switch {
		case err == nil:
			v.outcome, v.decided = voteAccepted, s.Decided()
			return
		case errors.As(err, &apiErr) && apiErr.Code == "ConflictException" && strings.Contains(apiErr.Message, "already voted"):
			if v.ambiguous == 0 {
				v.err = fmt.Errorf("refused as a second vote, but no earlier attempt can have landed: %w", err)
				return
			}
			v.outcome = voteAccepted
			return
		case errors.As(err, &apiErr) && apiErr.Code == "ConflictException" && strings.Contains(apiErr.Message, "no longer takes votes"):
			v.outcome = voteRefused
			if v.ambiguous > 0 {
				v.outcome = voteUnknown
			}
			return
		case errors.As(err, &apiErr) && apiErr.StatusCode < 500:
			v.err = err
			return
		case !isDialError(err):
			// Lost after the request was written, timed out or failed on
			// the server: the vote may have landed.
			v.ambiguous++
		}
		last = err
		i = (i + 1) % len(replicas)
		// Back off a little, so that a database that is briefly busy
		// does not use up the attempts.
		time.Sleep(time.Duration(v.attempts) * 20 * time.Millisecond)
	}
	v.err = fmt.Errorf("no definite result after %d attempts; last error: %w", maxAttempts, last)
}

// isDialError reports whether err is a failure to connect, after which
// the request cannot have reached the server.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// storedVotes reads every vote in the schema from the votes table, grouped
// by session and in the order they were recorded. The table's primary key
// is (session_arn, approver_id), so no approver can have two rows.
func storedVotes(t *testing.T, database string) map[string][]keyturn.Vote {
	t.Helper()
	db, err := sql.Open("pgx", database)
	if err != nil {
		t.Fatalf("open the test schema: %v", err)
	}
	defer db.Close()
	rows, err := db.QueryContext(t.Context(), `SELECT session_arn, doc FROM votes ORDER BY session_arn, voted_at, approver_id`)
	if err != nil {
		t.Fatalf("read the votes table: %v", err)
	}
	defer rows.Close()
	out := map[string][]keyturn.Vote{}
	for rows.Next() {
		var arn, doc string
		if err := rows.Scan(&arn, &doc); err != nil {
			t.Fatalf("read the votes table: %v", err)
		}
		var v keyturn.Vote
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			t.Fatalf("decode the vote %s of session %s: %v", doc, arn, err)
		}
		out[arn] = append(out[arn], v)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read the votes table: %v", err)
	}
	return out
}

// checkReplicaSession checks a session of the kill test. The vote at which
// the stored votes, in their recorded order, first settle the session
// decided it, and no vote was stored after that one. GetSession reports the
// stored votes. Every vote is stored as its voter learned: accepted votes
// are present and refused ones absent.
func checkReplicaSession(t *testing.T, s *replicaSession, got *client.Session, stored []keyturn.Vote, votes []*replicaVote) {
	t.Helper()

	// Replay the stored votes to find the one that settled the session.
	decider := -1
	var wantStatus, wantCode string
	approvals, rejections := 0, 0
	for i, v := range stored {
		switch v.Response {
		case keyturn.ResponseApproved:
			approvals++
		case keyturn.ResponseRejected:
			rejections++
		default:
			t.Errorf("session %s: stored vote of %s has response %q", s.arn, v.IdentityID, v.Response)
		}
		if approvals == s.minApprovals {
			decider, wantStatus, wantCode = i, "APPROVED", ""
			break
		}
		if rejections == s.approvers-s.minApprovals+1 {
			decider, wantStatus, wantCode = i, "FAILED", "REJECTED"
			break
		}
	}
	switch {
	case decider < 0:
		t.Errorf("session %s: the %d stored votes (%d approvals, %d rejections) never reach %d of %d, but every approver voted",
			s.arn, len(stored), approvals, rejections, s.minApprovals, s.approvers)
		return
	case decider != len(stored)-1:
		t.Errorf("session %s: %d votes stored after the deciding vote %d of %d", s.arn, len(stored)-1-decider, decider+1, len(stored))
	}
	if got.Status != wantStatus || got.StatusCode != wantCode {
		t.Errorf("session %s: got %s/%s, want %s/%s from its stored votes", s.arn, got.Status, got.StatusCode, wantStatus, wantCode)
	}
	// The decision takes the deciding vote's time, which the wire carries
	// in milliseconds.
	if want := stored[decider].Time.Truncate(time.Millisecond); !got.CompletionTime.Equal(want) {
		t.Errorf("session %s: got CompletionTime %s, want the deciding vote's time %s", s.arn, got.CompletionTime.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
	}

	// GetSession reports exactly the stored votes.
	byIdentity := map[string]keyturn.Vote{}
	for _, v := range stored {
		byIdentity[v.IdentityID] = v
	}
	for _, r := range got.ApproverResponses {
		v, ok := byIdentity[r.IdentityID]
		switch {
		case !ok && r.Response != "NO_RESPONSE":
			t.Errorf("session %s: GetSession reports %s for %s, who has no stored vote", s.arn, r.Response, r.IdentityID)
		case ok && r.Response != string(v.Response):
			t.Errorf("session %s: GetSession reports %s for %s, whose stored vote is %s", s.arn, r.Response, r.IdentityID, v.Response)
		}
	}

	// Each voter's view agrees with what is stored.
	deciders := 0
	for _, v := range votes {
		mine, ok := byIdentity[v.user.UserID]
		if ok && string(mine.Response) != v.response {
			t.Errorf("session %s: %s voted %s, but %s is stored", s.arn, v.user.UserName, v.response, mine.Response)
		}
		switch v.outcome {
		case voteAccepted:
			if !ok {
				t.Errorf("session %s: the vote of %s was accepted but is not stored", s.arn, v.user.UserName)
			}
		case voteRefused:
			if ok {
				t.Errorf("session %s: the vote of %s was refused but is stored", s.arn, v.user.UserName)
			}
		}
		if v.decided {
			deciders++
			if want := stored[decider].IdentityID; v.user.UserID != want {
				t.Errorf("session %s: %s saw its vote decide the session, but the stored deciding vote is of %s", s.arn, v.user.UserName, want)
			}
		}
	}
	if deciders > 1 {
		t.Errorf("session %s: %d voters saw their vote decide it, want at most 1", s.arn, deciders)
	}
}

func testReplicasSweepersExpireOnce(t *testing.T, binary string) {
	database := storetest.PostgresURL(t)
	// A short --session-ttl makes the update sessions, which name no
	// duration, expire with the others.
	replicas := []*replica{
		startReplica(t, binary, "a", database, "--session-ttl", "1m"),
		startReplica(t, binary, "b", database, "--session-ttl", "1m"),
	}
	account := randomAccount()
	onA := replicas[0].as(account)
	ctx := t.Context()

	// Operation sessions, and one pending update per team, all due within
	// the same few seconds.
	const teamCount, sessionsPerTeam = 6, 50
	var teams []string
	for i := range teamCount {
		team, _ := onA.ActiveTeam(t, fmt.Sprintf("expiring-%d", i), 2, 3)
		teams = append(teams, team)
		for j := range sessionsPerTeam {
			_, err := onA.Admin().StartSession(ctx, client.StartSessionInput{
				ApprovalTeamArn: team, ActionName: fmt.Sprintf("test:Expire%d", j), DurationMinutes: 1,
			})
			if err != nil {
				t.Fatalf("StartSession %d on %s: %v", j, team, err)
			}
		}
		_, err := onA.MPA().UpdateApprovalTeam(ctx, &mpa.UpdateApprovalTeamInput{
			Arn:              aws.String(team),
			Description:      aws.String("An update that nobody approves"),
			ApprovalStrategy: sdkStrategy(2),
		})
		if err != nil {
			t.Fatalf("UpdateApprovalTeam %s: %v", team, err)
		}
	}

	// Readers on both replicas race the sweepers: GetApprovalTeam applies
	// the expiry of a team's update session when it reads the team.
	stop := make(chan struct{})
	var readers sync.WaitGroup
	stopReaders := sync.OnceFunc(func() {
		close(stop)
		readers.Wait()
	})
	defer stopReaders()
	for _, r := range replicas {
		for _, team := range teams {
			api := r.readClient(account)
			readers.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := api.GetApprovalTeam(ctx, &mpa.GetApprovalTeamInput{Arn: aws.String(team)}); err != nil {
						t.Errorf("GetApprovalTeam %s through %s while the sessions expire: %v", team, r.name, err)
						return
					}
				}
			})
		}
	}

	// Each replica has its own development clock, so both move, at once.
	// Each move also runs a sweep in the request, beside the background
	// sweepers of both replicas.
	var movers sync.WaitGroup
	for _, r := range replicas {
		admin := r.as(account).Admin()
		movers.Go(func() {
			if _, err := admin.AdvanceClock(ctx, 2*time.Minute); err != nil {
				t.Errorf("advance the clock of replica %s: %v", r.name, err)
			}
		})
	}
	movers.Wait()

	// Wait until no session is stored as PENDING. Reads report an expiry
	// before it is stored, so the test polls the database.
	wantDecided := teamCount * (sessionsPerTeam + 1)
	db, err := sql.Open("pgx", database)
	if err != nil {
		t.Fatalf("open the test schema: %v", err)
	}
	defer db.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var pending int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE status = 'PENDING'`).Scan(&pending); err != nil {
			t.Fatalf("count the pending sessions: %v", err)
		}
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d sessions still stored as PENDING 30s after both clocks passed their expiry", pending, wantDecided)
		}
		time.Sleep(50 * time.Millisecond)
	}
	stopReaders()

	// Every session, operation and update alike, expired once, at its
	// expiration time, as both replicas report it.
	var sessions []types.ListSessionsResponseSession
	for _, team := range teams {
		for _, r := range replicas {
			listed, err := sdkListAllSessions(ctx, r.readClient(account), team, nil)
			if err != nil {
				t.Fatalf("ListSessions %s through %s: %v", team, r.name, err)
			}
			if len(listed) != sessionsPerTeam+1 {
				t.Errorf("ListSessions %s through %s: got %d sessions, want %d", team, r.name, len(listed), sessionsPerTeam+1)
			}
			if r == replicas[0] {
				sessions = append(sessions, listed...)
			}
		}
		got := sdkGetTeam(t, replicas[1].readClient(account), team)
		if got.StatusCode != types.ApprovalTeamStatusCodeUpdateFailedApproval {
			t.Errorf("team %s: got status code %q after its update session expired, want UPDATE_FAILED_APPROVAL", team, got.StatusCode)
		}
	}
	for _, s := range sessions {
		arn := aws.ToString(s.SessionArn)
		if s.Status != types.SessionStatusFailed || s.StatusCode != types.SessionStatusCodeExpired {
			t.Errorf("session %s: got %s/%s, want FAILED/EXPIRED", arn, s.Status, s.StatusCode)
		}
		if s.CompletionTime == nil || !s.CompletionTime.Equal(aws.ToTime(s.ExpirationTime)) {
			t.Errorf("session %s: got CompletionTime %v, want its ExpirationTime %v", arn, s.CompletionTime, s.ExpirationTime)
		}
	}

	// The logs of both replicas together record one decision per session.
	for _, r := range replicas {
		r.stop(t)
	}
	decisions := map[string][]string{}
	for _, r := range replicas {
		r.wantNoErrorLogs(t)
		for _, rec := range r.logRecords(t) {
			if rec["msg"] != "session decided" {
				continue
			}
			arn, _ := rec["arn"].(string)
			decisions[arn] = append(decisions[arn], fmt.Sprintf("%s: %v/%v", r.name, rec["status"], rec["status_code"]))
		}
	}
	byReplica := map[string]int{}
	for _, s := range sessions {
		arn := aws.ToString(s.SessionArn)
		got := decisions[arn]
		if len(got) != 1 {
			t.Errorf("session %s: got %d \"session decided\" log records %q, want 1", arn, len(got), got)
			continue
		}
		name, status, _ := strings.Cut(got[0], ": ")
		if status != "FAILED/EXPIRED" {
			t.Errorf("session %s: logged decision %s, want FAILED/EXPIRED", arn, status)
		}
		byReplica[name]++
	}
	if len(decisions) != len(sessions) {
		t.Errorf("got decisions logged for %d sessions, want %d", len(decisions), len(sessions))
	}
	t.Logf("expiries applied per replica: %v", byReplica)
}

func testReplicasConcurrentStart(t *testing.T, binary string) {
	database := storetest.PostgresURL(t)

	// Both processes start at once on the fresh schema, without waiting for
	// each other.
	first := launchReplica(t, binary, "a", database)
	second := launchReplica(t, binary, "b", database)
	first.waitHealthy(t)
	second.waitHealthy(t)

	db, err := sql.Open("pgx", database)
	if err != nil {
		t.Fatalf("open the test schema: %v", err)
	}
	defer db.Close()
	rows, err := db.QueryContext(t.Context(), `SELECT version, count(*) FROM schema_migrations GROUP BY version ORDER BY version`)
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	defer rows.Close()
	var versions []int
	for rows.Next() {
		var version, count int
		if err := rows.Scan(&version, &count); err != nil {
			t.Fatalf("read schema_migrations: %v", err)
		}
		if count != 1 {
			t.Errorf("migration %d is recorded %d times, want once", version, count)
		}
		versions = append(versions, version)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	var want []int
	for v := 1; v <= sqlstore.SchemaVersion(); v++ {
		want = append(want, v)
	}
	if !slices.Equal(versions, want) {
		t.Errorf("got migrations %v in schema_migrations, want %v", versions, want)
	}

	// Both serve requests on the migrated schema.
	account := randomAccount()
	for _, r := range []*replica{first, second} {
		r.as(account).CreateUser(t, "starter-"+r.name)
		r.wantNoErrorLogs(t)
	}
}
