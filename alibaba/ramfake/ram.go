package ramfake

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// RAM 2015-05-01 and IMS 2019-08-15 user reads: GetUser, ListUsers, ListAccessKeys. Both versions
// serve the same live users; IMS names them by UserPrincipalName, RAM by the short UserName.

// defaultCreateDate is the CreateDate of a user whose CreateDate is zero.
const defaultCreateDate = "2024-01-02T03:04:05Z"

func (s *Server) ramGetUser(c *rpc) ([]byte, *apiError) {
	name := c.p["UserName"]
	if name == "" {
		return nil, missing("UserName")
	}
	a := c.acct
	a.mu.Lock()
	u := a.byName[strings.ToLower(name)]
	var out map[string]any
	if u != nil {
		out = ramUser(u)
	}
	a.mu.Unlock()
	if u == nil {
		return nil, errNoUser
	}
	if body, aerr, ok := s.injected(c, userSubject(a, u.Name), s.fault("GetUser", u.ID)); ok {
		return body, aerr
	}
	return reply(map[string]any{"RequestId": requestID(), "User": out})
}

func (s *Server) imsGetUser(c *rpc) ([]byte, *apiError) {
	p := c.p
	given := 0
	for _, k := range []string{"UserPrincipalName", "UserId", "UserAccessKeyId"} {
		if p[k] != "" {
			given++
		}
	}
	if given == 0 {
		return nil, errorf(400, "MissingParameter.UserPrincipalName", "One of UserPrincipalName, UserId or UserAccessKeyId is required.")
	}
	if given > 1 {
		return nil, errorf(400, "InvalidParameter.UserPrincipalName", "Give exactly one of UserPrincipalName, UserId or UserAccessKeyId.")
	}
	a := c.acct
	a.mu.Lock()
	var u *User
	switch {
	case p["UserPrincipalName"] != "":
		u = a.byPrinc[strings.ToLower(p["UserPrincipalName"])]
	case p["UserId"] != "":
		u = a.byID[p["UserId"]]
	default:
		u = a.liveKeys[p["UserAccessKeyId"]]
	}
	var out map[string]any
	if u != nil {
		out = imsUser(u)
	}
	a.mu.Unlock()
	if u == nil {
		if p["UserAccessKeyId"] != "" {
			return nil, errNoKey
		}
		return nil, errNoUser
	}
	if body, aerr, ok := s.injected(c, userSubject(a, u.Name), s.fault("GetUser", u.ID)); ok {
		return body, aerr
	}
	return reply(map[string]any{"RequestId": requestID(), "User": out})
}

// userSubject names a user in a Deny message.
func userSubject(a *account, name string) *subject {
	return &subject{acct: a, resource: "user/" + name}
}

func (s *Server) ramListUsers(c *rpc) ([]byte, *apiError) { return s.listUsers(c, 100, false) }
func (s *Server) imsListUsers(c *rpc) ([]byte, *apiError) { return s.listUsers(c, 1000, true) }

// listUsers pages the live users: MaxItems 1–1000 (default 100 for RAM, 1,000 for IMS,
// https://alibabacloud.com/help/en/ram/developer-reference/api-ram-2015-05-01-listusers).
func (s *Server) listUsers(c *rpc, defMax int, ims bool) ([]byte, *apiError) {
	p := c.p
	max := defMax
	if v := p["MaxItems"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return nil, errorf(400, "InvalidParameter.MaxItems", "The parameter MaxItems must be between 1 and 1000.")
		}
		max = n
	}
	a := c.acct
	a.mu.Lock()
	total := len(a.users)
	start := 0
	if m := p["Marker"]; m != "" {
		n, ok := decodeMarker(m)
		if !ok || n > total {
			a.mu.Unlock()
			return nil, errorf(400, "InvalidParameter.Marker", "The parameter Marker is not valid.")
		}
		start = n
	}
	end := min(start+max, total)
	list := make([]any, 0, end-start)
	for _, u := range a.users[start:end] {
		if ims {
			list = append(list, imsUser(u))
		} else {
			list = append(list, ramUser(u))
		}
	}
	a.mu.Unlock()
	if body, aerr, ok := s.injected(c, nil, s.fault("ListUsers", "")); ok {
		return body, aerr
	}
	out := map[string]any{"RequestId": requestID(), "IsTruncated": end < total, "Users": map[string]any{"User": list}}
	if end < total {
		out["Marker"] = encodeMarker(end)
	}
	return reply(out)
}

// encodeMarker and decodeMarker turn a position into an opaque Marker and back.
func encodeMarker(n int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("next:" + strconv.Itoa(n)))
}

func decodeMarker(m string) (int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(m)
	if err != nil {
		return 0, false
	}
	rest, ok := strings.CutPrefix(string(raw), "next:")
	n, err := strconv.Atoi(rest)
	return n, ok && err == nil && n >= 0
}

// ramListAccessKeys lists a user's live AccessKeys by UserName. The real API lists the caller's own
// keys without one; the emulator requires it (a role session has no keys of its own).
func (s *Server) ramListAccessKeys(c *rpc) ([]byte, *apiError) {
	return s.listAccessKeys(c, "UserName", false)
}

// imsListAccessKeys is ramListAccessKeys by UserPrincipalName, with UpdateDate.
func (s *Server) imsListAccessKeys(c *rpc) ([]byte, *apiError) {
	return s.listAccessKeys(c, "UserPrincipalName", true)
}

func (s *Server) listAccessKeys(c *rpc, param string, ims bool) ([]byte, *apiError) {
	name := c.p[param]
	if name == "" {
		return nil, missing(param)
	}
	a := c.acct
	a.mu.Lock()
	u := a.byName[strings.ToLower(name)]
	if ims {
		u = a.byPrinc[strings.ToLower(name)]
	}
	var keys []map[string]any
	var uid, uname string
	if u != nil {
		uid, uname = u.ID, u.Name
		keys = make([]map[string]any, 0, len(u.AccessKeys))
		for _, k := range u.AccessKeys {
			created := cmpOr(apiTime(k.CreateDate), defaultCreateDate)
			m := map[string]any{"AccessKeyId": k.AccessKeyID, "Status": cmpOr(k.Status, "Active"), "CreateDate": created}
			if ims {
				m["UpdateDate"] = created
			}
			keys = append(keys, m)
		}
	}
	a.mu.Unlock()
	if u == nil {
		return nil, errNoUser
	}
	if body, aerr, ok := s.injected(c, userSubject(a, uname), s.fault("ListAccessKeys", uid)); ok {
		return body, aerr
	}
	return reply(map[string]any{"RequestId": requestID(), "AccessKeys": map[string]any{"AccessKey": keys}})
}

func ramUser(u *User) map[string]any {
	return withRaw(map[string]any{
		"UserId": u.ID, "UserName": u.Name, "DisplayName": cmpOr(u.DisplayName, u.Name), "Comments": "",
		"CreateDate": cmpOr(apiTime(u.CreateDate), defaultCreateDate), "UpdateDate": cmpOr(apiTime(u.CreateDate), defaultCreateDate),
	}, u.Raw)
}

func imsUser(u *User) map[string]any {
	return withRaw(map[string]any{
		"UserId": u.ID, "UserPrincipalName": u.PrincipalName, "DisplayName": cmpOr(u.DisplayName, u.Name), "Status": "active",
		"ProvisionType": "Manual", "CreateDate": cmpOr(apiTime(u.CreateDate), defaultCreateDate),
		"UpdateDate": cmpOr(apiTime(u.CreateDate), defaultCreateDate),
	}, u.Raw)
}
