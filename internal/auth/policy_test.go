package auth_test

import (
	"errors"
	"testing"

	"github.com/yingshang/yingshang/internal/auth"
)

// Regions used below: Shenzhen (440300) with its districts Futian (440304)
// and Nanshan (440305); Guangzhou (440100) with Tianhe (440106).
var (
	citizen1   = &auth.Actor{UserID: 11, Roles: []auth.Role{auth.RoleCitizen}, RegionCode: "440304"}
	citizen2   = &auth.Actor{UserID: 12, Roles: []auth.Role{auth.RoleCitizen}, RegionCode: "440304"}
	enterprise = &auth.Actor{UserID: 21, Roles: []auth.Role{auth.RoleEnterprise}, RegionCode: "440304", USCC: "91440300MA5FXXXX1X"}
	handlerA   = &auth.Actor{UserID: 31, Roles: []auth.Role{auth.RoleHandler}, RegionCode: "440304", DepartmentIDs: []int64{1}}
	approverAB = &auth.Actor{UserID: 32, Roles: []auth.Role{auth.RoleApprover}, RegionCode: "440304", DepartmentIDs: []int64{1, 2}}
	supervSZ   = &auth.Actor{UserID: 41, Roles: []auth.Role{auth.RoleSupervisor}, RegionCode: "440300"}
	operatorFT = &auth.Actor{UserID: 42, Roles: []auth.Role{auth.RoleOperator}, RegionCode: "440304"}
	adminFT    = &auth.Actor{UserID: 51, Roles: []auth.Role{auth.RoleAdmin}, RegionCode: "440304"}
	adminSZ    = &auth.Actor{UserID: 52, Roles: []auth.Role{auth.RoleAdmin}, RegionCode: "440300"}
)

func caseIn(region string, owner int64, uscc string, depts ...int64) auth.Object {
	return auth.Object{Kind: "case", RegionCode: region, DepartmentIDs: depts, OwnerUserID: owner, OwnerUSCC: uscc}
}

func TestAuthorize(t *testing.T) {
	deptA := caseIn("440304", 11, "", 1)
	deptB := caseIn("440304", 12, "", 2)
	nanshan := caseIn("440305", 12, "", 7)
	tianhe := caseIn("440106", 12, "", 8)
	ofEnterprise := caseIn("440304", 99, "91440300MA5FXXXX1X", 2)
	ofOtherEnterprise := caseIn("440304", 98, "91440300MA5FYYYY1X", 2)
	userFutian := auth.Object{Kind: "user", RegionCode: "440304", OwnerUserID: 60, DepartmentIDs: []int64{1}}
	userNanshan := auth.Object{Kind: "user", RegionCode: "440305", OwnerUserID: 61}
	auditFutian := auth.Object{Kind: "audit", RegionCode: "440304"}
	auditTianhe := auth.Object{Kind: "audit", RegionCode: "440106"}

	tests := []struct {
		name  string
		actor *auth.Actor
		act   auth.Action
		obj   auth.Object
		allow bool
	}{
		{"handler reads own department", handlerA, auth.ActRead, deptA, true},
		{"handler acts in own department", handlerA, auth.ActAct, deptA, true},
		{"handler cannot read other department", handlerA, auth.ActRead, deptB, false},
		{"handler cannot act in other department", handlerA, auth.ActAct, deptB, false},
		{"approver of two departments reads the second", approverAB, auth.ActRead, deptB, true},
		{"handler cannot administer a case", handlerA, auth.ActAdminister, deptA, false},
		{"citizen reads own", citizen1, auth.ActRead, deptA, true},
		{"citizen cannot read another's", citizen1, auth.ActRead, deptB, false},
		{"citizen cannot act on another's", citizen2, auth.ActAct, deptA, false},
		{"citizen creates own", citizen1, auth.ActCreate, caseIn("440304", 11, ""), true},
		{"citizen cannot create for another", citizen1, auth.ActCreate, caseIn("440304", 12, ""), false},
		{"enterprise reads its enterprise's case", enterprise, auth.ActRead, ofEnterprise, true},
		{"enterprise cannot read another enterprise's", enterprise, auth.ActRead, ofOtherEnterprise, false},
		{"citizen does not match an enterprise by USCC", &auth.Actor{UserID: 13, Roles: []auth.Role{auth.RoleCitizen}, USCC: "91440300MA5FXXXX1X"}, auth.ActRead, ofEnterprise, false},
		{"city supervisor reads Futian", supervSZ, auth.ActRead, deptA, true},
		{"city supervisor reads Nanshan", supervSZ, auth.ActRead, nanshan, true},
		{"city supervisor cannot read Guangzhou", supervSZ, auth.ActRead, tianhe, false},
		{"district operator cannot read Nanshan", operatorFT, auth.ActRead, nanshan, false},
		{"case without region is out of region scope", supervSZ, auth.ActRead, caseIn("", 0, "", 1), false},
		{"supervisor reads audit in city", supervSZ, auth.ActRead, auditFutian, true},
		{"supervisor cannot administer audit", supervSZ, auth.ActAdminister, auditFutian, false},
		{"supervisor cannot read audit of another city", supervSZ, auth.ActRead, auditTianhe, false},
		{"handler cannot read audit", handlerA, auth.ActRead, auditFutian, false},
		{"district admin administers own district's user", adminFT, auth.ActAdminister, userFutian, true},
		{"district admin cannot administer another district's user", adminFT, auth.ActAdminister, userNanshan, false},
		{"city admin administers a district user", adminSZ, auth.ActAdminister, userNanshan, true},
		{"district admin cannot create a user elsewhere", adminFT, auth.ActCreate, userNanshan, false},
		{"user edits own account", citizen1, auth.ActAct, auth.Object{Kind: "user", RegionCode: "440304", OwnerUserID: 11}, true},
		{"user cannot edit another account", citizen1, auth.ActAct, userFutian, false},
		{"handler reads a colleague", handlerA, auth.ActRead, userFutian, true},
		{"handler cannot administer a colleague", handlerA, auth.ActAdminister, userFutian, false},
		{"district admin cannot change the city calendar", adminFT, auth.ActAdminister, auth.Object{Kind: "calendar", RegionCode: "440300"}, false},
		{"city admin changes the city calendar", adminSZ, auth.ActAdminister, auth.Object{Kind: "calendar", RegionCode: "440300"}, true},
		{"citizen reads the calendar", citizen1, auth.ActRead, auth.Object{Kind: "calendar", RegionCode: "440300"}, true},
		{"citizen cannot read workflow definitions", citizen1, auth.ActRead, auth.Object{Kind: "flow_definition"}, false},
		{"admin creates a department in region", adminFT, auth.ActCreate, auth.Object{Kind: "department", RegionCode: "440304"}, true},
		{"admin cannot create a department elsewhere", adminFT, auth.ActCreate, auth.Object{Kind: "department", RegionCode: "440305"}, false},
		{"unknown kind is forbidden", adminSZ, auth.ActRead, auth.Object{Kind: "nuclear_codes", RegionCode: "440300"}, false},
		{"system may do anything", auth.System(), auth.ActAdminister, auditTianhe, true},
		{"actor without roles", &auth.Actor{UserID: 1, RegionCode: "440300"}, auth.ActRead, deptA, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := auth.Authorize(tc.actor, tc.act, tc.obj)
			if tc.allow && err != nil {
				t.Errorf("refused: %v", err)
			}
			if !tc.allow && !errors.Is(err, auth.ErrForbidden) {
				t.Errorf("err = %v, want ErrForbidden", err)
			}
		})
	}
	if err := auth.Authorize(nil, auth.ActRead, deptA); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("nil actor: err = %v, want ErrUnauthenticated", err)
	}
}

func TestPolicyRegister(t *testing.T) {
	p := auth.NewPolicy()
	if err := p.Register("hotline_order", auth.CaseRules()); err != nil {
		t.Fatal(err)
	}
	if err := p.Register("hotline_order", auth.CaseRules()); err == nil {
		t.Error("registering a kind twice succeeded")
	}
	if err := p.Register("bad", auth.KindRules{auth.ActRead: {auth.RoleSystem: auth.ScopeAll}}); err == nil {
		t.Error("registering a rule for the system role succeeded")
	}
	order := auth.Object{Kind: "hotline_order", RegionCode: "440304", DepartmentIDs: []int64{2}}
	if err := p.Authorize(operatorFT, auth.ActAct, order); err != nil {
		t.Errorf("operator on registered kind: %v", err)
	}
	if err := p.Authorize(handlerA, auth.ActAct, order); !errors.Is(err, auth.ErrForbidden) {
		t.Errorf("handler of another department: %v", err)
	}
	// The package-level core policy is not changed by registration.
	if err := auth.Authorize(operatorFT, auth.ActAct, order); !errors.Is(err, auth.ErrForbidden) {
		t.Errorf("core policy knows a module kind: %v", err)
	}
}

func TestCanSeeReporter(t *testing.T) {
	secret := auth.Object{Kind: "case", RegionCode: "440304", DepartmentIDs: []int64{1}, OwnerUserID: 11, Confidential: true}
	open := secret
	open.Confidential = false
	tests := []struct {
		name  string
		actor *auth.Actor
		obj   auth.Object
		want  bool
	}{
		{"handler, confidential", handlerA, secret, false},
		{"handler, not confidential", handlerA, open, true},
		{"operator in region", operatorFT, secret, true},
		{"operator of another district", &auth.Actor{UserID: 43, Roles: []auth.Role{auth.RoleOperator}, RegionCode: "440305"}, secret, false},
		{"city supervisor", supervSZ, secret, true},
		{"admin", adminFT, secret, false},
		{"the reporter", citizen1, secret, true},
		{"another citizen", citizen2, secret, false},
		{"nobody", nil, open, false},
	}
	for _, tc := range tests {
		if got := auth.CanSeeReporter(tc.actor, tc.obj); got != tc.want {
			t.Errorf("%s: CanSeeReporter = %v, want %v", tc.name, got, tc.want)
		}
	}
}
