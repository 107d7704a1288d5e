package ctlapi

import (
	"context"
	"strconv"
	"time"

	"github.com/keyturn/keyturn"
	"github.com/keyturn/keyturn/internal/engine"
	"github.com/keyturn/keyturn/internal/mpaapi"
	"github.com/keyturn/keyturn/internal/wire"
)

// User is a user of the identity store, as the API returns it.
type User struct {
	UserID            string    `json:"UserId"`
	UserName          string    `json:"UserName"`
	DisplayName       string    `json:"DisplayName,omitempty"`
	Email             string    `json:"Email,omitempty"`
	Status            string    `json:"Status"`
	IdentitySourceArn string    `json:"IdentitySourceArn"`
	CreationTime      wire.Time `json:"CreationTime"`
}

func userOf(u *keyturn.User) User {
	return User{
		UserID:            u.ID,
		UserName:          u.UserName,
		DisplayName:       u.DisplayName,
		Email:             u.Email,
		Status:            string(u.Status),
		IdentitySourceArn: keyturn.IdentitySourceArn(u.Region, u.AccountID),
		CreationTime:      wire.TimeOf(u.CreationTime),
	}
}

func (h *Handler) createUser(ctx context.Context, c engine.Caller, r *request) (any, error) {
	var in struct {
		UserName    string
		DisplayName string
		Email       string
	}
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	u, err := h.engine.CreateUser(ctx, c, engine.CreateUserInput{UserName: in.UserName, DisplayName: in.DisplayName, Email: in.Email})
	if err != nil {
		return nil, err
	}
	return userOf(u), nil
}

// page reads MaxResults and NextToken from the query string.
func page(r *request) (engine.Page, error) {
	p := engine.Page{NextToken: r.URL.Query().Get("NextToken")}
	if v := r.URL.Query().Get("MaxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return p, keyturn.Errorf(keyturn.ErrInvalid, "MaxResults %q is invalid: it must be a number from 1 to 100.", v)
		}
		p.MaxResults = n
	}
	return p, nil
}

func (h *Handler) listUsers(ctx context.Context, c engine.Caller, r *request) (any, error) {
	p, err := page(r)
	if err != nil {
		return nil, err
	}
	users, next, err := h.engine.ListUsers(ctx, c, p)
	if err != nil {
		return nil, err
	}
	out := struct {
		Users     []User
		NextToken string `json:",omitempty"`
	}{Users: []User{}, NextToken: next}
	for _, u := range users {
		out.Users = append(out.Users, userOf(u))
	}
	return out, nil
}

func (h *Handler) getUser(ctx context.Context, c engine.Caller, r *request) (any, error) {
	u, err := h.engine.GetUser(ctx, c, r.PathValue("user"))
	if err != nil {
		return nil, err
	}
	return userOf(u), nil
}

func (h *Handler) updateUser(ctx context.Context, c engine.Caller, r *request) (any, error) {
	var in struct {
		DisplayName *string
		Email       *string
		Enabled     *bool
	}
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	u, err := h.engine.UpdateUser(ctx, c, r.PathValue("user"), engine.UpdateUserInput{DisplayName: in.DisplayName, Email: in.Email, Enabled: in.Enabled})
	if err != nil {
		return nil, err
	}
	return userOf(u), nil
}

func (h *Handler) deleteUser(ctx context.Context, c engine.Caller, r *request) (any, error) {
	return struct{}{}, h.engine.DeleteUser(ctx, c, r.PathValue("user"))
}

func (h *Handler) issueEnrollment(ctx context.Context, c engine.Caller, r *request) (any, error) {
	var in struct {
		// Delivery is RESPONSE (the default) or EMAIL.
		Delivery string
	}
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	var byEmail bool
	switch in.Delivery {
	case "", "RESPONSE":
	case "EMAIL":
		byEmail = true
	default:
		return nil, keyturn.Errorf(keyturn.ErrInvalid, "Delivery %q is invalid: use RESPONSE or EMAIL.", in.Delivery)
	}
	enr, err := h.engine.IssueEnrollment(ctx, c, r.PathValue("user"), byEmail)
	if err != nil {
		return nil, err
	}
	return struct {
		UserID         string `json:"UserId"`
		EnrollmentCode string `json:",omitempty"`
		Emailed        bool
		ExpirationTime wire.Time
	}{enr.User.ID, enr.Code, enr.Emailed, wire.TimeOf(enr.ExpiresAt)}, nil
}

func (h *Handler) revokeTokens(ctx context.Context, c engine.Caller, r *request) (any, error) {
	n, err := h.engine.RevokeTokens(ctx, c, r.PathValue("user"))
	if err != nil {
		return nil, err
	}
	return struct{ Revoked int }{n}, nil
}

// maxDurationMinutes is ten years in minutes. It keeps the conversion to a
// time.Duration from overflowing; the engine applies the server's own,
// lower, maximum.
const maxDurationMinutes = 10 * 365 * 24 * 60

func (h *Handler) resetFactors(ctx context.Context, c engine.Caller, r *request) (any, error) {
	n, err := h.engine.ResetFactors(ctx, c, r.PathValue("user"))
	if err != nil {
		return nil, err
	}
	return struct{ Removed int }{n}, nil
}

func (h *Handler) startSession(ctx context.Context, c engine.Caller, r *request) (any, error) {
	var in struct {
		ApprovalTeamArn                string
		ActionName                     string
		ProtectedResourceArn           string
		Description                    string
		Metadata                       map[string]string
		RequesterComment               string
		DurationMinutes                int
		AdditionalSecurityRequirements []string
		ClientToken                    string
	}
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	if in.ApprovalTeamArn == "" {
		return nil, keyturn.Errorf(keyturn.ErrInvalid, "ApprovalTeamArn is missing: name the team that approves the operation.")
	}
	if in.DurationMinutes < 0 || in.DurationMinutes > maxDurationMinutes {
		return nil, keyturn.Errorf(keyturn.ErrInvalid,
			"DurationMinutes %d is out of range: it must be between 1 and the server's maximum session duration, in minutes.", in.DurationMinutes)
	}
	s, err := h.engine.StartSession(ctx, c, engine.StartSessionInput{
		TeamArn:                        in.ApprovalTeamArn,
		ActionName:                     in.ActionName,
		ProtectedResourceArn:           in.ProtectedResourceArn,
		Description:                    in.Description,
		Metadata:                       in.Metadata,
		RequesterComment:               in.RequesterComment,
		Duration:                       time.Duration(in.DurationMinutes) * time.Minute,
		AdditionalSecurityRequirements: in.AdditionalSecurityRequirements,
		ClientToken:                    in.ClientToken,
	})
	if err != nil {
		return nil, err
	}
	return mpaapi.SessionOutput(s), nil
}

func (h *Handler) getSession(ctx context.Context, c engine.Caller, r *request) (any, error) {
	s, err := h.engine.GetSession(ctx, c, r.PathValue("arn"))
	if err != nil {
		return nil, err
	}
	return mpaapi.SessionOutput(s), nil
}

func (h *Handler) reportExecution(ctx context.Context, c engine.Caller, r *request) (any, error) {
	var in struct{ ExecutionStatus string }
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	s, err := h.engine.ReportExecution(ctx, c, r.PathValue("arn"), keyturn.ExecutionStatus(in.ExecutionStatus))
	if err != nil {
		return nil, err
	}
	return mpaapi.SessionOutput(s), nil
}

func (h *Handler) putPolicy(ctx context.Context, c engine.Caller, r *request) (any, error) {
	var in struct {
		ServicePrincipal string
		Name             string
		Actions          []string
		Deprecated       bool
	}
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	p, err := h.engine.PutPolicy(ctx, c, engine.PutPolicyInput{ServicePrincipal: in.ServicePrincipal, Name: in.Name, Actions: in.Actions, Deprecated: in.Deprecated})
	if err != nil {
		return nil, err
	}
	return struct {
		Arn              string
		PolicyArn        string
		VersionId        int
		Name             string
		ServicePrincipal string
		Actions          []string
		Status           string
	}{p.Arn(), p.PolicyArn, p.VersionID, p.Name, p.ServicePrincipal, p.Actions, p.Status}, nil
}
