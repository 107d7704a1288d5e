package engine

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/keyturn/keyturn"
	"github.com/keyturn/keyturn/internal/sqlstore"
	"github.com/keyturn/keyturn/internal/storetest"
)

// The limits on second factors read a credential or one-time code, change
// its counters and write it back. These tests send many checks at once and
// count the outcomes, on a SQLite file store and on PostgreSQL, whose
// read-write transactions run concurrently under READ COMMITTED. The
// PostgreSQL runs skip without a test server, as storetest.PostgresURL
// does.

// concurrentChecks is the number of checks sent at once: several times the
// 5 wrong codes that lock a factor or spend a code.
const concurrentChecks = 40

// concurrencyStores opens each store that the concurrency tests run on.
var concurrencyStores = []struct {
	name string
	open func(t *testing.T) *sqlstore.Store
}{
	{"SQLite", func(t *testing.T) *sqlstore.Store {
		s, err := sqlstore.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "keyturn.db"))
		if err != nil {
			t.Fatalf("open SQLite file store: %v", err)
		}
		return s
	}},
	{"PostgreSQL", func(t *testing.T) *sqlstore.Store {
		s, err := sqlstore.OpenPostgres(t.Context(), storetest.PostgresURL(t), sqlstore.PostgresOptions{MaxConns: 16})
		if err != nil {
			t.Fatalf("open PostgreSQL store: %v", err)
		}
		return s
	}},
}

// forEachConcurrencyStore runs fn on a fixture on each store.
func forEachConcurrencyStore(t *testing.T, fn func(t *testing.T, f *fixture)) {
	for _, st := range concurrencyStores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			store := st.open(t)
			t.Cleanup(func() { store.Close() })
			fn(t, newFixtureOn(t, store, nil))
		})
	}
}

// runAtOnce calls fn n times from goroutines that start together and
// returns each call's error, by index.
func runAtOnce(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// countCodes counts the errors by keyturn error code; nil errors count
// under the empty code.
func countCodes(errs []error) map[keyturn.ErrorCode]int {
	counts := map[keyturn.ErrorCode]int{}
	for _, err := range errs {
		if err == nil {
			counts[""]++
			continue
		}
		counts[keyturn.Code(err)]++
	}
	return counts
}

func TestConcurrentWrongTOTPCodesLock(t *testing.T) {
	t.Parallel()
	forEachConcurrencyStore(t, func(t *testing.T, f *fixture) {
		active, users := f.activeTeam(3, 2)
		secret := f.enrollTOTP(users[0])
		s := f.verifiedSession(active.Arn)
		wrong := Proof{Method: keyturn.MFATOTP, Code: wrongTOTPCode(t, secret)}

		errs := runAtOnce(concurrentChecks, func(int) error {
			_, err := f.eng.Vote(f.ctx, voter(users[0]), s.Arn, keyturn.ResponseApproved, wrong)
			return err
		})

		// Each wrong code that was checked is refused with
		// ErrAccessDenied; once 5 were, the factor is locked and the rest
		// are refused unchecked with ErrThrottled.
		counts := countCodes(errs)
		if got := counts[keyturn.ErrAccessDenied]; got != maxFailures {
			t.Errorf("wrong codes checked before the lockout: got %d, want %d (outcomes by code: %v)", got, maxFailures, counts)
		}
		if got, want := counts[keyturn.ErrThrottled], concurrentChecks-maxFailures; got != want {
			t.Errorf("wrong codes refused by the lockout: got %d, want %d (outcomes by code: %v)", got, want, counts)
		}
		fresh := Proof{Method: keyturn.MFATOTP, Code: totpCode(t, secret, 1)}
		_, err := f.eng.Vote(f.ctx, voter(users[0]), s.Arn, keyturn.ResponseApproved, fresh)
		wantCode(t, err, keyturn.ErrThrottled)
	})
}

func TestConcurrentTOTPCodeUsedOnce(t *testing.T) {
	t.Parallel()
	forEachConcurrencyStore(t, func(t *testing.T, f *fixture) {
		active, users := f.activeTeam(3, 2)
		secret := f.enrollTOTP(users[0])
		const sessions = 8
		arns := make([]string, sessions)
		for i := range arns {
			arns[i] = f.verifiedSession(active.Arn).Arn
		}
		// The confirmation spent the current step's code; the next one is
		// fresh.
		proof := Proof{Method: keyturn.MFATOTP, Code: totpCode(t, secret, 1)}

		errs := runAtOnce(sessions, func(i int) error {
			_, err := f.eng.Vote(f.ctx, voter(users[0]), arns[i], keyturn.ResponseApproved, proof)
			return err
		})

		counts := countCodes(errs)
		if counts[""] != 1 {
			t.Errorf("votes accepted with one TOTP code in %d sessions: got %d, want 1 (outcomes by code: %v)", sessions, counts[""], counts)
		}
		if got, want := counts[keyturn.ErrAccessDenied], sessions-1; got != want {
			t.Errorf("votes refused as a reused code: got %d, want %d (outcomes by code: %v)", got, want, counts)
		}
		votes := 0
		for _, arn := range arns {
			votes += len(f.session(arn).Votes)
		}
		if votes != 1 {
			t.Errorf("votes stored across the %d sessions: got %d, want 1", sessions, votes)
		}
	})
}

func TestConcurrentWrongEmailCodesSpendCode(t *testing.T) {
	t.Parallel()
	forEachConcurrencyStore(t, func(t *testing.T, f *fixture) {
		// Each approver gets a vote code and sends as many wrong codes at
		// once as spend it. A wrong try that is not counted leaves the
		// code usable.
		const approvers = 5
		active, users := f.activeTeam(approvers, approvers)
		s := f.verifiedSession(active.Arn)
		codes := make([]string, approvers)
		for i, u := range users {
			f.enrollEmail(u)
			if err := f.eng.RequestVoteCode(f.ctx, voter(u), s.Arn); err != nil {
				t.Fatalf("RequestVoteCode for %s: %v", u.UserName, err)
			}
			codes[i] = f.mail.lastCode(t, u.Email)
		}

		errs := runAtOnce(approvers*maxFailures, func(i int) error {
			u, code := users[i%approvers], codes[i%approvers]
			wrong := "000000"
			if code == wrong {
				wrong = "111111"
			}
			_, err := f.eng.Vote(f.ctx, voter(u), s.Arn, keyturn.ResponseApproved, Proof{Method: keyturn.MFAEmailOTP, Code: wrong})
			return err
		})
		if counts := countCodes(errs); counts[keyturn.ErrAccessDenied] != len(errs) {
			t.Errorf("votes with a wrong e-mail code: got outcomes %v, want all %d refused with %s", counts, len(errs), keyturn.ErrAccessDenied)
		}

		for i, u := range users {
			var stored *keyturn.OneTimeCode
			err := f.store.View(f.ctx, func(tx keyturn.Tx) error {
				var err error
				stored, err = tx.LatestOneTimeCode(f.ctx, u.ID, votePurpose(s.Arn))
				return err
			})
			if err != nil {
				t.Fatalf("read the vote code of %s: %v", u.UserName, err)
			}
			if stored.Attempts != maxFailures || !stored.Used {
				t.Errorf("vote code of %s after %d wrong tries: got %d attempts, used %t; want %d attempts, used",
					u.UserName, maxFailures, stored.Attempts, stored.Used, maxFailures)
			}
			_, err = f.eng.Vote(f.ctx, voter(u), s.Arn, keyturn.ResponseApproved, Proof{Method: keyturn.MFAEmailOTP, Code: codes[i]})
			if keyturn.Code(err) != keyturn.ErrAccessDenied {
				t.Errorf("vote of %s with the right code after %d wrong tries: got error %v, want %s", u.UserName, maxFailures, err, keyturn.ErrAccessDenied)
			}
		}
	})
}

func TestConcurrentEnrollmentWithOneCode(t *testing.T) {
	t.Parallel()
	forEachConcurrencyStore(t, func(t *testing.T, f *fixture) {
		// Each round races callers for a new code, because a race shows
		// only when their reads overlap.
		const rounds, callers = 8, 20
		users := f.addUsers(rounds)
		for round, u := range users {
			// The code is stored as IssueEnrollment stores it.
			code := fmt.Sprintf("%sconcurrentenrollment%d", enrollmentPrefix, round)
			err := f.store.Update(f.ctx, func(tx keyturn.Tx) error {
				return tx.CreateCredential(f.ctx, &keyturn.Credential{
					ID: f.eng.newUUID(), UserID: u.ID, AccountID: u.AccountID, Region: u.Region,
					Kind: keyturn.CredentialEnrollment, Hash: hashSecret(code),
					CreationTime: f.eng.Now(), ExpiresAt: f.eng.Now().Add(EnrollmentTTL), Confirmed: true,
				})
			})
			if err != nil {
				t.Fatalf("store an enrolment code: %v", err)
			}

			errs := runAtOnce(callers, func(i int) error {
				_, _, err := f.eng.Enroll(f.ctx, code, fmt.Sprintf("device %d", i))
				return err
			})

			// The losers see the code as used, as a later caller would.
			counts := countCodes(errs)
			if counts[""] != 1 {
				t.Errorf("round %d: enrolments with one code: got %d, want 1 (outcomes by code: %v)", round, counts[""], counts)
			}
			if got, want := counts[keyturn.ErrAccessDenied], callers-1; got != want {
				t.Errorf("round %d: enrolments refused as a used code: got %d, want %d (outcomes by code: %v)", round, got, want, counts)
			}
		}
	})
}
