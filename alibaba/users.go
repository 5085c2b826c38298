package alibaba

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/akrecycle/ak-recycle-alert/internal/excerpt"
)

// RAM's rules for the names and IDs of users: one rule for the entries of RAM_USERS and of an event's
// users override, and for the values of the API's answers.
var (
	// userIDRE is a RAM user ID: digits.
	userIDRE = regexp.MustCompile(`^[0-9]{1,32}$`)
	// userNameRE is RAM's rule for a user name: 1 to 64 letters, digits, periods, hyphens and
	// underscores (RAM CreateUser, https://help.aliyun.com/document_detail/28680.html).
	userNameRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	// domainRE is the part of a user principal name after the @.
	domainRE = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	// regionRE is a region ID: cn-hangzhou, ap-southeast-1.
	regionRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
)

// maxPrincipalName is the longest user principal name (IMS CreateUser,
// https://help.aliyun.com/zh/ram/developer-reference/api-ims-2019-08-15-createuser).
const maxPrincipalName = 128

func validUserID(s string) bool   { return userIDRE.MatchString(s) }
func validUserName(s string) bool { return userNameRE.MatchString(s) }

// validPrincipalName reports whether s is name@domain, the name a RAM user name, at most 128 characters.
func validPrincipalName(s string) bool {
	name, domain, ok := strings.Cut(s, "@")
	return ok && len(s) <= maxPrincipalName && validUserName(name) && domainRE.MatchString(domain)
}

// ParseUsers validates RAM user entries, each trimmed of the spaces around it: user names (alice),
// principal names (alice@corp.onaliyun.com), user IDs (digits only), or a single "*" for every user.
// Duplicates are kept: Read reads a user once. The error names the first bad entry.
func ParseUsers(entries []string) ([]string, error) {
	users := make([]string, len(entries))
	for i, e := range entries {
		users[i] = strings.TrimSpace(e)
	}
	if _, err := checkUsers(users); err != nil {
		return nil, err
	}
	return users, nil
}

// checkUsers validates entries as they are, and reports whether they mean every user.
func checkUsers(entries []string) (all bool, err error) {
	if len(entries) == 0 {
		return false, errors.New("no user given")
	}
	for i, e := range entries {
		switch {
		case e == "":
			return false, fmt.Errorf("entry %d is empty", i+1)
		case e == "*":
			if len(entries) != 1 {
				return false, errors.New("* (every RAM user) must be the only entry")
			}
			all = true
		case !validUserID(e) && !validUserName(e) && !validPrincipalName(e):
			return false, fmt.Errorf("entry %s is not a RAM user name, principal name (name@domain) or user ID", excerpt.Quote(e))
		}
	}
	return all, nil
}

// CheckRegion validates an Alibaba Cloud region ID (cn-hangzhou).
func CheckRegion(region string) error {
	if !regionRE.MatchString(region) {
		return fmt.Errorf("%s is not a region ID such as cn-hangzhou", excerpt.Quote(region))
	}
	return nil
}

// hints say what to do when every user failed with one code.
var hints = map[string]string{
	"NoPermission":        "the role lacks ram:ListAccessKeysInRecycleBin, ram:GetUser or ram:ListUsers (see deploy/ram-policy.json)",
	"Forbidden.RAM":       "the role lacks ram:ListAccessKeysInRecycleBin, ram:GetUser or ram:ListUsers (see deploy/ram-policy.json)",
	"EntityNotExist.User": "check RAM_USERS",
}

// Hint says what to do when no user could be read because of the error code code: the RAM actions the
// function's role lacks, or the entries to check. It is "" for a code with nothing to add.
func Hint(code string) string { return hints[code] }
