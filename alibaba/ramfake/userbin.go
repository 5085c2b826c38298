package ramfake

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// The IMS 2019-08-15 recycle bins: the AccessKey bin (ListAccessKeysInRecycleBin,
// GetAccessKeyInfoInRecycleBin, RestoreAccessKeyFromRecycleBin) and the user bin
// (ListUsersInRecycleBin, GetUserInRecycleBin, RestoreUserFromRecycleBin). Request and response shapes
// follow the IMS API reference, e.g.
// https://help.aliyun.com/zh/ram/developer-reference/api-ims-2019-08-15-listusersinrecyclebin; the
// error answers are not documented there (see the package documentation).

// listKeyBin answers ListAccessKeysInRecycleBin: the keys in the bin of a live user, or of a user who
// is in the user bin (its keys went to the key bin with it).
func (s *Server) listKeyBin(c *rpc) ([]byte, *apiError) {
	id := c.p["UserId"]
	if id == "" {
		return nil, missing("UserId")
	}
	a := c.acct
	a.mu.Lock()
	var keys []Key
	name, found := "", false
	if u := a.byID[id]; u != nil {
		keys, name, found = slices.Clone(u.Keys), u.Name, true
	} else if r := a.recByID[id]; r != nil {
		keys, name, found = slices.Clone(r.Keys), r.Name, true
	}
	a.mu.Unlock()
	if !found {
		return nil, errNoUser
	}
	f := s.fault("ListAccessKeysInRecycleBin", id)
	if body, aerr, ok := s.injected(c, userSubject(a, name), f); ok {
		return body, aerr
	}
	list := make([]map[string]any, 0, len(keys))
	for _, k := range keys {
		list = append(list, withRaw(map[string]any{
			"AccessKeyId": k.AccessKeyID,
			"CreateDate":  apiTime(k.CreateDate),
			"RecycleDate": apiTime(k.RecycleDate),
			"DeleteDate":  apiTime(k.DeleteDate),
		}, k.Raw))
	}
	if len(list) == 0 && (f == MissingAccessKeyID || f == BadDate) {
		now := apiTime(c.now)
		list = append(list, map[string]any{"AccessKeyId": "LTAI5tInjectedFault00000", "CreateDate": now, "RecycleDate": now, "DeleteDate": now})
	}
	switch f {
	case MissingAccessKeyID:
		delete(list[0], "AccessKeyId")
	case BadDate:
		list[0]["DeleteDate"] = "next Tuesday"
	}
	return reply(map[string]any{"RequestId": requestID(), "AccessKeys": map[string]any{"AccessKey": list}})
}

// getKeyInfoInBin answers GetAccessKeyInfoInRecycleBin: a key of the key bin with its owner, who may
// itself be in the user bin (UserRecycled).
func (s *Server) getKeyInfoInBin(c *rpc) ([]byte, *apiError) {
	kid := c.p["UserAccessKeyId"]
	if kid == "" {
		return nil, missing("UserAccessKeyId")
	}
	a := c.acct
	a.mu.Lock()
	owner, ok := a.binKeys[kid]
	var out map[string]any
	if ok {
		var keys []Key
		var upn string
		recycled := false
		if u := a.byID[owner]; u != nil {
			keys, upn = u.Keys, u.PrincipalName
		} else if r := a.recByID[owner]; r != nil {
			keys, upn, recycled = r.Keys, r.PrincipalName, true
		}
		for _, k := range keys {
			if k.AccessKeyID == kid {
				out = withRaw(map[string]any{
					"UserId": owner, "UserPrincipalName": upn, "UserRecycled": recycled, "AccessKeyId": k.AccessKeyID,
					"CreateDate": apiTime(k.CreateDate), "RecycleDate": apiTime(k.RecycleDate), "DeleteDate": apiTime(k.DeleteDate),
				}, k.Raw)
			}
		}
	}
	a.mu.Unlock()
	if out == nil {
		return nil, errNoKey
	}
	if body, aerr, ok := s.injected(c, nil, s.fault("GetAccessKeyInfoInRecycleBin", owner)); ok {
		return body, aerr
	}
	return reply(map[string]any{"RequestId": requestID(), "AccessKey": out})
}

// restoreKey answers RestoreAccessKeyFromRecycleBin: the key leaves the bin and becomes an Inactive
// live key of its user, who must be live and below MaxAccessKeys.
func (s *Server) restoreKey(c *rpc) ([]byte, *apiError) {
	uid, kid := c.p["UserId"], c.p["UserAccessKeyId"]
	if kid == "" {
		return nil, missing("UserAccessKeyId")
	}
	if uid == "" {
		return nil, missing("UserId")
	}
	if body, aerr, ok := s.injected(c, nil, s.fault("RestoreAccessKeyFromRecycleBin", uid)); ok {
		return body, aerr
	}
	a := c.acct
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.byID[uid]
	if u == nil {
		return nil, errNoUser
	}
	i := slices.IndexFunc(u.Keys, func(k Key) bool { return k.AccessKeyID == kid })
	if i < 0 {
		return nil, errNoKey
	}
	if len(u.AccessKeys) >= MaxAccessKeys {
		return nil, errorf(409, "LimitExceeded.User.AccessKey", "The access key count of the user access keys beyond the current limits.")
	}
	k := u.Keys[i]
	u.Keys = slices.Delete(u.Keys, i, i+1)
	delete(a.binKeys, kid)
	u.AccessKeys = append(u.AccessKeys, AccessKey{AccessKeyID: kid, Status: "Inactive", CreateDate: k.CreateDate})
	a.liveKeys[kid] = u
	return reply(map[string]any{"RequestId": requestID()})
}

// MaxBinPage is ListUsersInRecycleBin's largest and default MaxItems.
const MaxBinPage = 100

// listUserBin answers ListUsersInRecycleBin: MaxItems 1–100 (default 100), Marker paging, and a Filter
// of the one documented form, UserPrincipalName eq <name>.
func (s *Server) listUserBin(c *rpc) ([]byte, *apiError) {
	p := c.p
	max := MaxBinPage
	if v := p["MaxItems"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxBinPage {
			return nil, errorf(400, "InvalidParameter.MaxItems", "The parameter MaxItems must be between 1 and 100.")
		}
		max = n
	}
	var upn string
	if f := p["Filter"]; f != "" {
		fields := strings.Fields(f)
		if len(fields) != 3 || fields[0] != "UserPrincipalName" || fields[1] != "eq" {
			return nil, errorf(400, "InvalidParameter.Filter", "The parameter Filter is not valid: the supported form is UserPrincipalName eq <name>.")
		}
		upn = fields[2]
	}
	a := c.acct
	a.mu.Lock()
	start := 0
	if m := p["Marker"]; m != "" {
		seq, ok := decodeMarker(m)
		if !ok || seq > a.seq {
			a.mu.Unlock()
			return nil, errorf(400, "InvalidParameter.Marker", "The parameter Marker is not valid.")
		}
		start, _ = slices.BinarySearchFunc(a.recycled, seq+1, func(r *recycled, seq int) int { return cmp.Compare(r.seq, seq) })
	}
	list := make([]any, 0, min(max, len(a.recycled)-start))
	truncated, last := false, 0
	for _, r := range a.recycled[start:] {
		if upn != "" && !strings.EqualFold(r.PrincipalName, upn) {
			continue
		}
		if len(list) == max {
			truncated = true
			break
		}
		list = append(list, binUser(r))
		last = r.seq
	}
	a.mu.Unlock()
	if body, aerr, ok := s.injected(c, nil, s.fault("ListUsersInRecycleBin", "")); ok {
		return body, aerr
	}
	out := map[string]any{"RequestId": requestID(), "IsTruncated": truncated, "Users": map[string]any{"User": list}}
	if truncated {
		out["Marker"] = encodeMarker(last)
	}
	return reply(out)
}

// getUserInBin answers GetUserInRecycleBin: by UserId, or by UserAccessKeyId (a key of the user's in
// the key bin); exactly one of the two.
func (s *Server) getUserInBin(c *rpc) ([]byte, *apiError) {
	uid, kid := c.p["UserId"], c.p["UserAccessKeyId"]
	switch {
	case uid == "" && kid == "":
		return nil, errorf(400, "MissingParameter.UserId", "One of UserId or UserAccessKeyId is required.")
	case uid != "" && kid != "":
		return nil, errorf(400, "InvalidParameter.UserId", "Give exactly one of UserId or UserAccessKeyId.")
	}
	a := c.acct
	a.mu.Lock()
	if kid != "" {
		uid = a.binKeys[kid]
	}
	r := a.recByID[uid]
	var out map[string]any
	if r != nil {
		out = binUser(r)
	}
	a.mu.Unlock()
	if r == nil {
		return nil, errNoUser
	}
	if body, aerr, ok := s.injected(c, nil, s.fault("GetUserInRecycleBin", uid)); ok {
		return body, aerr
	}
	return reply(map[string]any{"RequestId": requestID(), "User": out})
}

// restoreUser answers RestoreUserFromRecycleBin: the user becomes live again, unless a live user has
// its name. Its AccessKeys stay in the key bin, now as a live user's, each to be restored on its own.
func (s *Server) restoreUser(c *rpc) ([]byte, *apiError) {
	uid := c.p["UserId"]
	if uid == "" {
		return nil, missing("UserId")
	}
	if body, aerr, ok := s.injected(c, nil, s.fault("RestoreUserFromRecycleBin", uid)); ok {
		return body, aerr
	}
	a := c.acct
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.recByID[uid]
	if r == nil {
		return nil, errNoUser
	}
	if a.byName[strings.ToLower(r.Name)] != nil || a.byPrinc[strings.ToLower(r.PrincipalName)] != nil {
		return nil, errorf(409, "EntityAlreadyExists.User", "The user does already EXIST.")
	}
	a.removeRecycled(uid)
	a.addUser(User{ID: r.ID, Name: r.Name, PrincipalName: r.PrincipalName, DisplayName: r.DisplayName, CreateDate: r.CreateDate, Keys: r.Keys})
	return reply(map[string]any{"RequestId": requestID()})
}

func binUser(r *recycled) map[string]any {
	return withRaw(map[string]any{
		"UserId": r.ID, "UserPrincipalName": r.PrincipalName, "DisplayName": cmpOr(r.DisplayName, r.Name),
		"CreateDate": apiTime(r.CreateDate), "RecycleDate": apiTime(r.RecycleDate), "DeleteDate": apiTime(r.DeleteDate),
	}, r.Raw)
}
