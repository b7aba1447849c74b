package casework_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/catalog"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

const itemCross = "990102-XK-009" // department A, 临江区, may be handled anywhere

func addCrossItem(t *testing.T, w *world) {
	t.Helper()
	ctx := context.Background()
	it, err := w.cat.Create(ctx, auth.System(), catalog.Draft{Code: itemCross, Name: "个体工商户设立登记", DepartmentID: w.deptA,
		Type: catalog.TypeLicensing, LegalBasis: "《促进个体工商户发展条例》", Conditions: "有经营能力的自然人。",
		ReviewStandard: "材料齐全。", LegalLimitDays: 3, PromisedLimitDays: 2, Online: true, CrossRegion: true,
		Window:    catalog.Window{Address: "临江区政务服务中心", Hours: "工作日", Phone: "0990-12345"},
		Materials: []catalog.Material{{Name: "申请书", Class: catalog.ClassRequired}},
		Fields:    []catalog.FormField{{Key: "trade_name", Label: "名称", Type: catalog.FieldText, Required: true}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.cat.Publish(ctx, auth.System(), it.ID, 0); err != nil {
		t.Fatal(err)
	}
}

func TestCrossRegion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		addCrossItem(t, w)
		ctx := context.Background()
		qs := w.a("clerk_qs")
		in := casework.SubmitInput{ItemCode: itemCross, Form: map[string]string{"trade_name": "李四小吃"},
			Applicant: &casework.ApplicantInput{Kind: casework.Person, Name: "李四", IDNumber: otherID},
			Materials: []casework.MaterialInput{{Name: "申请书", File: upload("申请书.pdf")}}, Delivery: casework.DeliverWindow}
		// An item that does not allow it cannot be taken in elsewhere.
		notCross := in
		notCross.ItemCode, notCross.Form = itemCitizen, map[string]string{"place": "x"}
		notCross.Materials = []casework.MaterialInput{{Name: "申请表", File: upload("a.pdf")}}
		if _, err := w.m.Submit(ctx, qs, notCross); !slices.Contains(paths(err), "item_code") {
			t.Fatalf("non cross-region item taken in at 青山: %v", err)
		}
		app := must(t)(w.m.Submit(ctx, qs, in))
		if !casework.IsCrossRegion(app) || app.IntakeRegion != "990103" || app.RegionCode != "990102" {
			t.Fatalf("regions: %s → %s", app.IntakeRegion, app.RegionCode)
		}
		// The checks are required, and the result goes by post or online.
		// The plain intake steps would skip the window's checks: refused.
		if _, err := w.m.Accept(ctx, qs, app.ID, ""); !errors.Is(err, casework.ErrState) {
			t.Errorf("plain accept of a cross-region application: %v, want ErrState", err)
		}
		_, err := w.m.Forward(ctx, qs, app.ID, casework.ForwardInput{})
		for _, p := range []string{"form_checked", "identity_checked", "delivery"} {
			if !slices.Contains(paths(err), p) {
				t.Errorf("forward without %s: %v", p, err)
			}
		}
		post := casework.ForwardInput{FormChecked: true, IdentityChecked: true, Delivery: casework.DeliverPost}
		if !slices.Contains(paths(mustFailApp(w.m.Forward(ctx, qs, app.ID, post))), "delivery_address") {
			t.Error("post without an address accepted")
		}
		// Only the receiving region's window forwards.
		if _, err := w.m.Forward(ctx, w.a("clerk"), app.ID, casework.ForwardInput{FormChecked: true, IdentityChecked: true}); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("owning region's clerk forwarded: %v", err)
		}
		post.DeliveryAddress = "青山区青山大道18号"
		fwd := must(t)(w.m.Forward(ctx, qs, app.ID, post))
		// 国办发〔2020〕35号: the receiving window checks and forwards; it
		// does not take the application in.
		if fwd.Status != casework.StatusForwarded || fwd.Delivery != casework.DeliverPost {
			t.Errorf("forwarded: %s %s", fwd.Status, fwd.Delivery)
		}
		c, err := w.m.Crossing(ctx, qs, app.ID)
		if err != nil || c.ReceivedRegion != "990103" || c.OwningRegion != "990102" || c.OwningDepartmentID != w.deptA ||
			c.ReceivedDepartmentID == 0 || !c.IdentityChecked {
			t.Fatalf("crossing: %+v %v", c, err)
		}
		if _, err := w.m.Forward(ctx, qs, app.ID, post); err == nil {
			t.Error("forwarded twice")
		}
		var steps int
		_ = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM flow_history WHERE instance_id = ? AND action = 'forward' AND actor_id = ?`,
			app.InstanceID, qs.UserID).Scan(&steps)
		if steps != 1 {
			t.Errorf("forwarding not recorded in the workflow history (%d)", steps)
		}
		// 受理 is the owning locality's: not the receiving clerk's, not
		// another department's.
		if _, err := w.m.Accept(ctx, qs, app.ID, ""); !errors.Is(err, casework.ErrForbidden) {
			t.Errorf("receiving clerk accepted: %v", err)
		}
		if _, err := w.m.Refuse(ctx, qs, app.ID, "不属于受理范围"); !errors.Is(err, casework.ErrForbidden) {
			t.Errorf("receiving clerk refused: %v", err)
		}
		if _, err := w.m.Accept(ctx, w.a("hbn"), app.ID, ""); err == nil {
			t.Error("another department accepted")
		}
		must(t)(w.m.Accept(ctx, w.a("han"), app.ID, "属地受理"))
		// The owning department decides through the normal flow; the
		// receiving clerk reads along but cannot decide.
		must(t)(w.m.Pass(ctx, w.a("han"), app.ID, "材料齐全"))
		if _, err := w.m.Decide(ctx, qs, app.ID, casework.Decision{Approve: true, Reason: "准予"}); !errors.Is(err, casework.ErrForbidden) {
			t.Errorf("receiving clerk decided: %v", err)
		}
		must(t)(w.m.Decide(ctx, w.a("apa"), app.ID, casework.Decision{Approve: true, Reason: "准予登记"}))
		got, err := w.m.Get(ctx, qs, app.ID)
		if err != nil || got.Status != casework.StatusApproved {
			t.Errorf("receiving side sees %v, %v", got, err)
		}
		// A third region's clerk cannot read it at all.
		xg := &auth.Actor{UserID: 9100, Name: "新港窗口", Roles: []auth.Role{auth.RoleClerk}, RegionCode: "990104"}
		if _, err := w.m.Get(ctx, xg, app.ID); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("another region's clerk: %v", err)
		}
		// Both sides list it.
		for _, who := range []*auth.Actor{qs, w.a("han")} {
			list, err := w.m.CrossRegionApps(ctx, who, 10)
			if err != nil || len(list) != 1 || list[0].ID != app.ID {
				t.Errorf("%s lists %d (%v)", who.Name, len(list), err)
			}
		}
		if list, _ := w.m.CrossRegionApps(ctx, xg, 10); len(list) != 0 {
			t.Errorf("third region lists %d", len(list))
		}
	})
}

func mustFailApp(_ *casework.Application, err error) error { return err }
