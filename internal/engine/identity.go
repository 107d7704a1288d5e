package engine

import (
	"context"
	"net/mail"
	"regexp"
	"unicode"
	"unicode/utf8"

	"github.com/keyturn/keyturn"
)

// CreateIdentitySourceInput is the input of CreateIdentitySource.
type CreateIdentitySourceInput struct {
	InstanceArn  string
	SourceRegion string
	ClientToken  string
	Tags         map[string]string
}

// CreateIdentitySource creates the account's identity source in the
// caller's region. An account has one: a second is refused with
// ErrQuotaExceeded, as AWS counts identity sources against a quota. A replay
// with the same client token returns the first result.
func (e *Engine) CreateIdentitySource(ctx context.Context, c Caller, in CreateIdentitySourceInput) (*keyturn.IdentitySource, error) {
	if err := e.checkTags(in.Tags); err != nil {
		return nil, err
	}
	var out *keyturn.IdentitySource
	err := e.store.Update(ctx, func(tx keyturn.Tx) error {
		replayed, err := e.replay(ctx, tx, c, "CreateIdentitySource", in.ClientToken, in, keyturn.ErrInvalid, &out)
		if err != nil || replayed {
			return err
		}
		now := e.Now()
		src := &keyturn.IdentitySource{
			Arn:          keyturn.IdentitySourceArn(c.Region, c.AccountID),
			AccountID:    c.AccountID,
			Region:       c.Region,
			InstanceArn:  in.InstanceArn,
			SourceRegion: in.SourceRegion,
			PortalURL:    e.cfg.PortalURL,
			CreationTime: now,
			Status:       keyturn.IdentitySourceActive,
		}
		if err := tx.CreateIdentitySource(ctx, src); err != nil {
			if keyturn.Code(err) == keyturn.ErrConflict {
				return keyturn.Errorf(keyturn.ErrQuotaExceeded,
					"Account %s already has an identity source in %s (%s). An account can have one identity source per region.",
					c.AccountID, c.Region, src.Arn)
			}
			return err
		}
		if len(in.Tags) > 0 {
			if err := tx.SetTags(ctx, src.Arn, in.Tags); err != nil {
				return err
			}
		}
		out = src
		return e.remember(ctx, tx, c, "CreateIdentitySource", in.ClientToken, in, src)
	})
	if err != nil {
		return nil, err
	}
	e.log.InfoContext(ctx, "identity source created", "arn", out.Arn)
	return out, nil
}

// GetIdentitySource returns the identity source with the ARN.
func (e *Engine) GetIdentitySource(ctx context.Context, c Caller, arn string) (*keyturn.IdentitySource, error) {
	if err := checkOwner(c, arn, "Identity source"); err != nil {
		return nil, err
	}
	var out *keyturn.IdentitySource
	err := e.store.View(ctx, func(tx keyturn.Tx) error {
		src, err := tx.GetIdentitySource(ctx, c.AccountID, c.Region)
		if err != nil {
			return orNotFound(err, "Identity source", arn)
		}
		if src.Arn != arn {
			return notFound("Identity source", arn)
		}
		src.PortalURL = e.cfg.PortalURL
		out = src
		return nil
	})
	return out, err
}

// ListIdentitySources returns the caller's identity sources. An account has
// at most one per region, so every list fits one page.
func (e *Engine) ListIdentitySources(ctx context.Context, c Caller, p Page) ([]*keyturn.IdentitySource, string, error) {
	bind := binding("ListIdentitySources", c.AccountID, c.Region)
	if _, err := e.decodeToken(ctx, bind, p.NextToken); err != nil {
		return nil, "", err
	}
	var out []*keyturn.IdentitySource
	err := e.store.View(ctx, func(tx keyturn.Tx) error {
		var err error
		out, err = tx.ListIdentitySources(ctx, c.AccountID, c.Region)
		return err
	})
	for _, src := range out {
		// The portal's address is the server's now, which may differ from
		// the one it had when the source was created.
		src.PortalURL = e.cfg.PortalURL
	}
	if p.NextToken != "" {
		// A token is only ever issued after a full page, and this list
		// never fills one, so any valid token continues past the end.
		out = nil
	}
	return out, "", err
}

// DeleteIdentitySource deletes the identity source. It refuses with
// ErrConflict while a team's approvers come from it. Deleting a source that
// does not exist succeeds, because the operation is idempotent and its model
// lists no ResourceNotFoundException. The identity store's users are kept,
// and come back with a new identity source, whose ARN is the same.
func (e *Engine) DeleteIdentitySource(ctx context.Context, c Caller, arn string) error {
	if r, ok := keyturn.ParseResourceARN(arn); !ok || r.Type != "identity-source" {
		return keyturn.Errorf(keyturn.ErrInvalid, "IdentitySourceArn %q is not an identity source ARN of the form %s.",
			arn, keyturn.IdentitySourceArn("<region>", "<account>"))
	}
	if err := checkOwner(c, arn, "Identity source"); err != nil {
		return nil // another account's source: nothing of the caller's to delete
	}
	return e.store.Update(ctx, func(tx keyturn.Tx) error {
		src, err := tx.GetIdentitySource(ctx, c.AccountID, c.Region)
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		n, err := tx.CountTeamsUsingIdentitySource(ctx, src.Arn)
		if err != nil {
			return err
		}
		if n > 0 {
			return keyturn.Errorf(keyturn.ErrConflict,
				"Identity source %s has approvers in %d approval team(s). Delete those teams before you delete the identity source.", arn, n)
		}
		if err := tx.SetTags(ctx, src.Arn, nil); err != nil {
			return err
		}
		return tx.DeleteIdentitySource(ctx, c.AccountID, c.Region)
	})
}

// activeIdentitySource returns the caller's identity source, or ErrConflict
// when there is none or it is not ACTIVE: teams need one to draw approvers
// from.
func activeIdentitySource(ctx context.Context, tx keyturn.Tx, c Caller) (*keyturn.IdentitySource, error) {
	src, err := tx.GetIdentitySource(ctx, c.AccountID, c.Region)
	if isNotFound(err) {
		return nil, keyturn.Errorf(keyturn.ErrConflict,
			"Account %s has no identity source in %s. Create one with CreateIdentitySource first.", c.AccountID, c.Region)
	}
	if err != nil {
		return nil, err
	}
	if src.Status != keyturn.IdentitySourceActive {
		return nil, keyturn.Errorf(keyturn.ErrConflict, "Identity source %s is %s, not ACTIVE.", src.Arn, src.Status)
	}
	return src, nil
}

// CreateUserInput is the input of CreateUser.
type CreateUserInput struct {
	UserName    string
	DisplayName string
	Email       string
}

// CreateUser adds a user to the identity store behind the caller's identity
// source. User names are unique within the store.
func (e *Engine) CreateUser(ctx context.Context, c Caller, in CreateUserInput) (*keyturn.User, error) {
	if err := RequireIdentityAdmin(c); err != nil {
		return nil, err
	}
	if err := validateUser(in.UserName, in.DisplayName, in.Email); err != nil {
		return nil, err
	}
	var out *keyturn.User
	err := e.store.Update(ctx, func(tx keyturn.Tx) error {
		if _, err := activeIdentitySource(ctx, tx, c); err != nil {
			return err
		}
		u := &keyturn.User{
			ID:           e.newUUID(),
			AccountID:    c.AccountID,
			Region:       c.Region,
			UserName:     in.UserName,
			DisplayName:  in.DisplayName,
			Email:        in.Email,
			Status:       keyturn.UserEnabled,
			CreationTime: e.Now(),
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			if keyturn.Code(err) == keyturn.ErrConflict {
				return keyturn.Errorf(keyturn.ErrConflict, "A user named %q already exists.", in.UserName)
			}
			return err
		}
		out = u
		return nil
	})
	if err == nil {
		e.log.InfoContext(ctx, "user created", "account", c.AccountID, "user_id", out.ID)
	}
	return out, err
}

// uuidRE matches the form of a UUID, which user ids have. A user name of
// that form could equal another user's id, and findUser looks ids up first.
var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// validateUser checks a new user's fields.
func validateUser(userName, displayName, email string) error {
	switch {
	case userName == "" || len(userName) > 128 || !validUserNameText(userName):
		return keyturn.Errorf(keyturn.ErrInvalid, "UserName %q is invalid: it must be 1 to 128 printable characters without spaces or slashes.", userName)
	case uuidRE.MatchString(userName):
		return keyturn.Errorf(keyturn.ErrInvalid,
			"UserName %q is invalid: it has the form of a user id (a UUID), so it could name another user. Choose a name that is not a UUID.", userName)
	}
	return validateProfile(displayName, email)
}

// validUserNameText reports whether every character of the name is
// printable and none is a space or a slash.
func validUserNameText(name string) bool {
	if !utf8.ValidString(name) {
		return false
	}
	for _, r := range name {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) || r == '/' {
			return false
		}
	}
	return true
}

// validateProfile checks the fields of a user that can change. The user
// name cannot, so UpdateUser keeps a user whose name predates a rule
// changeable.
func validateProfile(displayName, email string) error {
	if len(displayName) > 256 || !utf8.ValidString(displayName) {
		return keyturn.Errorf(keyturn.ErrInvalid, "DisplayName is invalid: it must be at most 256 characters of valid UTF-8.")
	}
	if r, found := controlCharacter(displayName); found {
		return keyturn.Errorf(keyturn.ErrInvalid, "DisplayName contains the control character %U, which is not allowed. Remove control characters such as tabs and line breaks.", r)
	}
	if email != "" {
		addr, err := mail.ParseAddress(email)
		if err != nil || addr.Address != email {
			return keyturn.Errorf(keyturn.ErrInvalid, "Email %q is not a valid e-mail address, such as alice@example.com.", email)
		}
	}
	return nil
}

// GetUser returns the user with the id, or the user name.
func (e *Engine) GetUser(ctx context.Context, c Caller, idOrName string) (*keyturn.User, error) {
	var out *keyturn.User
	err := e.store.View(ctx, func(tx keyturn.Tx) error {
		var err error
		out, err = findUser(ctx, tx, c, idOrName)
		return err
	})
	return out, err
}

func findUser(ctx context.Context, tx keyturn.Tx, c Caller, idOrName string) (*keyturn.User, error) {
	u, err := tx.GetUser(ctx, c.AccountID, c.Region, idOrName)
	if isNotFound(err) {
		u, err = tx.GetUserByName(ctx, c.AccountID, c.Region, idOrName)
	}
	if isNotFound(err) {
		return nil, keyturn.Errorf(keyturn.ErrNotFound, "User %q was not found in account %s.", idOrName, c.AccountID)
	}
	return u, err
}

// ListUsers returns the caller's users ordered by user name.
func (e *Engine) ListUsers(ctx context.Context, c Caller, p Page) ([]*keyturn.User, string, error) {
	bind := binding("ListUsers", c.AccountID, c.Region)
	after, err := e.decodeToken(ctx, bind, p.NextToken)
	if err != nil {
		return nil, "", err
	}
	var users []*keyturn.User
	err = e.store.View(ctx, func(tx keyturn.Tx) error {
		var err error
		users, err = tx.ListUsers(ctx, c.AccountID, c.Region, after, p.limit()+1)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return pageOf(ctx, e, bind, users, p.limit(), func(u *keyturn.User) keyturn.Cursor {
		return keyturn.Cursor{Key: u.UserName}
	})
}

// UpdateUserInput changes a user. Nil fields are left as they are.
type UpdateUserInput struct {
	DisplayName *string
	Email       *string
	Enabled     *bool
}

// UpdateUser changes a user's display name, e-mail address or status. A
// disabled user cannot authenticate, answer invitations or vote.
func (e *Engine) UpdateUser(ctx context.Context, c Caller, idOrName string, in UpdateUserInput) (*keyturn.User, error) {
	if err := RequireIdentityAdmin(c); err != nil {
		return nil, err
	}
	var out *keyturn.User
	err := e.store.Update(ctx, func(tx keyturn.Tx) error {
		u, err := findUser(ctx, tx, c, idOrName)
		if err != nil {
			return err
		}
		if in.DisplayName != nil {
			u.DisplayName = *in.DisplayName
		}
		if in.Email != nil {
			u.Email = *in.Email
		}
		if in.Enabled != nil {
			u.Status = keyturn.UserDisabled
			if *in.Enabled {
				u.Status = keyturn.UserEnabled
			}
		}
		if err := validateProfile(u.DisplayName, u.Email); err != nil {
			return err
		}
		out = u
		return tx.UpdateUser(ctx, u)
	})
	return out, err
}

// DeleteUser removes a user and the user's credentials. It refuses with
// ErrConflict while the user is an approver of a team.
func (e *Engine) DeleteUser(ctx context.Context, c Caller, idOrName string) error {
	if err := RequireIdentityAdmin(c); err != nil {
		return err
	}
	return e.store.Update(ctx, func(tx keyturn.Tx) error {
		u, err := findUser(ctx, tx, c, idOrName)
		if err != nil {
			return err
		}
		teams, err := teamsOfUser(ctx, tx, c.AccountID, c.Region, u.ID)
		if err != nil {
			return err
		}
		if len(teams) > 0 {
			return keyturn.Errorf(keyturn.ErrConflict,
				"User %s is an approver of approval team %s. Remove the user from every team before you delete it.", u.ID, teams[0].Arn)
		}
		creds, err := tx.ListCredentials(ctx, c.AccountID, c.Region, u.ID)
		if err != nil {
			return err
		}
		for _, cr := range creds {
			if err := tx.DeleteCredential(ctx, cr.ID); err != nil {
				return err
			}
		}
		return tx.DeleteUser(ctx, c.AccountID, c.Region, u.ID)
	})
}

// teamsOfUser returns the teams in which the user is an approver, in the
// applied configuration or a pending update.
func teamsOfUser(ctx context.Context, tx keyturn.Tx, account, region, userID string) ([]*keyturn.Team, error) {
	var out []*keyturn.Team
	var after keyturn.Cursor
	for {
		teams, err := tx.ListTeams(ctx, account, region, after, 100)
		if err != nil {
			return nil, err
		}
		for _, t := range teams {
			if t.ApproverByIdentity(userID) != nil || (t.PendingUpdate != nil && draftApprover(t.PendingUpdate, userID) != nil) {
				out = append(out, t)
			}
		}
		if len(teams) < 100 {
			return out, nil
		}
		last := teams[len(teams)-1]
		after = keyturn.Cursor{Time: last.CreationTime, Seq: last.Seq}
	}
}

func draftApprover(p *keyturn.PendingUpdate, identityID string) *keyturn.Approver {
	for i := range p.Approvers {
		if p.Approvers[i].IdentityID == identityID {
			return &p.Approvers[i]
		}
	}
	return nil
}

// pageOf trims a list read with limit+1 items to one page, and returns a
// token for the next page when the extra item shows that there is one.
func pageOf[T any](ctx context.Context, e *Engine, bind string, items []T, limit int, cursor func(T) keyturn.Cursor) ([]T, string, error) {
	if len(items) <= limit {
		return items, "", nil
	}
	items = items[:limit]
	token, err := e.encodeToken(ctx, bind, cursor(items[limit-1]))
	if err != nil {
		return nil, "", err
	}
	return items, token, nil
}
