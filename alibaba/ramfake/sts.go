package ramfake

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// STS 2015-04-01 AssumeRole (https://www.alibabacloud.com/help/doc-detail/28763.html; its common errors:
// https://help.aliyun.com/document_detail/42775.html).

// The DurationSeconds AssumeRole accepts: 15 minutes to an hour. A role may allow up to 12 hours, but a
// role session assuming another role (the function's case) is held to an hour.
const (
	MinSessionDuration     = 900
	MaxSessionDuration     = 3600
	DefaultSessionDuration = 3600
)

var (
	roleARN = regexp.MustCompile(`^acs:ram::([0-9]+):role/([A-Za-z0-9._-]{1,64})$`)
	// The older STS FAQ allows 2–32 characters, the current API reference 2–64: the emulator takes the
	// stricter.
	sessionName = regexp.MustCompile(`^[A-Za-z0-9.@_-]{2,32}$`)
	externalID  = regexp.MustCompile(`^[\w+=,.@:/-]+$`) // and 2–1224 characters
	principal   = regexp.MustCompile(`^acs:ram::([0-9]+):(root|role/[^/]+|user/[^/]+)$`)
)

func (s *Server) assumeRole(c *rpc) ([]byte, *apiError) {
	p := c.p
	arn, session := p["RoleArn"], p["RoleSessionName"]
	if arn == "" {
		return nil, missing("RoleArn")
	}
	if session == "" {
		return nil, missing("RoleSessionName")
	}
	m := roleARN.FindStringSubmatch(arn)
	if m == nil {
		return nil, errorf(400, "InvalidParameter.RoleArn", "The parameter RoleArn is wrongly formed.")
	}
	if !sessionName.MatchString(session) {
		return nil, errorf(400, "InvalidParameter.RoleSessionName", "The parameter RoleSessionName is wrongly formed.")
	}
	duration := DefaultSessionDuration
	if v := p["DurationSeconds"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < MinSessionDuration || n > MaxSessionDuration {
			return nil, errorf(400, "InvalidParameter.DurationSeconds", "The Min/Max value of DurationSeconds is 15min/1hr.")
		}
		duration = n
	}
	if v := p["Policy"]; v != "" && (len(v) > 2048 || !json.Valid([]byte(v))) {
		return nil, errorf(400, "InvalidParameter.PolicyGrammar", "The parameter Policy has not passed grammar check.")
	}
	if v := p["ExternalId"]; v != "" && (len(v) < 2 || len(v) > 1224 || !externalID.MatchString(v)) {
		return nil, errorf(400, "InvalidParameter.ExternalId", "The parameter ExternalId is wrongly formed.")
	}
	if c.key.Root {
		return nil, errorf(403, "NoPermission", "Roles may not be assumed by root accounts.")
	}
	target := s.byAcct[m[1]]
	if target != nil {
		sub := &subject{acct: target, resource: "role/" + m[2]}
		if body, aerr, ok := s.injected(c, sub, s.accountFault("AssumeRole", target)); ok {
			return body, aerr
		}
	}
	if body, aerr, ok := s.injected(c, nil, s.fault("AssumeRole", "")); ok {
		return body, aerr
	}
	var role *Role
	if target != nil {
		role = target.roles[strings.ToLower(m[2])]
	}
	if role == nil {
		return nil, errorf(404, "EntityNotExist.Role", "The role not exists: %s.", arn)
	}
	if !trusts(role, c) || (role.ExternalID != "" && p["ExternalId"] != role.ExternalID) {
		return nil, errorf(403, "NoPermission", "You are not authorized to do this action. You should be authorized by RAM.")
	}

	expires := c.now.Add(time.Duration(duration) * time.Second).UTC().Truncate(time.Second)
	k := &key{
		Credential: Credential{Secret: randomString(44), Token: "CAIS" + randomToken(), Role: role.Name},
		acct:       target,
		expires:    expires,
	}
	id := "STS.N" + randomString(23)
	s.mu.Lock()
	s.keys[id] = k
	s.issued = append(s.issued, IssuedCredential{AccountID: target.id, Role: role.Name, Session: session, AccessKeyID: id, Secret: k.Secret, Token: k.Token})
	s.mu.Unlock()
	return reply(map[string]any{
		"RequestId": requestID(),
		"AssumedRoleUser": map[string]any{
			"Arn":           "acs:ram::" + target.id + ":role/" + strings.ToLower(role.Name) + "/" + session,
			"AssumedRoleId": role.ID + ":" + session,
		},
		"Credentials": map[string]any{
			"AccessKeyId": id, "AccessKeySecret": k.Secret, "SecurityToken": k.Token, "Expiration": apiTime(expires),
		},
	})
}

// IssuedCredential is a set of STS credentials AssumeRole minted.
type IssuedCredential struct {
	// AccountID is the account of the role, the one the credentials read.
	AccountID string
	// Role and Session are the role's name and the RoleSessionName asked for.
	Role, Session string
	// AccessKeyID, Secret and Token are the credentials: tests check that no output holds the secret or
	// the token.
	AccessKeyID, Secret, Token string
}

// IssuedCredentials returns every set of credentials AssumeRole minted, in the order minted.
func (s *Server) IssuedCredentials() []IssuedCredential {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]IssuedCredential(nil), s.issued...)
}

// trusts reports whether the role's trust policy names the caller: its whole account (…:root), its
// role or its user.
func trusts(r *Role, c *rpc) bool {
	for _, t := range r.Trusted {
		m := principal.FindStringSubmatch(t)
		if m == nil || m[1] != c.acct.id {
			continue
		}
		kind, name, _ := strings.Cut(m[2], "/")
		switch {
		case kind == "root":
			return true
		case kind == "role" && c.key.Role != "" && strings.EqualFold(name, c.key.Role):
			return true
		case kind == "user" && c.key.User != "" && strings.EqualFold(name, c.key.User):
			return true
		}
	}
	return false
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomString returns n random letters and digits.
func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(b)
}

// randomToken returns a security token's body: base64 with the +, / and = a real one has.
func randomToken() string {
	b := make([]byte, 240)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)[:318] + "=="
}
