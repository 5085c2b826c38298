package ramfake

import (
	"strconv"
	"time"
)

// Resource Manager 2020-03-31 ListAccounts (https://www.alibabacloud.com/help/en/doc-detail/160016.htm):
// "you can use only the management account of a resource directory or a delegated administrator
// account of a trusted service to call this operation".

// defaultJoinTime is the JoinTime of a member whose JoinTime is zero.
var defaultJoinTime = time.Date(2024, 1, 18, 8, 1, 50, 522e6, time.UTC)

func (s *Server) listAccounts(c *rpc) ([]byte, *apiError) {
	p := c.p
	page, size := 1, 10
	if v := p["PageNumber"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, errorf(400, "InvalidParameter.PageNumber", "The parameter PageNumber must be a positive integer.")
		}
		page = n
	}
	if v := p["PageSize"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return nil, errorf(400, "InvalidParameter.PageSize", "The parameter PageSize must be between 1 and 100.")
		}
		size = n
	}
	if s.rdID == "" {
		return nil, errNoDirectory
	}
	if !c.acct.home {
		return nil, errorf(409, "NoPermission.ResourceDirectory.MemberAccount", "ResourceDirectory Member Account is not authorized to perform this operation.")
	}
	if body, aerr, ok := s.injected(c, nil, s.fault("ListAccounts", "")); ok {
		return body, aerr
	}
	list := []any{}
	for i := (page - 1) * size; i < min(page*size, len(s.accounts)); i++ {
		list = append(list, s.listing(s.accounts[i], p["IncludeTags"] == "true"))
	}
	return reply(map[string]any{
		"RequestId": requestID(), "TotalCount": len(s.accounts), "PageNumber": page, "PageSize": size,
		"Accounts": map[string]any{"Account": list},
	})
}

// listing is an account's ListAccounts entry.
func (s *Server) listing(a *account, tags bool) map[string]any {
	l := a.listing
	joined := l.JoinTime
	if joined.IsZero() {
		joined = defaultJoinTime
	}
	folder := cmpOr(l.FolderID, "r-Wm7Kq2")
	m := map[string]any{
		"AccountId": a.id, "DisplayName": a.name, "Status": l.Status,
		"Type": cmpOr(l.Type, "ResourceAccount"), "JoinMethod": cmpOr(l.JoinMethod, "created"),
		"FolderId": folder, "ResourceDirectoryId": s.rdID,
		"ResourceDirectoryPath": s.rdID + "/r-Wm7Kq2/" + folder + "/" + a.id,
		"JoinTime":              rmTime(joined), "ModifyTime": rmTime(joined.Add(167146 * time.Millisecond)),
	}
	if folder == "r-Wm7Kq2" {
		m["ResourceDirectoryPath"] = s.rdID + "/r-Wm7Kq2/" + a.id
	}
	if tags {
		m["Tags"] = map[string]any{"Tag": []any{}}
	}
	return withRaw(m, l.Raw)
}

// rmTime formats a time as Resource Manager does: UTC with milliseconds.
func rmTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
