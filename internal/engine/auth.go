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

// IssueEnrollment creates a one-time enrolment code for a user. It revokes
// the user's earlier codes and approver tokens, so that the user's own
// access stops working and the user notices when someone else enrols in
// their name. With byEmail, the code is sent to the user's e-mail address
// and not returned, so that the administrator never sees it; otherwise,
// when the server can send e-mail, the user is told that a code was issued.
func (e *Engine) IssueEnrollment(ctx context.Context, c Caller, idOrName string, byEmail bool) (*Enrollment, error) {
	if err := RequireIdentityAdmin(c); err != nil {
		return nil, err
	}
	code := enrollmentPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(e.randomBytes(20)))
	now := e.Now()
	out := &Enrollment{ExpiresAt: now.Add(EnrollmentTTL)}
	revoked := 0
	err := e.store.Update(ctx, func(tx keyturn.Tx) error {
		u, err := findUser(ctx, tx, c, idOrName)
		if err != nil {
			return err
		}
		switch {
		case byEmail && e.cfg.EmailSender == nil:
			return keyturn.Errorf(keyturn.ErrInvalid,
				"Cannot e-mail an enrolment code to user %s: this server has no SMTP server. Start it with --smtp-addr, or issue the code without e-mail.", idOrName)
		case byEmail && u.Email == "":
			return keyturn.Errorf(keyturn.ErrInvalid,
				"Cannot e-mail an enrolment code to user %s: the user has no e-mail address. Set one first.", idOrName)
		}
		creds, err := tx.ListCredentials(ctx, c.AccountID, c.Region, u.ID)
		if err != nil {
			return err
		}
		for _, cr := range creds {
			if cr.Kind == keyturn.CredentialEnrollment || cr.Kind == keyturn.CredentialToken {
				if err := tx.DeleteCredential(ctx, cr.ID); err != nil {
					return err
				}
				if cr.Kind == keyturn.CredentialToken {
					revoked++
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
	e.log.InfoContext(ctx, "enrolment code issued", "account", c.AccountID, "user_id", out.User.ID,
		"emailed", byEmail, "revoked_tokens", revoked, "issued_by", c.PrincipalArn)

	base := strings.TrimSuffix(e.cfg.PortalURL, "/portal/")
	if byEmail {
		body := fmt.Sprintf("Your Keyturn approver enrolment code is:\n\n    %s\n\n"+
			"Exchange it for your approver token with\n\n    keyturn approver enroll --endpoint-url %s --code %s\n\n"+
			"or sign in to the approval portal at %s with it. The code can be used once, until %s.\n",
			code, base, code, e.cfg.PortalURL, out.ExpiresAt.Format(time.RFC1123))
		if err := e.cfg.EmailSender.SendEmail(ctx, out.User.Email, "Your Keyturn approver enrolment code", body); err != nil {
			return nil, keyturn.Errorf(keyturn.ErrUnavailable,
				"The enrolment code could not be e-mailed to %s: %v. Check the server's SMTP settings (--smtp-addr, --smtp-tls), then issue a new code.", out.User.Email, err)
		}
		out.Emailed = true
		return out, nil
	}
	out.Code = code
	if e.cfg.EmailSender != nil && out.User.Email != "" {
		body := fmt.Sprintf("%s issued a new Keyturn approver enrolment code for your user %s, and your approver tokens stopped working.\n\n"+
			"If you did not ask for this, tell your security team at once: someone may be trying to vote in your name.\n",
			c.PrincipalArn, out.User.UserName)
		if err := e.cfg.EmailSender.SendEmail(ctx, out.User.Email, "A Keyturn enrolment code was issued for you", body); err != nil {
			e.log.ErrorContext(ctx, "notifying a user of an enrolment code failed", "user_id", out.User.ID, "err", err)
		}
	}
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
	if err := RequireIdentityAdmin(c); err != nil {
		return 0, err
	}
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

// ResetFactors deletes every second factor and approver token of a user,
// for a user who lost their authenticator or e-mail access. The user then
// enrols again with a new enrolment code and adds new factors.
func (e *Engine) ResetFactors(ctx context.Context, c Caller, idOrName string) (int, error) {
	if err := RequireIdentityAdmin(c); err != nil {
		return 0, err
	}
	removed := 0
	var userID string
	err := e.store.Update(ctx, func(tx keyturn.Tx) error {
		u, err := findUser(ctx, tx, c, idOrName)
		if err != nil {
			return err
		}
		userID = u.ID
		creds, err := tx.ListCredentials(ctx, c.AccountID, c.Region, u.ID)
		if err != nil {
			return err
		}
		for _, cr := range creds {
			switch cr.Kind {
			case keyturn.CredentialTOTP, keyturn.CredentialEmailOTP, keyturn.CredentialToken, keyturn.CredentialEnrollment:
				if err := tx.DeleteCredential(ctx, cr.ID); err != nil {
					return err
				}
				removed++
			}
		}
		return nil
	})
	if err == nil {
		e.log.InfoContext(ctx, "factors reset", "account", c.AccountID, "user_id", userID, "removed", removed, "reset_by", c.PrincipalArn)
	}
	return removed, err
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
