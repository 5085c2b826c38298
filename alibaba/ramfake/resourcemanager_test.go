package ramfake

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestListAccountsAnswer(t *testing.T) {
	c := &clock{t: fixedNow}
	s := startWorld(t, c, nil)
	checkGolden(t, "ListAccounts", mustOK(t, "ListAccounts", rawCall(t, s, fnCred, c.Now(), ResourceManagerVersion, "ListAccounts", ims("PageSize", "3", "PageNumber", "1"))))
}

func TestListAccountsPages(t *testing.T) {
	s := startWorld(t, newClock(), nil)
	all := []string{homeID, devID, stagingID, pendingID, extID}
	b := mustOK(t, "ListAccounts", sdkCall(t, s, fnCred, ResourceManagerVersion, "ListAccounts", nil))
	if diff := cmp.Diff(all, field(list(b, "Accounts.Account"), "AccountId")); diff != "" {
		t.Errorf("default page (-want +got):\n%s", diff)
	}
	if b["TotalCount"] != float64(5) || b["PageNumber"] != float64(1) || b["PageSize"] != float64(10) {
		t.Errorf("default page: TotalCount %v, PageNumber %v, PageSize %v; want 5, 1, 10", b["TotalCount"], b["PageNumber"], b["PageSize"])
	}
	var got []string
	for page := 1; page <= 4; page++ {
		b := mustOK(t, "ListAccounts", sdkCall(t, s, fnCred, ResourceManagerVersion, "ListAccounts", ims("PageSize", "2", "PageNumber", strconv.Itoa(page))))
		accounts := list(b, "Accounts.Account")
		if page == 4 && len(accounts) != 0 {
			t.Errorf("page 4 = %v, want empty", accounts)
		}
		got = append(got, field(accounts, "AccountId")...)
	}
	if diff := cmp.Diff(all, got); diff != "" {
		t.Errorf("pages of 2 (-want +got):\n%s", diff)
	}
	statuses := field(list(b, "Accounts.Account"), "Status")
	if diff := cmp.Diff([]string{"CreateSuccess", "CreateSuccess", "InviteSuccess", "CreateVerifying", "PromoteSuccess"}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

func TestListAccountsRefusals(t *testing.T) {
	tests := []struct {
		name       string
		as         func(t *testing.T, s *Server) cred
		opts       func(o *Options)
		params     map[string]string
		fault      Fault
		wantStatus int
		wantCode   string
		wantMsg    string
	}{
		{name: "PageSize 0", params: ims("PageSize", "0"), wantStatus: 400, wantCode: "InvalidParameter.PageSize"},
		{name: "PageSize 101", params: ims("PageSize", "101"), wantStatus: 400, wantCode: "InvalidParameter.PageSize"},
		{name: "PageSize 100", params: ims("PageSize", "100"), wantStatus: 200},
		{name: "PageSize not a number", params: ims("PageSize", "ten"), wantStatus: 400, wantCode: "InvalidParameter.PageSize"},
		{name: "PageNumber 0", params: ims("PageNumber", "0"), wantStatus: 400, wantCode: "InvalidParameter.PageNumber"},
		{name: "a member's user", as: func(*testing.T, *Server) cred { return devCred }, wantStatus: 409, wantCode: "NoPermission.ResourceDirectory.MemberAccount",
			wantMsg: "ResourceDirectory Member Account is not authorized to perform this operation."},
		{name: "a member's role session", as: func(t *testing.T, s *Server) cred { return assume(t, s, devID) }, wantStatus: 409, wantCode: "NoPermission.ResourceDirectory.MemberAccount"},
		{name: "no Resource Directory", opts: func(o *Options) { o.Accounts = nil }, wantStatus: 404, wantCode: "NotExists.ResourceDirectory"},
		{name: "denied", fault: Deny, wantStatus: 403, wantCode: "NoPermission",
			wantMsg: "You are not authorized to do this action. Resource: acs:resourcemanager:*:" + homeID + ":account/* Action: resourcemanager:ListAccounts"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := startWorld(t, newClock(), tc.opts)
			as := fnCred
			if tc.as != nil {
				as = tc.as(t, s)
			}
			s.SetAccountFault("", "ListAccounts", tc.fault)
			a := sdkCall(t, s, as, ResourceManagerVersion, "ListAccounts", tc.params)
			if a.status != tc.wantStatus || a.code != tc.wantCode {
				t.Fatalf("ListAccounts(%v) = %v, want %d %s", tc.params, a, tc.wantStatus, tc.wantCode)
			}
			if msg, _ := a.body["Message"].(string); tc.wantMsg != "" && msg != tc.wantMsg {
				t.Errorf("Message = %q, want %q", msg, tc.wantMsg)
			}
		})
	}
}

// TestListAccountsDirectoryWithoutMembers: a directory of the home account alone lists it.
func TestListAccountsDirectoryWithoutMembers(t *testing.T) {
	s := start(t, Options{ResourceDirectoryID: "rd-Solo01", Credentials: map[string]Credential{akID: {Secret: akSecret}}})
	b := mustOK(t, "ListAccounts", sdkCall(t, s, cred{akID, akSecret, ""}, ResourceManagerVersion, "ListAccounts", nil))
	accounts := list(b, "Accounts.Account")
	if len(accounts) != 1 || accounts[0]["AccountId"] != DefaultAccountID || accounts[0]["ResourceDirectoryId"] != "rd-Solo01" || accounts[0]["DisplayName"] != "management" {
		t.Errorf("accounts = %v, want the home account alone", accounts)
	}
}

func TestListAccountsRaw(t *testing.T) {
	s := startWorld(t, newClock(), func(o *Options) {
		o.Accounts[0].Raw = map[string]any{"DisplayName": "<!channel> *dev*", "JoinTime": 12}
	})
	b := mustOK(t, "ListAccounts", sdkCall(t, s, fnCred, ResourceManagerVersion, "ListAccounts", ims("IncludeTags", "true")))
	dev := list(b, "Accounts.Account")[1]
	if dev["DisplayName"] != "<!channel> *dev*" || dev["JoinTime"] != float64(12) || lookup(dev, "Tags.Tag") == nil {
		t.Errorf("dev's entry = %v, want the raw values and Tags", dev)
	}
}

func TestNewRejectsBadAccounts(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"account ID not digits", Options{Accounts: []Account{{ID: "dev"}}}, "not digits"},
		{"account given twice", Options{Accounts: []Account{{ID: "1"}, {ID: "1"}}}, "given twice"},
		{"member with the home ID", Options{Accounts: []Account{{ID: DefaultAccountID}}}, "given twice"},
		{"unknown status", Options{Accounts: []Account{{ID: "1", Status: "Joined"}}}, "unknown Resource Directory status"},
		{"a key in two accounts", Options{Credentials: map[string]Credential{akID: {}}, Accounts: []Account{{ID: "1", Credentials: map[string]Credential{akID: {}}}}}, "two accounts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.Contains(msg, tc.want) {
					t.Errorf("New panicked with %v, want a message about %q", r, tc.want)
				}
			}()
			s := New(tc.opts)
			s.Close()
		})
	}
}
