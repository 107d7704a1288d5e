package engine

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/keyturn/keyturn"
)

// Approvers are identity-store users, not AWS principals, so they do not
// sign requests with AWS credentials. An administrator issues a user a
// one-time enrolment code, delivered by e-mail when the server can send
// it; the user exchanges the code for an API token of their own. Only
// SHA-256 hashes of codes and tokens are stored, so neither the database
// nor its backups can be used to act as an approver, and an administrator
// who did not see the code cannot either.

const (
	tokenPrefix      = "ktat_" // Keyturn approver token
	enrollmentPrefix = "ktec_" // Keyturn enrolment code
	// EnrollmentTTL is how long an enrolment code can be used.
	EnrollmentTTL = 24 * time.Hour
)

// Voter is an identity-store user acting as an approver.
type Voter struct {
	AccountID string
	Region    string
	UserID    string
	// Delegated marks an action that a development-mode administrator or
	// automatic rule takes on the user's behalf. A delegated vote needs no
	// second factor. Production servers never set it.
	Delegated bool
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Enrollment is an issued enrolment code.
type Enrollment struct {
	User      *keyturn.User
	Code      string // empty when the code went out by e-mail only
	ExpiresAt time.Time
	Emailed   bool
}

// IssueEnrollment creates a one-time enrolment code for a user and revokes
// the user's earlier unused codes. With byEmail, the code is sent to the
// user's e-mail address and not returned, so that the administrator never
// sees it.
func (e *Engine) IssueEnrollment(ctx context.Context, c Caller, idOrName string, byEmail bool) (*Enrollment, error) {
	code := enrollmentPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(e.randomBytes(20)))
	now := e.Now()
	out := &Enrollment{ExpiresAt: now.Add(EnrollmentTTL)}
	err := e.store.Update(ctx, func(tx keyturn.Tx) error {
		u, err := findUser(ctx, tx, c, idOrName)
		if err != nil {
			return err
		}
		if byEmail && (u.Email == "" || e.cfg.EmailSender == nil) {
			return keyturn.Errorf(keyturn.ErrInvalid,
				"Cannot e-mail an enrolment code to user %s: the user has no e-mail address or the server has no SMTP server configured.", u.ID)
		}
		creds, err := tx.ListCredentials(ctx, c.AccountID, c.Region, u.ID)
		if err != nil {
			return err
		}
		for _, cr := range creds {
			if cr.Kind == keyturn.CredentialEnrollment {
				if err := tx.DeleteCredential(ctx, cr.ID); err != nil {
					return err
				}
			}
		}
		out.User = u
		return tx.CreateCredential(ctx, &keyturn.Credential{
			ID: e.newUUID(), UserID: u.ID, AccountID: u.AccountID, Region: u.Region,
			Kind: keyturn.CredentialEnrollment, Hash: hashSecret(code),
			CreationTime: now, ExpiresAt: out.ExpiresAt, Confirmed: true,
		})
	})
	if err != nil {
		return nil, err
	}
	if byEmail {
		body := fmt.Sprintf("Your Keyturn approver enrolment code is:\n\n    %s\n\nRun `keyturn approver enroll --code %s` to get your approver token. The code expires at %s.\n",
			code, code, out.ExpiresAt.Format(time.RFC1123))
		if err := e.cfg.EmailSender.SendEmail(ctx, out.User.Email, "Your Keyturn approver enrolment code", body); err != nil {
			return nil, keyturn.Errorf(keyturn.ErrUnavailable, "The enrolment code could not be e-mailed to %s: %v. Try again later.", out.User.Email, err)
		}
		out.Emailed = true
	} else {
		out.Code = code
	}
	e.log.InfoContext(ctx, "enrolment code issued", "account", c.AccountID, "user_id", out.User.ID, "emailed", byEmail)
	return out, nil
}

// Enroll exchanges an enrolment code for a new approver token. The code is
// single-use. The token is returned once and never stored.
func (e *Engine) Enroll(ctx context.Context, code, label string) (string, *keyturn.User, error) {
	invalid := keyturn.Errorf(keyturn.ErrAccessDenied, "The enrolment code is invalid, expired or already used. Ask an administrator for a new one.")
	if !strings.HasPrefix(code, enrollmentPrefix) {
		return "", nil, invalid
	}
	if len(label) > 100 {
		return "", nil, keyturn.Errorf(keyturn.ErrInvalid, "Label must be at most 100 characters.")
	}
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(e.randomBytes(32))
	now := e.Now()
	var user *keyturn.User
	err := e.store.Update(ctx, func(tx keyturn.Tx) error {
		cr, err := tx.GetCredentialByHash(ctx, keyturn.CredentialEnrollment, hashSecret(code))
		if isNotFound(err) {
			return invalid
		}
		if err != nil {
			return err
		}
		if !cr.ExpiresAt.IsZero() && !now.Before(cr.ExpiresAt) {
			return invalid
		}
		user, err = tx.GetUser(ctx, cr.AccountID, cr.Region, cr.UserID)
		if err != nil {
			return err
		}
		if user.Status != keyturn.UserEnabled {
			return keyturn.Errorf(keyturn.ErrAccessDenied, "User %s is disabled.", user.ID)
		}
		if err := tx.DeleteCredential(ctx, cr.ID); err != nil {
			return err
		}
		return tx.CreateCredential(ctx, &keyturn.Credential{
			ID: e.newUUID(), UserID: user.ID, AccountID: user.AccountID, Region: user.Region,
			Kind: keyturn.CredentialToken, Hash: hashSecret(token), Label: label,
			CreationTime: now, Confirmed: true,
		})
	})
	if err != nil {
		return "", nil, err
	}
	e.log.InfoContext(ctx, "approver enrolled", "account", user.AccountID, "user_id", user.ID)
	return token, user, nil
}

// Authenticate returns the approver that owns an API token.
func (e *Engine) Authenticate(ctx context.Context, token string) (Voter, *keyturn.User, error) {
	invalid := keyturn.Errorf(keyturn.ErrAccessDenied, "The approver token is invalid or revoked. Enrol again with a new enrolment code.")
	if !strings.HasPrefix(token, tokenPrefix) {
		return Voter{}, nil, invalid
	}
	var user *keyturn.User
	err := e.store.View(ctx, func(tx keyturn.Tx) error {
		cr, err := tx.GetCredentialByHash(ctx, keyturn.CredentialToken, hashSecret(token))
		if isNotFound(err) {
			return invalid
		}
		if err != nil {
			return err
		}
		user, err = tx.GetUser(ctx, cr.AccountID, cr.Region, cr.UserID)
		if isNotFound(err) {
			return invalid
		}
		return err
	})
	if err != nil {
		return Voter{}, nil, err
	}
	if user.Status != keyturn.UserEnabled {
		return Voter{}, nil, keyturn.Errorf(keyturn.ErrAccessDenied, "User %s is disabled.", user.ID)
	}
	return Voter{AccountID: user.AccountID, Region: user.Region, UserID: user.ID}, user, nil
}

// RevokeTokens deletes every API token and enrolment code of a user, so
// that the user must enrol again.
func (e *Engine) RevokeTokens(ctx context.Context, c Caller, idOrName string) (int, error) {
	revoked := 0
	err := e.store.Update(ctx, func(tx keyturn.Tx) error {
		u, err := findUser(ctx, tx, c, idOrName)
		if err != nil {
			return err
		}
		creds, err := tx.ListCredentials(ctx, c.AccountID, c.Region, u.ID)
		if err != nil {
			return err
		}
		for _, cr := range creds {
			if cr.Kind == keyturn.CredentialToken || cr.Kind == keyturn.CredentialEnrollment {
				if err := tx.DeleteCredential(ctx, cr.ID); err != nil {
					return err
				}
				revoked++
			}
		}
		return nil
	})
	return revoked, err
}

// ActAs returns a delegated voter for a user of the caller's account, for
// development-mode administrators and automatic rules.
func (e *Engine) ActAs(ctx context.Context, c Caller, idOrName string) (Voter, error) {
	u, err := e.GetUser(ctx, c, idOrName)
	if err != nil {
		return Voter{}, err
	}
	return Voter{AccountID: u.AccountID, Region: u.Region, UserID: u.ID, Delegated: true}, nil
}
