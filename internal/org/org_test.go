package org_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// Valid identifiers for tests, with computed check characters.
var (
	testUSCC      = "91440300MA5FXXXX1" + string(ids.USCCCheck("91440300MA5FXXXX1"))
	testCitizenID = "44030519900307123" + string(ids.CitizenIDCheck("44030519900307123"))
	testPhone     = "13800138000"
)

type fixture struct {
	svc      *org.Service
	db       *store.DB
	deptA    *org.Department
	deptB    *org.Department
	district string
}

func newService(t *testing.T, db *store.DB) *org.Service {
	t.Helper()
	box, err := pii.New([]byte("test secret key, 32 bytes long.."))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	s := org.NewService(db, box, func() time.Time { return now })
	s.Password = auth.TestPasswordParams
	return s
}

// setup creates Guangdong › Shenzhen › Futian and two departments there.
func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	s := newService(t, db)
	for _, r := range []org.Region{
		{Code: "440000", Name: "广东省", NameEN: "Guangdong"},
		{Code: "440300", Name: "深圳市", NameEN: "Shenzhen", ParentCode: "440000"},
		{Code: "440304", Name: "福田区", NameEN: "Futian", ParentCode: "440300"},
	} {
		if _, err := s.CreateRegion(ctx, db, r); err != nil {
			t.Fatalf("create region %s: %v", r.Code, err)
		}
	}
	a, err := s.CreateDepartment(ctx, db, org.NewDepartment{Code: "FT-SCJG", Name: "福田区市场监督管理局", RegionCode: "440304"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.CreateDepartment(ctx, db, org.NewDepartment{Code: "FT-ZJJ", Name: "福田区住房和建设局", RegionCode: "440304"})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: s, db: db, deptA: a, deptB: b, district: "440304"}
}

func countRows(t *testing.T, db *store.DB, table string) int {
	t.Helper()
	n, err := db.NewSelect().Table(table).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func TestRegions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		r, err := f.svc.GetRegion(ctx, "440304")
		if err != nil || r.Level != 3 || r.ParentCode != "440300" {
			t.Fatalf("GetRegion = %+v, %v; want level 3 under 440300", r, err)
		}
		bad := []struct {
			name  string
			in    org.Region
			field string
			code  string
		}{
			{"malformed code", org.Region{Code: "44030", Name: "x"}, "code", org.CodeFormat},
			{"parent elsewhere", org.Region{Code: "110105", Name: "朝阳区", ParentCode: "440300"}, "parent_code", org.CodeNotAllowed},
			{"parent below", org.Region{Code: "440300", Name: "x", ParentCode: "440304"}, "parent_code", org.CodeNotAllowed},
			{"missing parent", org.Region{Code: "440305", Name: "南山区", ParentCode: "440399"}, "parent_code", org.CodeUnknown},
			{"no name", org.Region{Code: "440305", ParentCode: "440300"}, "name", org.CodeRequired},
			{"duplicate", org.Region{Code: "440304", Name: "福田区", ParentCode: "440300"}, "code", org.CodeTaken},
		}
		for _, tc := range bad {
			_, err := f.svc.CreateRegion(ctx, db, tc.in)
			if !hasFieldError(err, tc.field, tc.code) {
				t.Errorf("%s: err = %v, want %s/%s", tc.name, err, tc.field, tc.code)
			}
		}
		if n := countRows(t, db, "regions"); n != 3 {
			t.Errorf("regions = %d after refusals, want 3", n)
		}
		if _, err := f.svc.CreateRegion(ctx, db, org.Region{Code: "440305", Name: "南山区", ParentCode: "440300"}); err != nil {
			t.Fatal(err)
		}
		under, err := f.svc.ListRegions(ctx, "440300")
		if err != nil {
			t.Fatal(err)
		}
		var codes []string
		for _, r := range under {
			codes = append(codes, r.Code)
		}
		if want := []string{"440300", "440304", "440305"}; !slices.Equal(codes, want) {
			t.Errorf("ListRegions(440300) = %v, want %v", codes, want)
		}
	})
}

func TestDepartments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		_, err := f.svc.CreateDepartment(ctx, db, org.NewDepartment{Code: "FT-SCJG", Name: "重复", RegionCode: "440304"})
		if !errors.Is(err, org.ErrConflict) {
			t.Errorf("duplicate code: err = %v, want ErrConflict", err)
		}
		_, err = f.svc.CreateDepartment(ctx, db, org.NewDepartment{Code: "X", Name: "x", RegionCode: "110105"})
		if !hasFieldError(err, "region_code", org.CodeUnknown) {
			t.Errorf("unknown region: err = %v", err)
		}
		if n := countRows(t, db, "departments"); n != 2 {
			t.Errorf("departments = %d after refusals, want 2", n)
		}
		off := false
		d, err := f.svc.UpdateDepartment(ctx, db, f.deptB.ID, org.DepartmentUpdate{Active: &off})
		if err != nil || d.Active {
			t.Fatalf("deactivate: %+v, %v", d, err)
		}
		ds, total, err := f.svc.ListDepartments(ctx, org.DepartmentFilter{RegionCode: "440300", Q: "市场"})
		if err != nil || total != 1 || len(ds) != 1 || ds[0].ID != f.deptA.ID {
			t.Errorf("ListDepartments(市场) = %v, %d, %v; want department A", ds, total, err)
		}
		_, total, err = f.svc.ListDepartments(ctx, org.DepartmentFilter{RegionCode: "110000"})
		if err != nil || total != 0 {
			t.Errorf("ListDepartments(Beijing) total = %d, %v; want 0", total, err)
		}
		active := true
		_, total, _ = f.svc.ListDepartments(ctx, org.DepartmentFilter{Active: &active})
		if total != 1 {
			t.Errorf("active departments = %d, want 1", total)
		}
		if _, err := f.svc.GetDepartment(ctx, 9999); !errors.Is(err, org.ErrNotFound) {
			t.Errorf("GetDepartment(9999) err = %v, want ErrNotFound", err)
		}
	})
}

func hasFieldError(err error, field, code string) bool {
	for _, fe := range org.FieldErrors(err) {
		if fe.Field == field && fe.Code == code {
			return errors.Is(err, org.ErrInvalid)
		}
	}
	return false
}

func handler(f *fixture, username string, depts ...int64) org.NewUser {
	return org.NewUser{Username: username, DisplayName: "王五", Password: "Correct horse 1",
		Roles: []auth.Role{auth.RoleHandler}, RegionCode: f.district, DepartmentIDs: depts}
}

func TestCreateUserRefusalsStoreNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		with := func(mod func(*org.NewUser)) org.NewUser {
			u := handler(f, "wangwu", f.deptA.ID)
			mod(&u)
			return u
		}
		cases := []struct {
			name  string
			in    org.NewUser
			field string
			code  string
		}{
			{"short username", with(func(u *org.NewUser) { u.Username = "ab" }), "username", org.CodeFormat},
			{"bad username char", with(func(u *org.NewUser) { u.Username = "wang wu" }), "username", org.CodeFormat},
			{"short password", with(func(u *org.NewUser) { u.Password = "1234567" }), "password", org.CodeWeak},
			{"password of one kind", with(func(u *org.NewUser) { u.Password = "abcdefghij" }), "password", org.CodeWeak},
			{"password with the username", with(func(u *org.NewUser) { u.Password = "Wangwu-2026" }), "password", org.CodeWeak},
			{"common password", with(func(u *org.NewUser) { u.Password = "Woaini1314!" }), "password", org.CodeWeak},
			{"no display name", with(func(u *org.NewUser) { u.DisplayName = " " }), "display_name", org.CodeRequired},
			{"no roles", with(func(u *org.NewUser) { u.Roles = nil }), "roles", org.CodeRequired},
			{"system role", with(func(u *org.NewUser) { u.Roles = []auth.Role{auth.RoleSystem} }), "roles", org.CodeUnknown},
			{"unknown region", with(func(u *org.NewUser) { u.RegionCode = "440399" }), "region_code", org.CodeUnknown},
			{"handler without department", with(func(u *org.NewUser) { u.DepartmentIDs = nil }), "department_ids", org.CodeRequired},
			{"unknown department", with(func(u *org.NewUser) { u.DepartmentIDs = []int64{f.deptA.ID, 9999} }), "department_ids", org.CodeUnknown},
			{"citizen with department", with(func(u *org.NewUser) { u.Roles = []auth.Role{auth.RoleCitizen} }), "department_ids", org.CodeNotAllowed},
			{"enterprise without USCC", with(func(u *org.NewUser) {
				u.Roles, u.DepartmentIDs = []auth.Role{auth.RoleEnterprise}, nil
			}), "uscc", org.CodeRequired},
			{"enterprise bad USCC", with(func(u *org.NewUser) {
				u.Roles, u.DepartmentIDs, u.USCC = []auth.Role{auth.RoleEnterprise}, nil, testUSCC[:17]+"0"
			}), "uscc", org.CodeFormat},
			{"USCC on a handler", with(func(u *org.NewUser) { u.USCC = testUSCC }), "uscc", org.CodeNotAllowed},
			{"bad citizen ID", with(func(u *org.NewUser) { u.CitizenID = testCitizenID[:17] + "0" }), "citizen_id", org.CodeFormat},
			{"bad phone", with(func(u *org.NewUser) { u.Phone = "23800138000" }), "phone", org.CodeFormat},
		}
		for _, tc := range cases {
			u, err := f.svc.CreateUser(ctx, db, tc.in)
			if u != nil || !hasFieldError(err, tc.field, tc.code) {
				t.Errorf("%s: got %v, %v; want %s/%s", tc.name, u, err, tc.field, tc.code)
			}
		}
		for _, table := range []string{"users", "user_roles", "user_departments"} {
			if n := countRows(t, db, table); n != 0 {
				t.Errorf("%s holds %d rows after refusals, want 0", table, n)
			}
		}
		// Several problems are reported together.
		_, err := f.svc.CreateUser(ctx, db, org.NewUser{Username: "x", Password: "short"})
		if n := len(org.FieldErrors(err)); n < 4 {
			t.Errorf("empty input gave %d field errors (%v), want at least 4", n, err)
		}
	})
}

func TestDuplicateUsername(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		if _, err := f.svc.CreateUser(ctx, db, handler(f, "wangwu", f.deptA.ID)); err != nil {
			t.Fatal(err)
		}
		_, err := f.svc.CreateUser(ctx, db, handler(f, " WangWu ", f.deptB.ID))
		if !errors.Is(err, org.ErrConflict) || !hasFieldError(err, "username", org.CodeTaken) {
			t.Fatalf("duplicate username: err = %v, want ErrConflict on username", err)
		}
		if n := countRows(t, db, "users"); n != 1 {
			t.Errorf("users = %d, want 1", n)
		}
	})
}

// A refused call inside the caller's transaction rolls back only its own
// savepoint: the caller can carry on and commit other work (on PostgreSQL a
// failed statement would otherwise poison the whole transaction).
func TestRefusalInsideCallerTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			if _, err := f.svc.CreateDepartment(ctx, tx, org.NewDepartment{Code: "FT-SCJG", Name: "重复", RegionCode: "440304"}); !errors.Is(err, org.ErrConflict) {
				t.Errorf("duplicate department: %v", err)
			}
			if _, err := f.svc.CreateUser(ctx, tx, handler(f, "wangwu", 9999)); !errors.Is(err, org.ErrInvalid) {
				t.Errorf("bad user: %v", err)
			}
			_, err := f.svc.CreateUser(ctx, tx, handler(f, "zhaoliu", f.deptA.ID))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		us, total, err := f.svc.ListUsers(ctx, org.UserFilter{})
		if err != nil || total != 1 || us[0].Username != "zhaoliu" {
			t.Errorf("users after transaction = %v, %d, %v; want only zhaoliu", us, total, err)
		}
	})
}

func TestPersonalNumbers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		in := org.NewUser{Username: "zhangsan", DisplayName: "张三", Password: "Correct horse 1",
			Roles: []auth.Role{auth.RoleCitizen}, RegionCode: f.district,
			CitizenID: strings.ToLower(testCitizenID), Phone: testPhone}
		u, err := f.svc.CreateUser(ctx, db, in)
		if err != nil {
			t.Fatal(err)
		}
		if u.PhoneMasked != "138****8000" || u.CitizenIDMasked != testCitizenID[:3]+"***********"+testCitizenID[14:] {
			t.Errorf("masked = %q, %q", u.PhoneMasked, u.CitizenIDMasked)
		}
		// Nothing readable at rest.
		var enc, idx string
		if err := db.NewSelect().Table("users").Column("phone_enc", "phone_index").Where("id = ?", u.ID).Scan(ctx, &enc, &idx); err != nil {
			t.Fatal(err)
		}
		if enc == "" || strings.Contains(enc, testPhone) || strings.Contains(idx, testPhone) {
			t.Errorf("phone stored readably: %q / %q", enc, idx)
		}
		// Found by exact number through the index, not by a part of it.
		for _, find := range []func() ([]org.User, error){
			func() ([]org.User, error) { return f.svc.FindByPhone(ctx, testPhone) },
			func() ([]org.User, error) { return f.svc.FindByCitizenID(ctx, testCitizenID) },
			func() ([]org.User, error) { return f.svc.FindByCitizenID(ctx, strings.ToLower(testCitizenID)) },
		} {
			us, err := find()
			if err != nil || len(us) != 1 || us[0].ID != u.ID {
				t.Errorf("find = %v, %v; want zhangsan", us, err)
			}
		}
		if us, _ := f.svc.FindByPhone(ctx, "13800138001"); len(us) != 0 {
			t.Errorf("other phone found %v", us)
		}
		if _, n, _ := f.svc.ListUsers(ctx, org.UserFilter{Q: "8000"}); n != 0 {
			t.Errorf("text search matched a phone number")
		}
		r, err := f.svc.Reveal(ctx, db, u.ID)
		if err != nil || r.Phone != testPhone || r.CitizenID != testCitizenID {
			t.Errorf("Reveal = %+v, %v", r, err)
		}
		// Removing the phone removes it from the index.
		empty := ""
		if _, err := f.svc.UpdateUser(ctx, db, u.ID, org.UserUpdate{Phone: &empty}); err != nil {
			t.Fatal(err)
		}
		if us, _ := f.svc.FindByPhone(ctx, testPhone); len(us) != 0 {
			t.Errorf("removed phone still found: %v", us)
		}
		got, _ := f.svc.GetUser(ctx, u.ID)
		if got.PhoneMasked != "" || got.CitizenIDMasked == "" {
			t.Errorf("after removing phone: %q, %q", got.PhoneMasked, got.CitizenIDMasked)
		}
	})
}

func TestEnterpriseUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		u, err := f.svc.CreateUser(ctx, db, org.NewUser{Username: "acme", DisplayName: "深圳某某科技有限公司",
			Password: "Correct horse 1", Roles: []auth.Role{auth.RoleEnterprise}, RegionCode: f.district,
			USCC: strings.ToLower(testUSCC)})
		if err != nil {
			t.Fatal(err)
		}
		if u.USCC != testUSCC {
			t.Errorf("USCC = %q, want normalised %q", u.USCC, testUSCC)
		}
		us, _, err := f.svc.ListUsers(ctx, org.UserFilter{USCC: testUSCC})
		if err != nil || len(us) != 1 {
			t.Errorf("by USCC: %v, %v", us, err)
		}
	})
}

func TestUserInTwoDepartments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		u, err := f.svc.CreateUser(ctx, db, org.NewUser{Username: "lisi", DisplayName: "李四", Password: "Correct horse 1",
			Roles: []auth.Role{auth.RoleHandler, auth.RoleApprover, auth.RoleHandler}, RegionCode: f.district,
			DepartmentIDs: []int64{f.deptB.ID, f.deptA.ID, f.deptB.ID}})
		if err != nil {
			t.Fatal(err)
		}
		wantDepts := []int64{f.deptA.ID, f.deptB.ID}
		if !slices.Equal(u.DepartmentIDs, wantDepts) || len(u.Roles) != 2 {
			t.Fatalf("user = %+v; want departments %v and two roles", u, wantDepts)
		}
		if _, err := f.svc.CreateUser(ctx, db, handler(f, "other", f.deptB.ID)); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			filter org.UserFilter
			want   []string
		}{
			{org.UserFilter{DepartmentID: f.deptA.ID}, []string{"lisi"}},
			{org.UserFilter{DepartmentID: f.deptB.ID}, []string{"lisi", "other"}},
			{org.UserFilter{Role: auth.RoleApprover}, []string{"lisi"}},
			{org.UserFilter{RegionCode: "440300", Q: "李"}, []string{"lisi"}},
			{org.UserFilter{RegionCode: "110000"}, nil},
			{org.UserFilter{Page: org.Page{Number: 2, Size: 1}}, []string{"other"}},
		} {
			us, total, err := f.svc.ListUsers(ctx, tc.filter)
			var names []string
			for _, u := range us {
				names = append(names, u.Username)
			}
			if err != nil || !slices.Equal(names, tc.want) {
				t.Errorf("ListUsers(%+v) = %v, %v; want %v", tc.filter, names, err, tc.want)
			}
			if tc.filter.Page.Size == 1 && total != 2 {
				t.Errorf("total = %d with paging, want 2", total)
			}
		}
		// Dropping one department is fine; dropping both is refused and
		// leaves the user as it was.
		only := []int64{f.deptB.ID}
		if got, err := f.svc.UpdateUser(ctx, db, u.ID, org.UserUpdate{DepartmentIDs: &only}); err != nil || !slices.Equal(got.DepartmentIDs, only) {
			t.Fatalf("UpdateUser = %+v, %v", got, err)
		}
		none := []int64{}
		name := "李四四"
		_, err = f.svc.UpdateUser(ctx, db, u.ID, org.UserUpdate{DepartmentIDs: &none, DisplayName: &name})
		if !hasFieldError(err, "department_ids", org.CodeRequired) {
			t.Errorf("removing last department: err = %v", err)
		}
		got, _ := f.svc.GetUser(ctx, u.ID)
		if !slices.Equal(got.DepartmentIDs, only) || got.DisplayName != "李四" {
			t.Errorf("after refused update: %+v", got)
		}
	})
}

func TestStatusAndPassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		u, err := f.svc.CreateUser(ctx, db, handler(f, "wangwu", f.deptA.ID))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.DisableUser(ctx, db, u.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.svc.GetUser(ctx, u.ID); got.Status != org.StatusDisabled {
			t.Errorf("status = %q, want disabled", got.Status)
		}
		if err := f.svc.DisableUser(ctx, db, 9999); !errors.Is(err, org.ErrNotFound) {
			t.Errorf("disable unknown: %v", err)
		}
		if err := f.svc.SetPassword(ctx, db, u.ID, "short", true); !errors.Is(err, org.ErrInvalid) {
			t.Errorf("short password: %v", err)
		}
		if err := f.svc.SetPassword(ctx, db, u.ID, "P@ssw0rd", true); !errors.Is(err, org.ErrInvalid) || !errors.Is(err, auth.ErrPasswordCommon) {
			t.Errorf("common password: %v", err)
		}
		if err := f.svc.SetPassword(ctx, db, u.ID, "A much longer 0ne", true); err != nil {
			t.Errorf("SetPassword: %v", err)
		}
		var must bool
		if err := db.NewSelect().Table("users").Column("password_change_required").Where("id = ?", u.ID).Scan(ctx, &must); err != nil || !must {
			t.Errorf("password_change_required = %v, %v; want true after an administrator's password", must, err)
		}
		if err := f.svc.SetPassword(ctx, db, u.ID, "A much longer 0ne!", false); err != nil {
			t.Errorf("SetPassword: %v", err)
		}
		if err := db.NewSelect().Table("users").Column("password_change_required").Where("id = ?", u.ID).Scan(ctx, &must); err != nil || must {
			t.Errorf("password_change_required = %v, %v; want false", must, err)
		}
		if _, err := f.svc.GetUserByUsername(ctx, "WANGWU"); err != nil {
			t.Errorf("GetUserByUsername: %v", err)
		}
	})
}

// Department names are cached for list pages, and a rename shows at once.
func TestDepartmentCache(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		if got := f.svc.DepartmentName(ctx, f.deptA.ID); got != "福田区市场监督管理局" {
			t.Fatalf("name %q", got)
		}
		name := "福田区市场监督管理局（知识产权局）"
		if _, err := f.svc.UpdateDepartment(ctx, db, f.deptA.ID, org.DepartmentUpdate{Name: &name}); err != nil {
			t.Fatal(err)
		}
		if got := f.svc.DepartmentName(ctx, f.deptA.ID); got != name {
			t.Errorf("after rename: %q", got)
		}
		if got := f.svc.DepartmentName(ctx, 999999); got != "#999999" {
			t.Errorf("unknown department: %q", got)
		}
	})
}
