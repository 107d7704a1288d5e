package e2e

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mpa"
	"github.com/aws/aws-sdk-go-v2/service/mpa/types"

	"github.com/keyturn/keyturn/client"
	"github.com/keyturn/keyturn/internal/storetest"
	"github.com/keyturn/keyturn/keyturntest"
)

// sdkBackend is a server setup: one server or several replicas that share
// a database.
type sdkBackend struct {
	name  string
	start func(t *testing.T) []*keyturntest.Server
}

// sdkBackends returns the server setups that the concurrency tests run
// on: the in-memory database, a SQLite file, whose readers run beside the
// writer, and two replicas that share one PostgreSQL schema. The last is
// skipped when no PostgreSQL test server can be reached.
func sdkBackends() []sdkBackend {
	return []sdkBackend{
		{"memory", func(t *testing.T) []*keyturntest.Server {
			return []*keyturntest.Server{keyturntest.Start(t, keyturntest.Options{Database: "memory"})}
		}},
		{"sqlite file", func(t *testing.T) []*keyturntest.Server {
			db := filepath.Join(t.TempDir(), "keyturn.db")
			return []*keyturntest.Server{keyturntest.Start(t, keyturntest.Options{Database: db})}
		}},
		{"postgres replicas", func(t *testing.T) []*keyturntest.Server {
			db := storetest.PostgresURL(t)
			first := keyturntest.Start(t, keyturntest.Options{Database: db})
			second := keyturntest.Start(t, keyturntest.Options{Database: db})
			return []*keyturntest.Server{first, second}
		}},
	}
}

// sdkRaceClient returns an HTTP client for the racing votes, whose idle
// connections are closed when the test ends. Many requests at once make
// the transport dial connections that it then does not use, and a
// net/http server that shuts down waits until such a connection is 5
// seconds old before it closes it.
func sdkRaceClient(t *testing.T) *http.Client {
	transport := &http.Transport{MaxIdleConnsPerHost: 64}
	t.Cleanup(transport.CloseIdleConnections)
	return &http.Client{Transport: transport, Timeout: time.Minute}
}

// sdkVoteAs returns a client of Keyturn's API that votes as the user,
// through the HTTP client.
func sdkVoteAs(s *keyturntest.Server, user *client.User, hc *http.Client) *client.Client {
	c := s.As(user.UserID)
	c.HTTPClient = hc
	return c
}

// sdkVote is one approver's vote in a race: what the approver sent and what
// came back.
type sdkVote struct {
	user     *client.User
	response string
	session  *client.Session // the session as the vote left it
	err      error
}

// sdkRaceVotes casts the votes at once, one goroutine each, spread over
// the servers, and fills in each vote's result.
func sdkRaceVotes(t *testing.T, servers []*keyturntest.Server, hc *http.Client, sessionArn string, votes []*sdkVote) {
	t.Helper()
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, v := range votes {
		srv := servers[i%len(servers)]
		wg.Go(func() {
			<-start
			v.session, v.err = sdkVoteAs(srv, v.user, hc).Vote(t.Context(), sessionArn, client.VoteInput{Response: v.response})
		})
	}
	close(start)
	wg.Wait()
}

// sdkCheckDecision checks a session after a race of votes in which every
// approver of the session voted once: the outcome that the votes sent
// determine, exactly one vote that decided, every accepted vote recorded
// as sent, and every refused vote refused because the session was
// already decided.
func sdkCheckDecision(t *testing.T, api *mpa.Client, sessionArn string, minApprovals int, votes []*sdkVote) {
	t.Helper()
	sent := 0
	for _, v := range votes {
		if v.response == "APPROVED" {
			sent++
		}
	}
	wantStatus, wantCode := types.SessionStatusApproved, types.SessionStatusCode("")
	if sent < minApprovals {
		wantStatus, wantCode = types.SessionStatusFailed, types.SessionStatusCodeRejected
	}

	got := sdkGetSession(t, api, sessionArn)
	if got.Status != wantStatus || got.StatusCode != wantCode {
		t.Errorf("got %s/%s with %d of %d approvals sent, want %s/%s", got.Status, got.StatusCode, sent, len(votes), wantStatus, wantCode)
	}
	if got.CompletionTime == nil || got.CompletionTime.Before(aws.ToTime(got.InitiationTime)) {
		t.Errorf("got CompletionTime %v, want a time after the start %v", got.CompletionTime, got.InitiationTime)
	}
	recorded := map[string]types.GetSessionResponseApproverResponse{}
	for _, r := range got.ApproverResponses {
		recorded[aws.ToString(r.IdentityId)] = r
	}

	deciders := 0
	var approvals, rejections int
	for _, v := range votes {
		r, ok := recorded[v.user.UserID]
		if !ok {
			t.Errorf("%s is missing from ApproverResponses", v.user.UserName)
			continue
		}
		switch {
		case v.err == nil:
			if string(r.Response) != v.response || r.ResponseTime == nil {
				t.Errorf("%s voted %s, but ApproverResponses has %s at %v", v.user.UserName, v.response, r.Response, r.ResponseTime)
			}
			if v.session.Status != "PENDING" {
				deciders++
				if v.session.Status != string(wantStatus) {
					t.Errorf("the deciding vote of %s left the session %s, want %s", v.user.UserName, v.session.Status, wantStatus)
				}
				if r.ResponseTime != nil && got.CompletionTime != nil && !r.ResponseTime.Equal(*got.CompletionTime) {
					t.Errorf("the deciding vote of %s is recorded at %s, but the session completed at %s", v.user.UserName,
						r.ResponseTime.Format(time.RFC3339Nano), got.CompletionTime.Format(time.RFC3339Nano))
				}
			}
		case client.IsCode(v.err, "ConflictException"):
			if r.Response != types.SessionResponseNoResponse {
				t.Errorf("the vote of %s was refused, but ApproverResponses has %s", v.user.UserName, r.Response)
			}
		default:
			t.Errorf("vote of %s: got %v, want success or ConflictException", v.user.UserName, v.err)
		}
		switch r.Response {
		case types.SessionResponseApproved:
			approvals++
		case types.SessionResponseRejected:
			rejections++
		}
		if r.ResponseTime != nil && got.CompletionTime != nil && r.ResponseTime.After(*got.CompletionTime) {
			t.Errorf("%s's vote is recorded at %s, after the session completed at %s", v.user.UserName,
				r.ResponseTime.Format(time.RFC3339Nano), got.CompletionTime.Format(time.RFC3339Nano))
		}
	}
	if deciders != 1 {
		t.Errorf("%d votes decided the session, want exactly 1", deciders)
	}

	// The session stops taking votes at its decision: the M-th approval,
	// or the rejection after which M approvals can no longer be reached.
	n := len(votes)
	switch wantStatus {
	case types.SessionStatusApproved:
		if approvals != minApprovals || rejections > n-minApprovals {
			t.Errorf("APPROVED with %d approvals and %d rejections recorded, want exactly %d approvals", approvals, rejections, minApprovals)
		}
	case types.SessionStatusFailed:
		if rejections != n-minApprovals+1 || approvals >= minApprovals {
			t.Errorf("REJECTED with %d approvals and %d rejections recorded, want exactly %d rejections", approvals, rejections, n-minApprovals+1)
		}
	}
}

func TestSDKConcurrentVotesOneSession(t *testing.T) {
	t.Parallel()
	for _, backend := range sdkBackends() {
		t.Run(backend.name, func(t *testing.T) {
			t.Parallel()
			servers := backend.start(t)
			s := servers[0]
			api := s.MPA()
			team, users := s.ActiveTeam(t, "council", 10, 20)
			rng := rand.New(rand.NewPCG(sdkListSeed, 3))
			hc := sdkRaceClient(t)

			// The share of approvals moves around the threshold of 10 of 20.
			for round, share := range []float64{0.5, 0.45, 0.55, 1, 0, 0.3, 0.7} {
				session := s.StartSession(t, team, fmt.Sprintf("test:Round%d", round)).SessionArn
				votes := make([]*sdkVote, len(users))
				for i, u := range users {
					votes[i] = &sdkVote{user: u, response: "REJECTED"}
					if rng.Float64() < share {
						votes[i].response = "APPROVED"
					}
				}
				sdkRaceVotes(t, servers, hc, session, votes)
				sdkCheckDecision(t, api, session, 10, votes)

				// Each vote that counted is the approver's last activity.
				got := sdkGetTeam(t, api, team)
				for _, v := range votes {
					if v.err != nil {
						continue
					}
					a := sdkApproverOf(t, got.Approvers, v.user.UserID)
					if a.LastActivity != types.ApproverLastActivityVoted || aws.ToTime(a.LastActivityTime).IsZero() {
						t.Errorf("round %d: %s voted, but the team shows LastActivity %q at %v", round, v.user.UserName, a.LastActivity, a.LastActivityTime)
					}
				}

				// Later votes are refused, whether the approver voted or not.
				for _, v := range []*sdkVote{votes[0], votes[len(votes)-1]} {
					_, err := s.As(v.user.UserID).Vote(t.Context(), session, client.VoteInput{Response: "APPROVED"})
					if !client.IsCode(err, "ConflictException") {
						t.Errorf("round %d: a later vote of %s got %v, want ConflictException", round, v.user.UserName, err)
					}
				}
				if t.Failed() {
					t.Fatalf("round %d failed, so the later rounds are skipped", round)
				}
			}
		})
	}
}

func TestSDKConcurrentVotesManySessions(t *testing.T) {
	t.Parallel()
	for _, backend := range sdkBackends() {
		t.Run(backend.name, func(t *testing.T) {
			t.Parallel()
			servers := backend.start(t)
			s := servers[0]
			api := s.MPA()
			rng := rand.New(rand.NewPCG(sdkListSeed, 4))
			hc := sdkRaceClient(t)

			// 4 teams of 5 approvers, 3 of whom must approve, with 10
			// sessions each: 200 votes, all sent at once.
			type race struct {
				session string
				votes   []*sdkVote
			}
			var races []*race
			for team := range 4 {
				arn, users := s.ActiveTeam(t, fmt.Sprintf("team-%d", team), 3, 5)
				for i := range 10 {
					r := &race{session: s.StartSession(t, arn, fmt.Sprintf("test:Operation%d", i)).SessionArn}
					for _, u := range users {
						response := "REJECTED"
						if rng.IntN(2) == 0 {
							response = "APPROVED"
						}
						r.votes = append(r.votes, &sdkVote{user: u, response: response})
					}
					races = append(races, r)
				}
			}

			type job struct {
				session string
				vote    *sdkVote
			}
			var jobs []job
			for _, r := range races {
				for _, v := range r.votes {
					jobs = append(jobs, job{r.session, v})
				}
			}
			rng.Shuffle(len(jobs), func(i, j int) { jobs[i], jobs[j] = jobs[j], jobs[i] })

			start := make(chan struct{})
			var wg sync.WaitGroup
			for i, j := range jobs {
				srv := servers[i%len(servers)]
				wg.Go(func() {
					<-start
					j.vote.session, j.vote.err = sdkVoteAs(srv, j.vote.user, hc).Vote(t.Context(), j.session, client.VoteInput{Response: j.vote.response})
				})
			}
			close(start)
			wg.Wait()

			for _, r := range races {
				sdkCheckDecision(t, api, r.session, 3, r.votes)
			}
		})
	}
}

// TestSDKConcurrentVotesAndCancel races a CancelSession against the votes
// of every approver: either the cancellation or the tenth approval ends
// the session, never both, and no vote counted is later than the end.
func TestSDKConcurrentVotesAndCancel(t *testing.T) {
	t.Parallel()
	for _, backend := range sdkBackends() {
		t.Run(backend.name, func(t *testing.T) {
			t.Parallel()
			servers := backend.start(t)
			s := servers[0]
			api := s.MPA()
			team, users := s.ActiveTeam(t, "council", 10, 20)
			hc := sdkRaceClient(t)

			for round := range 6 {
				session := s.StartSession(t, team, fmt.Sprintf("test:Round%d", round)).SessionArn
				votes := make([]*sdkVote, len(users))
				for i, u := range users {
					votes[i] = &sdkVote{user: u, response: "APPROVED"}
				}
				var cancelErr error
				start := make(chan struct{})
				var wg sync.WaitGroup
				for i, v := range votes {
					srv := servers[i%len(servers)]
					wg.Go(func() {
						<-start
						v.session, v.err = sdkVoteAs(srv, v.user, hc).Vote(t.Context(), session, client.VoteInput{Response: v.response})
					})
					if i == 2*round+5 {
						wg.Go(func() {
							<-start
							_, cancelErr = srv.MPA().CancelSession(t.Context(), &mpa.CancelSessionInput{SessionArn: aws.String(session)})
						})
					}
				}
				close(start)
				wg.Wait()

				got := sdkGetSession(t, api, session)
				approvals, deciders := 0, 0
				for _, r := range got.ApproverResponses {
					if r.Response == types.SessionResponseApproved {
						approvals++
					}
					if r.ResponseTime != nil && got.CompletionTime != nil && r.ResponseTime.After(*got.CompletionTime) {
						t.Errorf("round %d: a vote is recorded at %s, after the session ended %s at %s", round,
							r.ResponseTime.Format(time.RFC3339Nano), got.Status, got.CompletionTime.Format(time.RFC3339Nano))
					}
				}
				for _, v := range votes {
					switch {
					case v.err == nil && v.session.Status != "PENDING":
						deciders++
					case v.err != nil && !client.IsCode(v.err, "ConflictException"):
						t.Errorf("round %d: vote of %s: got %v, want success or ConflictException", round, v.user.UserName, v.err)
					}
				}

				switch got.Status {
				case types.SessionStatusCancelled:
					if cancelErr != nil || deciders != 0 || approvals >= 10 {
						t.Errorf("round %d: CANCELLED, with cancel error %v, %d deciding votes and %d approvals, want no error, none and fewer than 10",
							round, cancelErr, deciders, approvals)
					}
				case types.SessionStatusApproved:
					sdkWantConflict(t, cancelErr)
					if deciders != 1 || approvals != 10 {
						t.Errorf("round %d: APPROVED with %d deciding votes and %d approvals, want 1 and 10", round, deciders, approvals)
					}
				default:
					t.Errorf("round %d: got %s, want CANCELLED or APPROVED", round, got.Status)
				}
				if t.Failed() {
					t.Fatalf("round %d failed, so the later rounds are skipped", round)
				}
			}
		})
	}
}
