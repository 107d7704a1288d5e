package storetest

import (
	"time"

	"github.com/keyturn/keyturn"
)

// Accounts and regions of the fixtures. Records of accountB and regionB sit
// beside those of accountA in regionA, so that every lookup and list must
// tell them apart.
const (
	accountA = "111122223333"
	accountB = "444455556666"
	regionA  = "us-east-1"
	regionB  = "eu-west-1"
)

// base is the reference time of the fixtures. Its nanoseconds are not zero,
// so a store that rounds times to microseconds or seconds fails.
var base = time.Date(2025, 3, 14, 15, 9, 26, 535_897_932, time.UTC)

// at returns base moved by d.
func at(d time.Duration) time.Time {
	return base.Add(d)
}

func sourceArn(account, region string) string {
	return keyturn.IdentitySourceArn(region, account)
}

// newTeam returns an ACTIVE team with no deadline.
func newTeam(account, region, name string, created time.Time) *keyturn.Team {
	return &keyturn.Team{
		Arn:          keyturn.TeamArn(region, account, name),
		AccountID:    account,
		Region:       region,
		Name:         name,
		CreationTime: created,
		Status:       keyturn.TeamActive,
		MinApprovals: 1,
	}
}

// newSession returns a PENDING operation session of the team that expires
// a day after it starts.
func newSession(team *keyturn.Team, id string, started time.Time) *keyturn.Session {
	return &keyturn.Session{
		Arn:            keyturn.SessionArn(team.Region, team.AccountID, keyturn.TeamID(team.Arn), id),
		TeamArn:        team.Arn,
		TeamName:       team.Name,
		AccountID:      team.AccountID,
		Region:         team.Region,
		Kind:           keyturn.KindOperation,
		ActionName:     "deploy:Promote",
		MinApprovals:   1,
		InitiationTime: started,
		ExpirationTime: started.Add(24 * time.Hour),
		Status:         keyturn.SessionPending,
	}
}

func fullIdentitySource(account, region string) *keyturn.IdentitySource {
	return &keyturn.IdentitySource{
		Arn:           sourceArn(account, region),
		AccountID:     account,
		Region:        region,
		InstanceArn:   "arn:aws:sso:::instance/ssoins-7223ea5e27c5d4b1",
		SourceRegion:  "us-west-2",
		PortalURL:     "https://d-90670a1b2c.awsapps.com/start",
		CreationTime:  at(-48 * time.Hour),
		Status:        keyturn.IdentitySourceActive,
		StatusCode:    "OK",
		StatusMessage: "The identity source is ready.",
	}
}

func fullUser(account, region, id, name string) *keyturn.User {
	return &keyturn.User{
		ID:           id,
		AccountID:    account,
		Region:       region,
		UserName:     name,
		DisplayName:  "Ada \"The Countess\" Lovelace",
		Email:        name + "@example.com",
		Status:       keyturn.UserEnabled,
		CreationTime: at(-time.Hour),
	}
}

func fullCredential(account, region, userID, id, kind, hash string) *keyturn.Credential {
	return &keyturn.Credential{
		ID:           id,
		UserID:       userID,
		AccountID:    account,
		Region:       region,
		Kind:         kind,
		Hash:         hash,
		Secret:       "JBSWY3DPEHPK3PXP",
		Label:        "laptop <ü> & phone",
		CreationTime: at(-time.Hour),
		ExpiresAt:    at(90 * 24 * time.Hour),
		LastUsedTime: at(-time.Minute),
		Confirmed:    true,
		LastCounter:  58_012_345,
		Failures:     2,
		LockedUntil:  at(5 * time.Minute),
	}
}

func fullOneTimeCode(account, region, userID, id, purpose string, created time.Time) *keyturn.OneTimeCode {
	return &keyturn.OneTimeCode{
		ID:        id,
		UserID:    userID,
		AccountID: account,
		Region:    region,
		Purpose:   purpose,
		Hash:      "hash-" + id,
		ExpiresAt: created.Add(10 * time.Minute),
		Attempts:  1,
		Used:      true,
		CreatedAt: created,
	}
}

func fullApprover(id string) keyturn.Approver {
	return keyturn.Approver{
		ApproverID:                "approver-" + id,
		IdentityID:                "user-" + id,
		IdentitySourceArn:         sourceArn(accountA, regionA),
		Status:                    keyturn.IdentityAccepted,
		ResponseTime:              at(-3 * time.Hour),
		LastActivity:              keyturn.ActivityVoted,
		LastActivityTime:          at(-2 * time.Hour),
		PendingBaselineSessionArn: keyturn.SessionArn(regionA, accountA, "full", "baseline-"+id),
		SyncedMFAMethods:          []string{keyturn.MFAEmailOTP, keyturn.MFATOTP},
	}
}

// fullTeam returns a team with every field set, Seq aside, which the store
// assigns.
func fullTeam(account, region, name string) *keyturn.Team {
	return &keyturn.Team{
		Arn:           keyturn.TeamArn(region, account, name),
		AccountID:     account,
		Region:        region,
		Name:          name,
		CreationTime:  at(-24 * time.Hour),
		Status:        keyturn.TeamPending,
		StatusCode:    keyturn.TeamPendingActivation,
		StatusMessage: "Waiting for approvers to accept their invitations.",
		VersionID:     "version-1",
		Description:   "Production deployments: \"prod\" <eu> & <us>, ünïcödé",
		MinApprovals:  2,
		Approvers:     []keyturn.Approver{fullApprover("1"), fullApprover("2")},
		Policies: []string{
			"arn:aws:mpa:::aws:policy/backup.amazonaws.com/CreateRestoreAccessBackupVault/1",
			"arn:aws:mpa:::aws:policy/deploy.example.com/Promote/3",
		},
		LastUpdateTime:     at(-12 * time.Hour),
		ActivationDeadline: at(7 * 24 * time.Hour),
		UpdateSessionArn:   keyturn.SessionArn(region, account, name, "update"),
		PendingUpdate: &keyturn.PendingUpdate{
			VersionID:            "version-2",
			Description:          "Add a third approver",
			MinApprovals:         3,
			Approvers:            []keyturn.Approver{fullApprover("1"), fullApprover("2"), fullApprover("3")},
			Status:               keyturn.TeamActive,
			StatusCode:           keyturn.TeamUpdatePendingActivation,
			StatusMessage:        "Waiting for the new approver to accept the invitation.",
			UpdateInitiationTime: at(-6 * time.Hour),
			SynchronizeMFA:       true,
			ActivationDeadline:   at(6 * 24 * time.Hour),
		},
		DeletionSessionArn:     keyturn.SessionArn(region, account, name, "deletion"),
		PendingWindowDays:      7,
		DeletionStartTime:      at(-time.Hour),
		DeletionCompletionTime: at(7*24*time.Hour - time.Hour),
	}
}

// fullSession returns a session of the team with every field set, Seq
// aside, which the store assigns.
func fullSession(team *keyturn.Team, id string) *keyturn.Session {
	return &keyturn.Session{
		Arn:                       keyturn.SessionArn(team.Region, team.AccountID, keyturn.TeamID(team.Arn), id),
		TeamArn:                   team.Arn,
		TeamName:                  team.Name,
		AccountID:                 team.AccountID,
		Region:                    team.Region,
		Kind:                      keyturn.KindTeamUpdate,
		ActionName:                "backup:CreateRestoreAccessBackupVault",
		ProtectedResourceArn:      "arn:aws:backup:us-east-1:111122223333:backup-vault:prod",
		Description:               "Restore the \"prod\" vault <now> & ünïcödé",
		Metadata:                  map[string]string{"ticket": "OPS-1234", "Ticket": "upper case key", "a.b-c": ""},
		RequesterComment:          "Incident 42",
		RequesterServicePrincipal: "backup.amazonaws.com",
		RequesterPrincipalArn:     "arn:aws:iam::111122223333:role/Operator",
		RequesterAccountID:        accountB,
		RequesterRegion:           regionB,
		AdditionalSecurityRequirements: []string{
			keyturn.ApproverVerificationRequired,
		},
		MinApprovals: 2,
		Approvers: []keyturn.SessionApprover{
			{ApproverID: "approver-1", IdentityID: "user-1", IdentitySourceArn: sourceArn(team.AccountID, team.Region)},
			{ApproverID: "approver-2", IdentityID: "user-2", IdentitySourceArn: sourceArn(team.AccountID, team.Region)},
		},
		InitiationTime:  at(-time.Hour),
		ExpirationTime:  at(23 * time.Hour),
		CompletionTime:  at(-time.Minute),
		Status:          keyturn.SessionApproved,
		StatusCode:      keyturn.SessionAllApproversResponded,
		StatusMessage:   "Every approver responded.",
		ExecutionStatus: keyturn.ExecutionExecuted,
		ClientToken:     "token-" + id,
	}
}

func fullVote(approver string, voted time.Time) keyturn.Vote {
	return keyturn.Vote{
		ApproverID: "approver-" + approver,
		IdentityID: "user-" + approver,
		Response:   keyturn.ResponseApproved,
		Time:       voted,
		MFAMethod:  keyturn.MFATOTP,
	}
}

func fullPolicyVersion(policyArn string, version int, isDefault bool) *keyturn.PolicyVersion {
	return &keyturn.PolicyVersion{
		PolicyArn:        policyArn,
		Name:             "Promote",
		ServicePrincipal: "deploy.example.com",
		VersionID:        version,
		IsDefault:        isDefault,
		Status:           keyturn.PolicyAttachable,
		Actions:          []string{"deploy:Promote", "deploy:Rollback*"},
		Document:         `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"deploy:Promote"}]}`,
		CreationTime:     at(-30 * 24 * time.Hour),
		LastUpdatedTime:  at(-24 * time.Hour),
	}
}
