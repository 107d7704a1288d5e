package bench

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/keyturn/keyturn"
)

// Region is the region of every benchmark account.
const Region = "us-east-1"

// PolicyServicePrincipal and PolicyName name the catalogue policy that
// protects the benchmark's actions.
const (
	PolicyServicePrincipal = "operations.example.com"
	PolicyName             = "ProtectedOperations"
)

// benchAction is a protected operation with its share of the sessions.
type benchAction struct {
	Name   string
	Weight int // percent of sessions
	// Resource and Description are format strings whose verbs take the
	// account id and a number drawn for the session, in that order.
	Resource    string
	Description string
}

// actions are the operations that the benchmark policy protects. Their
// weights fall off steeply, as a few routine operations make up most
// sessions in practice, and add up to 100.
var actions = []benchAction{
	{"deploy:PromoteToProduction", 30, "arn:aws:ecs:us-east-1:%s:service/prod/api-%d", "Promote release build %[2]d to production"},
	{"deploy:Rollback", 15, "arn:aws:ecs:us-east-1:%s:service/prod/api-%d", "Roll production back to build %[2]d"},
	{"db:RunMigration", 12, "arn:aws:rds:us-east-1:%s:cluster:orders-%d", "Apply schema migration %[2]d to the orders cluster"},
	{"db:RestoreSnapshot", 9, "arn:aws:rds:us-east-1:%s:cluster:orders-%d", "Restore the orders cluster from snapshot %[2]d"},
	{"keys:RotateSigningKey", 7, "arn:aws:kms:us-east-1:%s:key/signing-%d", "Rotate release signing key %[2]d"},
	{"iam:GrantBreakGlassAccess", 6, "arn:aws:iam::%s:role/break-glass-%d", "Grant break-glass access for incident %[2]d"},
	{"data:DeleteCustomerRecords", 5, "arn:aws:s3:::customer-data-%[1]s/erasure-%d", "Erase customer records for request %[2]d"},
	{"backup:DeleteRecoveryPoint", 4, "arn:aws:backup:us-east-1:%s:recovery-point:rp-%d", "Delete recovery point %[2]d"},
	{"network:ChangeFirewallRule", 4, "arn:aws:ec2:us-east-1:%s:security-group/sg-%d", "Open port for change %[2]d"},
	{"billing:IssueRefund", 3, "arn:aws:billing::%s:invoice/%d", "Refund invoice %[2]d"},
	{"db:DropTable", 3, "arn:aws:rds:us-east-1:%s:cluster:orders-%d", "Drop the obsolete table of ticket %[2]d"},
	{"keys:DisableKey", 2, "arn:aws:kms:us-east-1:%s:key/legacy-%d", "Disable legacy key %[2]d"},
}

// ActionNames returns the benchmark's protected operations, most frequent
// first.
func ActionNames() []string {
	names := make([]string, len(actions))
	for i, a := range actions {
		names[i] = a.Name
	}
	return names
}

// Session outcomes that the fill draws. Expired sessions are stored as
// FAILED with EXPIRED, as the server's sweeper leaves them, so that a
// server started on the data has no backlog of expiries to apply.
const (
	outcomeApproved  = "APPROVED"
	outcomeRejected  = "REJECTED"
	outcomeExpired   = "EXPIRED"
	outcomeCancelled = "CANCELLED"
	outcomePending   = "PENDING"
)

// outcomeWeights are the percentages of the final outcomes. PENDING
// sessions are drawn apart, only among the newest sessions.
var outcomeWeights = []struct {
	Outcome string
	Weight  int
}{
	{outcomeApproved, 72},
	{outcomeRejected, 8},
	{outcomeExpired, 10},
	{outcomeCancelled, 10},
}

const (
	// pendingWindow is how far before the end of the data set a session
	// may still be PENDING, and pendingShare the share of those sessions
	// that are.
	pendingWindow = 48 * time.Hour
	pendingShare  = 0.3
	// pendingDuration is the lifetime of PENDING sessions: the default
	// longest session duration, so that they stay PENDING for a week after
	// the fill.
	pendingDuration = 7 * 24 * time.Hour
)

// durations are the session lifetimes that requesters ask for, with their
// weights in percent.
var durations = []struct {
	Duration time.Duration
	Weight   int
}{
	{time.Hour, 10},
	{4 * time.Hour, 15},
	{24 * time.Hour, 60},
	{72 * time.Hour, 15},
}

// requesterRoles are the IAM roles that start sessions, most active first.
var requesterRoles = []string{"ci-deployer", "ci-deployer", "ci-deployer", "dba", "security-oncall", "release-manager"}

var comments = []string{
	"Change window approved by the change advisory board.",
	"Hotfix for a customer-facing incident.",
	"Scheduled maintenance.",
	"Requested by the data protection officer.",
}

// sessionGenerator draws sessions of one team with their votes. It is
// deterministic for a seed.
type sessionGenerator struct {
	rng              *rand.Rand
	ids              *rand.ChaCha8
	team             *keyturn.Team
	approvers        []keyturn.SessionApprover
	servicePrincipal string
	start, end       time.Time
	count            int
	step             time.Duration
}

func newSessionGenerator(seed uint64, team *keyturn.Team, start, end time.Time, count int) *sessionGenerator {
	g := &sessionGenerator{
		rng:              rand.New(rand.NewPCG(seed, 0x6b65797475726e)),
		ids:              rand.NewChaCha8(seedBytes(seed ^ 0x5e551045)),
		team:             team,
		servicePrincipal: PolicyServicePrincipal,
		start:            start,
		end:              end,
		count:            count,
		step:             end.Sub(start) / time.Duration(max(count, 1)),
	}
	for _, a := range team.Approvers {
		if a.Status == keyturn.IdentityAccepted {
			g.approvers = append(g.approvers, keyturn.SessionApprover{
				ApproverID: a.ApproverID, IdentityID: a.IdentityID, IdentitySourceArn: a.IdentitySourceArn,
			})
		}
	}
	return g
}

// seedBytes stretches a seed into a ChaCha8 key.
func seedBytes(seed uint64) [32]byte {
	var b [32]byte
	for i := range 4 {
		v := seed + uint64(i)*0x9e3779b97f4a7c15
		for j := range 8 {
			b[i*8+j] = byte(v >> (8 * j))
		}
	}
	return b
}

// session returns the i-th session, in order of initiation time, and its
// votes in the order they were cast. The session's status, status code,
// message, completion time and execution status agree with its votes, as
// the engine would have stored them.
func (g *sessionGenerator) session(i int) (*keyturn.Session, []keyturn.Vote) {
	// Sessions start in order, one step apart on average, with jitter
	// inside the step so that times are not evenly spaced.
	started := g.start.Add(time.Duration(i)*g.step + time.Duration(g.rng.Int64N(int64(max(g.step, time.Millisecond))))).Truncate(time.Millisecond)
	if !started.Before(g.end) {
		started = g.end.Add(-time.Millisecond)
	}
	a := g.action()
	n := g.rng.IntN(100_000)
	requester := fmt.Sprintf("arn:aws:iam::%s:role/%s", g.team.AccountID, requesterRoles[g.rng.IntN(len(requesterRoles))])
	id, err := uuid.NewRandomFromReader(g.ids)
	if err != nil {
		panic(err) // ChaCha8's Read always returns a nil error
	}
	s := &keyturn.Session{
		Arn:                       keyturn.SessionArn(g.team.Region, g.team.AccountID, keyturn.TeamID(g.team.Arn), id.String()),
		TeamArn:                   g.team.Arn,
		TeamName:                  g.team.Name,
		AccountID:                 g.team.AccountID,
		Region:                    g.team.Region,
		Kind:                      keyturn.KindOperation,
		ActionName:                a.Name,
		ProtectedResourceArn:      fmt.Sprintf(a.Resource, g.team.AccountID, n),
		Description:               fmt.Sprintf(a.Description, g.team.AccountID, n),
		RequesterServicePrincipal: g.servicePrincipal,
		RequesterPrincipalArn:     requester,
		RequesterAccountID:        g.team.AccountID,
		RequesterRegion:           g.team.Region,
		MinApprovals:              g.team.MinApprovals,
		Approvers:                 g.approvers,
		InitiationTime:            started,
		Status:                    keyturn.SessionPending,
	}
	if g.rng.IntN(100) < 40 {
		s.Metadata = map[string]string{"ticket": fmt.Sprintf("CHG-%05d", n%100_000)}
		if g.rng.IntN(2) == 0 {
			s.Metadata["pipeline"] = fmt.Sprintf("release-%d", n%500)
		}
	}
	if g.rng.IntN(100) < 30 {
		s.RequesterComment = comments[g.rng.IntN(len(comments))]
	}

	outcome := g.outcome(started)
	duration := g.duration()
	if outcome == outcomePending {
		duration = pendingDuration
	}
	s.ExpirationTime = started.Add(duration)
	// A session can be decided only before it expires and before the end
	// of the data set. So one that would expire after the end is open
	// until the end at most.
	open := g.end.Sub(started)
	if s.ExpirationTime.Before(g.end) {
		open = s.ExpirationTime.Sub(started)
	}
	if outcome == outcomeExpired && s.ExpirationTime.After(g.end) {
		outcome = outcomeCancelled
	}
	if open < 2*time.Second && outcome != outcomePending {
		outcome = outcomeCancelled
	}
	votes := g.settle(s, outcome, open)
	return s, votes
}

func (g *sessionGenerator) action() benchAction {
	r := g.rng.IntN(100)
	for _, a := range actions {
		if r < a.Weight {
			return a
		}
		r -= a.Weight
	}
	return actions[0]
}

func (g *sessionGenerator) duration() time.Duration {
	r := g.rng.IntN(100)
	for _, d := range durations {
		if r < d.Weight {
			return d.Duration
		}
		r -= d.Weight
	}
	return 24 * time.Hour
}

func (g *sessionGenerator) outcome(started time.Time) string {
	if g.end.Sub(started) < pendingWindow && g.rng.Float64() < pendingShare {
		return outcomePending
	}
	r := g.rng.IntN(100)
	for _, o := range outcomeWeights {
		if r < o.Weight {
			return o.Outcome
		}
		r -= o.Weight
	}
	return outcomeApproved
}

// settle draws the votes of a session with the outcome and sets its final
// state. open is how long the session could take votes.
func (g *sessionGenerator) settle(s *keyturn.Session, outcome string, open time.Duration) []keyturn.Vote {
	var responses []keyturn.Response
	switch outcome {
	case outcomeApproved:
		responses = g.decidingVotes(s, keyturn.SessionApproved, 0.9)
	case outcomeRejected:
		responses = g.decidingVotes(s, keyturn.SessionFailed, 0.25)
	default:
		responses = g.openVotes(s)
	}

	// Votes arrive in order within the first 80% of the time the session
	// was open; a cancellation comes after the last vote.
	last := s.InitiationTime
	votes := make([]keyturn.Vote, len(responses))
	order := g.rng.Perm(len(s.Approvers))
	window := max(int64(open)*8/10, int64(time.Second))
	offsets := make([]int64, len(responses))
	for i := range offsets {
		offsets[i] = 1 + g.rng.Int64N(window)
	}
	slices.Sort(offsets)
	for i, r := range responses {
		a := s.Approvers[order[i]]
		at := s.InitiationTime.Add(time.Duration(offsets[i])).Truncate(time.Millisecond)
		if at.Before(last) {
			at = last
		}
		last = at
		votes[i] = keyturn.Vote{ApproverID: a.ApproverID, IdentityID: a.IdentityID, Response: r, Time: at}
	}

	approvals, rejections := tally(responses)
	n := len(s.Approvers)
	switch outcome {
	case outcomeApproved:
		s.Status = keyturn.SessionApproved
		s.StatusMessage = fmt.Sprintf("Approved by %d of %d approvers.", approvals, n)
		s.CompletionTime = last
		s.ExecutionStatus = g.executionStatus()
	case outcomeRejected:
		s.Status, s.StatusCode = keyturn.SessionFailed, keyturn.SessionRejected
		s.StatusMessage = fmt.Sprintf("Rejected: %d of %d approvers rejected, so the %d approvals required can no longer be reached.", rejections, n, s.MinApprovals)
		s.CompletionTime = last
	case outcomeExpired:
		s.Status, s.StatusCode = keyturn.SessionFailed, keyturn.SessionExpired
		s.StatusMessage = keyturn.ExpiryMessage(keyturn.KindOperation)
		s.CompletionTime = s.ExpirationTime
	case outcomeCancelled:
		s.Status = keyturn.SessionCancelled
		s.StatusMessage = fmt.Sprintf("Cancelled by %s.", s.RequesterPrincipalArn)
		s.CompletionTime = last.Add(time.Duration(1 + g.rng.Int64N(max(int64(open)/10, 1)))).Truncate(time.Millisecond)
		if s.CompletionTime.Before(last) {
			s.CompletionTime = last
		}
	}
	return votes
}

// executionStatus draws what the requester reported after an approval.
func (g *sessionGenerator) executionStatus() keyturn.ExecutionStatus {
	switch r := g.rng.IntN(100); {
	case r < 85:
		return keyturn.ExecutionExecuted
	case r < 88:
		return keyturn.ExecutionFailed
	default:
		return keyturn.ExecutionPending
	}
}

// decidingVotes draws votes, each APPROVED with probability pApprove,
// until they decide the session, and retries until the decision is want.
func (g *sessionGenerator) decidingVotes(s *keyturn.Session, want keyturn.SessionStatus, pApprove float64) []keyturn.Response {
	for range 100 {
		var responses []keyturn.Response
		for range len(s.Approvers) {
			r := keyturn.ResponseRejected
			if g.rng.Float64() < pApprove {
				r = keyturn.ResponseApproved
			}
			responses = append(responses, r)
			if status, done := decide(responses, len(s.Approvers), s.MinApprovals); done {
				if status == want {
					return responses
				}
				break
			}
		}
	}
	// The draws above fail 100 times in a row only for extreme
	// probabilities. Then the shortest sequence with the decision is used.
	fill := keyturn.ResponseApproved
	if want != keyturn.SessionApproved {
		fill = keyturn.ResponseRejected
	}
	var responses []keyturn.Response
	for {
		responses = append(responses, fill)
		if _, done := decide(responses, len(s.Approvers), s.MinApprovals); done {
			return responses
		}
	}
}

// openVotes draws votes that leave the session undecided.
func (g *sessionGenerator) openVotes(s *keyturn.Session) []keyturn.Response {
	var responses []keyturn.Response
	for range g.rng.IntN(len(s.Approvers) + 1) {
		r := keyturn.ResponseRejected
		if g.rng.Float64() < 0.7 {
			r = keyturn.ResponseApproved
		}
		if _, done := decide(append(slices.Clone(responses), r), len(s.Approvers), s.MinApprovals); done {
			break
		}
		responses = append(responses, r)
	}
	return responses
}

func tally(responses []keyturn.Response) (approvals, rejections int) {
	for _, r := range responses {
		if r == keyturn.ResponseApproved {
			approvals++
		} else {
			rejections++
		}
	}
	return approvals, rejections
}

// decide applies the M-of-N rule of operation sessions: APPROVED at the
// M-th approval, FAILED as soon as M approvals can no longer be reached.
func decide(responses []keyturn.Response, approvers, minApprovals int) (keyturn.SessionStatus, bool) {
	approvals, rejections := tally(responses)
	if approvals >= minApprovals {
		return keyturn.SessionApproved, true
	}
	if outstanding := approvers - approvals - rejections; approvals+outstanding < minApprovals {
		return keyturn.SessionFailed, true
	}
	return "", false
}
