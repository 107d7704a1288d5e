package engine

import (
	"context"
	"crypto/subtle"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/keyturn/keyturn"
)

// Second factors protect votes in sessions that require approver
// verification. An approver enrols an authenticator app (TOTP, RFC 6238,
// 6 digits, 30-second steps, SHA-1, as common apps expect) or e-mail
// one-time codes. Codes are single-use. Wrong codes are limited: after
// maxFailures in a row a TOTP factor is locked for lockout, and an e-mail
// code is spent. Factor checks use the real clock, like authenticator apps
// and request signatures, so moving the workflow clock does not break them.

const (
	totpPeriod    = 30 * time.Second
	totpSkewSteps = 1 // accept the previous and next step, for clock drift
	maxFailures   = 5
	lockout       = 15 * time.Minute
	emailCodeTTL  = 10 * time.Minute
	// emailCodeInterval is the least time between two e-mail codes for one
	// purpose, so that a client cannot flood a mailbox.
	emailCodeInterval  = 30 * time.Second
	enrollEmailPurpose = "enroll-email"
)

func realNow() time.Time { return time.Now().UTC() }

// enrolledMethods returns the confirmed MFA method types of a user, sorted.
func enrolledMethods(ctx context.Context, tx keyturn.Tx, account, region, userID string) ([]string, error) {
	creds, err := tx.ListCredentials(ctx, account, region, userID)
	if err != nil {
		return nil, err
	}
	var methods []string
	for _, c := range creds {
		if !c.Confirmed {
			continue
		}
		switch c.Kind {
		case keyturn.CredentialTOTP:
			methods = append(methods, keyturn.MFATOTP)
		case keyturn.CredentialEmailOTP:
			methods = append(methods, keyturn.MFAEmailOTP)
		}
	}
	slices.Sort(methods)
	return slices.Compact(methods), nil
}

// synchronizeMFA records each approver's current MFA methods as the ones
// the team knows, which makes them IN_SYNC.
func synchronizeMFA(ctx context.Context, tx keyturn.Tx, t *keyturn.Team) error {
	for i := range t.Approvers {
		methods, err := enrolledMethods(ctx, tx, t.AccountID, t.Region, t.Approvers[i].IdentityID)
		if err != nil {
			return err
		}
		t.Approvers[i].SyncedMFAMethods = methods
	}
	return nil
}

// TOTPEnrollment is a new authenticator secret to load into an app.
type TOTPEnrollment struct {
	Secret string
	// URL is the otpauth:// URL that apps read from a QR code.
	URL string
}

// EnrollTOTP starts the enrolment of an authenticator app. The factor
// counts once ConfirmTOTP has checked a first code from the app. A user who
// has a factor already proves it with a code from that factor.
func (e *Engine) EnrollTOTP(ctx context.Context, v Voter, proof Proof) (*TOTPEnrollment, error) {
	if err := e.proveExistingFactor(ctx, v, proof); err != nil {
		return nil, err
	}
	var out *TOTPEnrollment
	err := e.store.Update(ctx, func(tx keyturn.Tx) error {
		u, creds, err := voterCredentials(ctx, tx, v)
		if err != nil {
			return err
		}
		for _, c := range creds {
			if c.Kind != keyturn.CredentialTOTP {
				continue
			}
			if c.Confirmed {
				return keyturn.Errorf(keyturn.ErrConflict, "User %s already has an authenticator app. Remove it before you enrol another.", u.ID)
			}
			if err := tx.DeleteCredential(ctx, c.ID); err != nil {
				return err
			}
		}
		key, err := totp.Generate(totp.GenerateOpts{
			Issuer:      "Keyturn",
			AccountName: u.UserName,
			Rand:        &lockedReader{e},
		})
		if err != nil {
			return err
		}
		out = &TOTPEnrollment{Secret: key.Secret(), URL: key.URL()}
		return tx.CreateCredential(ctx, &keyturn.Credential{
			ID: e.newUUID(), UserID: u.ID, AccountID: u.AccountID, Region: u.Region,
			Kind: keyturn.CredentialTOTP, Secret: key.Secret(), Label: "authenticator app",
			CreationTime: e.Now(),
		})
	})
	return out, err
}

// lockedReader reads the engine's random source under its lock.
type lockedReader struct{ e *Engine }

func (r *lockedReader) Read(p []byte) (int, error) {
	copy(p, r.e.randomBytes(len(p)))
	return len(p), nil
}

// ConfirmTOTP completes an authenticator enrolment with a code from the app.
func (e *Engine) ConfirmTOTP(ctx context.Context, v Voter, code string) error {
	return e.checkAndStore(ctx, func(tx keyturn.Tx) (error, error) {
		_, creds, err := voterCredentials(ctx, tx, v)
		if err != nil {
			return nil, err
		}
		for _, c := range creds {
			if c.Kind == keyturn.CredentialTOTP && !c.Confirmed {
				verr := checkTOTP(c, code, realNow())
				if verr == nil {
					c.Confirmed = true
				}
				return verr, tx.UpdateCredential(ctx, c)
			}
		}
		return nil, keyturn.Errorf(keyturn.ErrConflict, "There is no authenticator enrolment to confirm. Start one first.")
	})
}

// checkAndStore runs fn in a transaction that is committed even when fn
// reports a failed check, so that the failure counts against the limit;
// it then returns the check's error. fn returns the check's error first and
// any other error second; the latter rolls the transaction back.
func (e *Engine) checkAndStore(ctx context.Context, fn func(tx keyturn.Tx) (checkErr, err error)) error {
	var checkErr error
	err := e.store.Update(ctx, func(tx keyturn.Tx) error {
		var err error
		checkErr, err = fn(tx)
		return err
	})
	if err != nil {
		return err
	}
	return checkErr
}

// checkTOTP checks a code against a TOTP credential at now, and updates the
// credential's replay counter and failure count.
func checkTOTP(c *keyturn.Credential, code string, now time.Time) error {
	if now.Before(c.LockedUntil) {
		return keyturn.Errorf(keyturn.ErrThrottled,
			"Too many wrong codes: the authenticator is locked until %s. Use an e-mailed code instead, if you have enrolled them, or wait.", c.LockedUntil.Format(time.RFC3339))
	}
	step := now.Unix() / int64(totpPeriod/time.Second)
	for d := int64(-totpSkewSteps); d <= totpSkewSteps; d++ {
		counter := step + d
		want, err := hotp.GenerateCodeCustom(c.Secret, uint64(counter), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) != 1 {
			continue
		}
		if counter <= c.LastCounter {
			// A right code that was used already, or is older than one
			// that was: not a guess, so it does not count as a failure.
			return keyturn.Errorf(keyturn.ErrAccessDenied,
				"The authenticator code was already used. Each code counts once: wait for the next code, up to %s, and try again.", totpPeriod)
		}
		c.LastCounter = counter
		c.Failures = 0
		c.LastUsedTime = now
		return nil
	}
	c.Failures++
	if c.Failures >= maxFailures {
		c.Failures = 0
		c.LockedUntil = now.Add(lockout)
	}
	return keyturn.Errorf(keyturn.ErrAccessDenied, "The authenticator code is wrong. Check the clock of the device and try the current code.")
}

// EnrollEmailOTP e-mails a code to the user's address, to prove that the
// user receives mail there. ConfirmEmailOTP completes the enrolment. A user
// who has a factor already proves it with a code from that factor.
func (e *Engine) EnrollEmailOTP(ctx context.Context, v Voter, proof Proof) error {
	if err := e.proveExistingFactor(ctx, v, proof); err != nil {
		return err
	}
	return e.sendEmailCode(ctx, v, enrollEmailPurpose, "Confirm your Keyturn e-mail codes",
		"Enter this code to start receiving Keyturn one-time codes by e-mail:")
}

// ConfirmEmailOTP completes an e-mail factor enrolment with the e-mailed
// code.
func (e *Engine) ConfirmEmailOTP(ctx context.Context, v Voter, code string) error {
	return e.checkAndStore(ctx, func(tx keyturn.Tx) (error, error) {
		u, creds, err := voterCredentials(ctx, tx, v)
		if err != nil {
			return nil, err
		}
		checkErr, err := checkEmailCode(ctx, tx, u, enrollEmailPurpose, code)
		if err != nil || checkErr != nil {
			return checkErr, err
		}
		for _, c := range creds {
			if c.Kind == keyturn.CredentialEmailOTP {
				return nil, nil
			}
		}
		return nil, tx.CreateCredential(ctx, &keyturn.Credential{
			ID: e.newUUID(), UserID: u.ID, AccountID: u.AccountID, Region: u.Region,
			Kind: keyturn.CredentialEmailOTP, Label: u.Email, CreationTime: e.Now(), Confirmed: true,
		})
	})
}

// RequestVoteCode e-mails the user a one-time code for a vote in the
// session.
func (e *Engine) RequestVoteCode(ctx context.Context, v Voter, sessionArn string) error {
	s, err := e.GetApproverSession(ctx, v, sessionArn)
	if err != nil {
		return err
	}
	if s.Approver(v.UserID) == nil {
		return keyturn.Errorf(keyturn.ErrAccessDenied, "User %s is not an approver in session %s.", v.UserID, sessionArn)
	}
	err = e.store.View(ctx, func(tx keyturn.Tx) error {
		methods, err := enrolledMethods(ctx, tx, v.AccountID, v.Region, v.UserID)
		if err != nil {
			return err
		}
		if !slices.Contains(methods, keyturn.MFAEmailOTP) {
			return keyturn.Errorf(keyturn.ErrConflict, "User %s has not enrolled e-mail codes. Enrol them first.", v.UserID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return e.sendEmailCode(ctx, v, votePurpose(sessionArn), "Your Keyturn vote code",
		fmt.Sprintf("Enter this code to vote in session %s (%s):", sessionArn, s.ActionName))
}

// sendEmailCode creates a one-time code for the purpose and e-mails it.
func (e *Engine) sendEmailCode(ctx context.Context, v Voter, purpose, subject, intro string) error {
	if e.cfg.EmailSender == nil {
		return keyturn.Errorf(keyturn.ErrConflict, "This server has no SMTP server configured (--smtp-addr), so it cannot send e-mail codes.")
	}
	code := e.numericCode(6)
	now := realNow()
	var email string
	err := e.store.Update(ctx, func(tx keyturn.Tx) error {
		u, _, err := voterCredentials(ctx, tx, v)
		if err != nil {
			return err
		}
		if u.Email == "" {
			return keyturn.Errorf(keyturn.ErrConflict, "User %s has no e-mail address. An administrator must set one.", u.ID)
		}
		email = u.Email
		last, err := tx.LatestOneTimeCode(ctx, u.ID, purpose)
		if err == nil && now.Sub(last.CreatedAt) < emailCodeInterval {
			return keyturn.Errorf(keyturn.ErrThrottled, "A code was sent less than %s ago. Wait before you ask for another.", emailCodeInterval)
		}
		if err != nil && !isNotFound(err) {
			return err
		}
		return tx.CreateOneTimeCode(ctx, &keyturn.OneTimeCode{
			ID: e.newUUID(), UserID: u.ID, AccountID: u.AccountID, Region: u.Region,
			Purpose: purpose, Hash: hashSecret(code), ExpiresAt: now.Add(emailCodeTTL), CreatedAt: now,
		})
	})
	if err != nil {
		return err
	}
	body := fmt.Sprintf("%s\n\n    %s\n\nThe code expires in %d minutes. If you did not ask for it, tell your Keyturn administrator.\n",
		intro, code, int(emailCodeTTL/time.Minute))
	if err := e.cfg.EmailSender.SendEmail(ctx, email, subject, body); err != nil {
		e.log.ErrorContext(ctx, "sending e-mail code failed", "user_id", v.UserID, "err", err)
		return keyturn.Errorf(keyturn.ErrUnavailable,
			"The code could not be e-mailed: %v. If this persists, the server's SMTP settings (--smtp-addr, --smtp-tls) need a fix by its operator.", err)
	}
	e.log.InfoContext(ctx, "e-mail code sent", "user_id", v.UserID, "purpose", purpose)
	return nil
}

// numericCode returns a random decimal code of n digits.
func (e *Engine) numericCode(n int) string {
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
	// 8 random bytes reduced modulo 10^6 are uniform to within 1e-13.
	v := new(big.Int).SetBytes(e.randomBytes(8))
	return fmt.Sprintf("%0*d", n, v.Mod(v, limit))
}

// checkEmailCode checks a code for the purpose against the user's newest
// e-mailed code, and spends it when right or after too many wrong tries.
func checkEmailCode(ctx context.Context, tx keyturn.Tx, u *keyturn.User, purpose, code string) (checkErr, err error) {
	wrong := keyturn.Errorf(keyturn.ErrAccessDenied, "The e-mail code is wrong, expired or already used. Ask for a new code.")
	c, err := tx.LatestOneTimeCode(ctx, u.ID, purpose)
	if isNotFound(err) {
		return wrong, nil
	}
	if err != nil {
		return nil, err
	}
	if c.Used || !realNow().Before(c.ExpiresAt) {
		return wrong, nil
	}
	if subtle.ConstantTimeCompare([]byte(c.Hash), []byte(hashSecret(code))) == 1 {
		c.Used = true
		return nil, tx.UpdateOneTimeCode(ctx, c)
	}
	c.Attempts++
	if c.Attempts >= maxFailures {
		c.Used = true
	}
	return wrong, tx.UpdateOneTimeCode(ctx, c)
}

// verifyFactor checks the second factor of a vote and returns the method
// that passed. A failed check is stored before the error returns.
func (e *Engine) verifyFactor(ctx context.Context, u *keyturn.User, purpose string, p Proof) (string, error) {
	if p.Method == "" || p.Code == "" {
		return "", keyturn.Errorf(keyturn.ErrAccessDenied,
			"This session requires approver verification: vote with a code from your authenticator app (TOTP) or an e-mailed code (EMAIL_OTP).")
	}
	v := Voter{AccountID: u.AccountID, Region: u.Region, UserID: u.ID}
	switch p.Method {
	case keyturn.MFATOTP:
		return p.Method, e.checkAndStore(ctx, func(tx keyturn.Tx) (error, error) {
			_, creds, err := voterCredentials(ctx, tx, v)
			if err != nil {
				return nil, err
			}
			for _, c := range creds {
				if c.Kind == keyturn.CredentialTOTP && c.Confirmed {
					checkErr := checkTOTP(c, p.Code, realNow())
					return checkErr, tx.UpdateCredential(ctx, c)
				}
			}
			return keyturn.Errorf(keyturn.ErrAccessDenied, "User %s has no authenticator app enrolled.", u.ID), nil
		})
	case keyturn.MFAEmailOTP:
		return p.Method, e.checkAndStore(ctx, func(tx keyturn.Tx) (error, error) {
			return checkEmailCode(ctx, tx, u, purpose, p.Code)
		})
	default:
		return "", keyturn.Errorf(keyturn.ErrInvalid, "MFA method %q is invalid: use TOTP or EMAIL_OTP.", p.Method)
	}
}

// Factor is an enrolled second factor, as an approver sees it.
type Factor struct {
	Method       string
	Label        string
	Confirmed    bool
	CreationTime time.Time
	LastUsedTime time.Time
}

// ListFactors returns the user's second factors.
func (e *Engine) ListFactors(ctx context.Context, v Voter) ([]Factor, error) {
	var out []Factor
	err := e.store.View(ctx, func(tx keyturn.Tx) error {
		_, creds, err := voterCredentials(ctx, tx, v)
		if err != nil {
			return err
		}
		for _, c := range creds {
			if c.Kind == keyturn.CredentialTOTP || c.Kind == keyturn.CredentialEmailOTP {
				out = append(out, Factor{Method: c.Kind, Label: c.Label, Confirmed: c.Confirmed, CreationTime: c.CreationTime, LastUsedTime: c.LastUsedTime})
			}
		}
		return nil
	})
	return out, err
}

// RemoveFactor deletes the user's factor of the method, once the user has
// proved a factor with a code. Teams see the change as OUT_OF_SYNC until
// they synchronise MFA devices.
func (e *Engine) RemoveFactor(ctx context.Context, v Voter, method string, proof Proof) error {
	if err := e.proveExistingFactor(ctx, v, proof); err != nil {
		return err
	}
	return e.store.Update(ctx, func(tx keyturn.Tx) error {
		_, creds, err := voterCredentials(ctx, tx, v)
		if err != nil {
			return err
		}
		removed := false
		for _, c := range creds {
			if c.Kind == method && (method == keyturn.CredentialTOTP || method == keyturn.CredentialEmailOTP) {
				if err := tx.DeleteCredential(ctx, c.ID); err != nil {
					return err
				}
				removed = true
			}
		}
		if !removed {
			return keyturn.Errorf(keyturn.ErrNotFound, "User %s has no %s factor.", v.UserID, method)
		}
		return nil
	})
}

// manageFactorsPurpose is the purpose of e-mailed codes that prove a
// factor before factors change.
const manageFactorsPurpose = "manage-factors"

// proveExistingFactor checks, for a user who has a confirmed factor, a code
// from one of the user's factors. Without this, an approver token alone
// could replace the factors that protect the user's votes, so that a stolen
// token would be enough to vote where verification is required. Delegated
// actions of a development server need no code.
func (e *Engine) proveExistingFactor(ctx context.Context, v Voter, proof Proof) error {
	if v.Delegated {
		return nil
	}
	var user *keyturn.User
	var methods []string
	err := e.store.View(ctx, func(tx keyturn.Tx) error {
		var err error
		if user, _, err = voterCredentials(ctx, tx, v); err != nil {
			return err
		}
		methods, err = enrolledMethods(ctx, tx, v.AccountID, v.Region, v.UserID)
		return err
	})
	if err != nil || len(methods) == 0 {
		return err
	}
	if proof.Method == "" || proof.Code == "" {
		return keyturn.Errorf(keyturn.ErrAccessDenied,
			"Changing your factors needs a code from a factor you have (%s): give a code from your authenticator app (TOTP) or an e-mailed code (EMAIL_OTP). If you lost them, ask an administrator to reset your factors.",
			strings.Join(methods, ", "))
	}
	_, err = e.verifyFactor(ctx, user, manageFactorsPurpose, proof)
	return err
}

// RequestFactorCode e-mails the user a one-time code that proves the
// e-mail factor before the user's factors change.
func (e *Engine) RequestFactorCode(ctx context.Context, v Voter) error {
	err := e.store.View(ctx, func(tx keyturn.Tx) error {
		methods, err := enrolledMethods(ctx, tx, v.AccountID, v.Region, v.UserID)
		if err != nil {
			return err
		}
		if !slices.Contains(methods, keyturn.MFAEmailOTP) {
			return keyturn.Errorf(keyturn.ErrConflict, "User %s has not enrolled e-mail codes, so no code can be e-mailed.", v.UserID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return e.sendEmailCode(ctx, v, manageFactorsPurpose, "Your Keyturn code to change your factors",
		"Enter this code to add or remove a second factor of your Keyturn approver account:")
}

func voterCredentials(ctx context.Context, tx keyturn.Tx, v Voter) (*keyturn.User, []*keyturn.Credential, error) {
	u, err := tx.GetUser(ctx, v.AccountID, v.Region, v.UserID)
	if err != nil {
		return nil, nil, err
	}
	if u.Status != keyturn.UserEnabled {
		return nil, nil, keyturn.Errorf(keyturn.ErrAccessDenied, "User %s is disabled.", u.ID)
	}
	creds, err := tx.ListCredentials(ctx, u.AccountID, u.Region, u.ID)
	return u, creds, err
}
