package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/keyturn/keyturn"
	"github.com/keyturn/keyturn/internal/sigv4"
)

// manifestMeta is the store meta key under which Fill records what it
// wrote, so that run can find the teams and sessions without a side file.
const manifestMeta = "keyturn_bench_manifest"

// manifestVersion changes when the manifest's meaning changes.
const manifestVersion = 1

// Manifest describes a filled data set.
type Manifest struct {
	Version   int
	Seed      uint64
	CreatedAt time.Time
	Region    string
	// PolicyArn is the qualified ARN of the policy that every team uses.
	PolicyArn string
	Actions   []string
	Teams     []TeamInfo
	// SessionTeam is the index in Teams of the team that contains the
	// sessions. WriteTeam is the index of the team that run starts new
	// sessions in and votes in, so that its writes leave the measured
	// team unchanged.
	SessionTeam int
	WriteTeam   int
	// Sessions and Votes count what Fill stored in the session team.
	Sessions int
	Votes    int
	// Start and End bound the sessions' initiation times.
	Start, End time.Time
	// StatusCounts counts sessions by stored status and status code, such
	// as "FAILED/EXPIRED". ActionCounts counts them by action name.
	StatusCounts map[string]int
	ActionCounts map[string]int
	// SampleSessionArns are sessions spread evenly over the list, for
	// GetSession.
	SampleSessionArns []string
	FillSeconds       float64
}

// TeamInfo is one account of the data set, with its team.
type TeamInfo struct {
	AccountID         string
	TeamArn           string
	TeamName          string
	IdentitySourceArn string
	// UserIDs are the account's users; the first ApproverCount of them
	// are the team's approvers.
	UserIDs       []string
	ApproverCount int
	MinApprovals  int
}

// ApproverIDs returns the user ids of the team's approvers.
func (t TeamInfo) ApproverIDs() []string { return t.UserIDs[:t.ApproverCount] }

// SessionTeamInfo returns the team that contains the sessions.
func (m *Manifest) SessionTeamInfo() TeamInfo { return m.Teams[m.SessionTeam] }

// WriteTeamInfo returns the team that run writes to.
func (m *Manifest) WriteTeamInfo() TeamInfo { return m.Teams[m.WriteTeam] }

// AccountID returns the account of the i-th team of a data set.
func AccountID(i int) string { return fmt.Sprintf("%012d", 200_000_000_000+i) }

// Credential returns the access key of an account of the data set. The
// access key id is the account id, so that a development server, which
// takes a 12-digit access key id as the account, maps requests to the same
// account as a production server with the credentials file. The secret is
// fixed: these keys exist only for benchmarks on loopback.
func Credential(accountID string) sigv4.Credential {
	return sigv4.Credential{
		AccessKeyID:     accountID,
		SecretAccessKey: "keyturn-bench-secret-" + accountID,
		AccountID:       accountID,
		PrincipalArn:    fmt.Sprintf("arn:aws:iam::%s:role/bench-admin", accountID),
	}
}

// Credentials returns the credentials file content, for keyturn serve
// --credentials-file, that accepts the access keys of every account.
func (m *Manifest) Credentials() ([]byte, error) {
	creds := make([]sigv4.Credential, len(m.Teams))
	for i, t := range m.Teams {
		creds[i] = Credential(t.AccountID)
	}
	return json.MarshalIndent(creds, "", "  ")
}

// LoadManifest reads the manifest of a filled store. When there is none,
// the error explains how to fill the store.
func LoadManifest(ctx context.Context, store keyturn.Store) (*Manifest, error) {
	var raw string
	err := store.View(ctx, func(tx keyturn.Tx) error {
		var err error
		raw, err = tx.GetMeta(ctx, manifestMeta)
		return err
	})
	if keyturn.Code(err) == keyturn.ErrNotFound {
		return nil, fmt.Errorf("the database contains no benchmark data set: fill it first with keyturn-bench fill")
	}
	if err != nil {
		return nil, fmt.Errorf("read the benchmark manifest: %w", err)
	}
	m := new(Manifest)
	if err := json.Unmarshal([]byte(raw), m); err != nil {
		return nil, fmt.Errorf("read the benchmark manifest: %w", err)
	}
	if m.Version != manifestVersion {
		return nil, fmt.Errorf("the benchmark data set has manifest version %d, and this keyturn-bench reads version %d: fill a new database", m.Version, manifestVersion)
	}
	return m, nil
}

func saveManifest(ctx context.Context, tx keyturn.Tx, m *Manifest) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return tx.PutMeta(ctx, manifestMeta, string(b))
}
