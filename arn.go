package keyturn

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ARN formats of MPA resources:
//
//	arn:aws:mpa:<region>:<account>:approval-team/<name>-<uuid>
//	arn:aws:mpa:<region>:<account>:session/<team id>/<uuid>
//	arn:aws:mpa:<region>:<account>:identity-source/IamIdentityCenter
//	arn:aws:mpa:::aws:policy/<service principal>/<name>[/<version>|/$DEFAULT]
const (
	arnPrefix = "arn:aws:mpa:"

	// IdentitySourceID is the resource id of every identity source, as AWS
	// uses it: an account has one identity source per region.
	IdentitySourceID = "IamIdentityCenter"

	// DefaultVersion is the policy version qualifier that names the
	// default version.
	DefaultVersion = "$DEFAULT"
)

const policyPart = `[a-zA-Z0-9_.-]{1,1000}[a-zA-Z0-9_.-]{0,23}`

var (
	teamArnRE    = regexp.MustCompile(`^arn:aws(-[^:]+)?:mpa:([a-z0-9-]{1,20}):([0-9]{12}):approval-team/([a-zA-Z0-9._-]+)$`)
	sessionArnRE = regexp.MustCompile(`^arn:aws(-[^:]+)?:mpa:([a-z0-9-]{1,20}):([0-9]{12}):session/([a-zA-Z0-9._-]+)/([a-zA-Z0-9_-]+)$`)
	sourceArnRE  = regexp.MustCompile(`^arn:aws(-[^:]+)?:mpa:([a-z0-9-]{1,20}):([0-9]{12}):identity-source/([a-zA-Z0-9._-]+)$`)
	// The model limits each policy ARN part to 1023 characters. RE2 allows
	// at most 1000 repeats, so each limit is written as 1000 plus 23.
	policyArnRE  = regexp.MustCompile(`^arn:.{1,63}:mpa:::aws:policy/(` + policyPart + `)/(` + policyPart + `)$`)
	versionArnRE = regexp.MustCompile(`^(arn:.{1,63}:mpa:::aws:policy/` + policyPart + `/` + policyPart + `)/([0-9]+|\$DEFAULT)$`)
)

// ResourceARN is a parsed ARN of an account's MPA resource.
type ResourceARN struct {
	Region    string
	AccountID string
	// Type is approval-team, session or identity-source.
	Type string
	// ID is the resource id after the type: the team id, the team id and
	// session id joined by a slash, or IamIdentityCenter.
	ID string
}

// ParseResourceARN parses the ARN of a team, session or identity source.
func ParseResourceARN(arn string) (ResourceARN, bool) {
	if m := teamArnRE.FindStringSubmatch(arn); m != nil {
		return ResourceARN{Region: m[2], AccountID: m[3], Type: "approval-team", ID: m[4]}, true
	}
	if m := sessionArnRE.FindStringSubmatch(arn); m != nil {
		return ResourceARN{Region: m[2], AccountID: m[3], Type: "session", ID: m[4] + "/" + m[5]}, true
	}
	if m := sourceArnRE.FindStringSubmatch(arn); m != nil {
		return ResourceARN{Region: m[2], AccountID: m[3], Type: "identity-source", ID: m[4]}, true
	}
	return ResourceARN{}, false
}

// TeamArn returns the ARN of the team with the id in the account and region.
func TeamArn(region, account, teamID string) string {
	return fmt.Sprintf("%s%s:%s:approval-team/%s", arnPrefix, region, account, teamID)
}

// SessionArn returns the ARN of a session of the team.
func SessionArn(region, account, teamID, sessionID string) string {
	return fmt.Sprintf("%s%s:%s:session/%s/%s", arnPrefix, region, account, teamID, sessionID)
}

// IdentitySourceArn returns the ARN of the account's identity source.
func IdentitySourceArn(region, account string) string {
	return fmt.Sprintf("%s%s:%s:identity-source/%s", arnPrefix, region, account, IdentitySourceID)
}

// PolicyArn returns the unversioned ARN of a policy.
func PolicyArn(servicePrincipal, name string) string {
	return fmt.Sprintf("arn:aws:mpa:::aws:policy/%s/%s", servicePrincipal, name)
}

// PolicyVersionArn returns the ARN of one version of a policy.
func PolicyVersionArn(policyArn string, version int) string {
	return policyArn + "/" + strconv.Itoa(version)
}

// ParsePolicyArn splits an unversioned policy ARN into its service principal
// and name.
func ParsePolicyArn(arn string) (servicePrincipal, name string, ok bool) {
	m := policyArnRE.FindStringSubmatch(arn)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// ParsePolicyVersionArn splits a qualified policy ARN into the policy ARN
// and the version. Version 0 stands for $DEFAULT.
func ParsePolicyVersionArn(arn string) (policyArn string, version int, ok bool) {
	m := versionArnRE.FindStringSubmatch(arn)
	if m == nil {
		return "", 0, false
	}
	if m[2] == DefaultVersion {
		return m[1], 0, true
	}
	v, err := strconv.Atoi(m[2])
	if err != nil || v < 1 {
		return "", 0, false
	}
	return m[1], v, true
}

// TeamID returns the resource id of a team ARN, the part after
// "approval-team/".
func TeamID(teamArn string) string {
	_, id, _ := strings.Cut(teamArn, ":approval-team/")
	return id
}
