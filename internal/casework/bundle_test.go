package casework_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/catalog"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

const testBundle = "YJS-TEST"

// cityAdmin is an administrator of the root region 990100.
var cityAdmin = &auth.Actor{UserID: 9001, Name: "管理员", Roles: []auth.Role{auth.RoleAdmin}, RegionCode: "990100"}

func TestMerge(t *testing.T) {
	f := func(key string, typ catalog.FieldType, req bool, opts ...string) catalog.FormField {
		return catalog.FormField{Key: key, Label: key, Type: typ, Required: req, Options: opts}
	}
	a := &catalog.Item{Draft: catalog.Draft{Code: "A", Name: "甲", PromisedLimitDays: 3, LegalLimitDays: 20,
		Fields: []catalog.FormField{f("area", catalog.FieldNumber, false), f("kind", catalog.FieldChoice, true, "x", "y", "z")},
		Materials: []catalog.Material{{Name: "申请书", Class: catalog.ClassRequired},
			{Name: "营业执照", Class: catalog.ClassShared, CertificateType: "CT-YYZZ"},
			{Name: "制度", Class: catalog.ClassShortfall}}}}
	b := &catalog.Item{Draft: catalog.Draft{Code: "B", Name: "乙", PromisedLimitDays: 5, LegalLimitDays: 10,
		Fields: []catalog.FormField{f("area", catalog.FieldNumber, true), f("kind", catalog.FieldChoice, false, "z", "y")},
		Materials: []catalog.Material{{Name: "申请书", Class: catalog.ClassOptional},
			{Name: "执照副本", Class: catalog.ClassShared, CertificateType: "CT-YYZZ"},
			{Name: "制度", Class: catalog.ClassRequired}}}}
	mg, err := casework.Merge([]*catalog.Item{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if len(mg.Fields) != 2 || !mg.Fields[0].Required || !slices.Equal(mg.Fields[1].Options, []string{"y", "z"}) ||
		len(mg.Fields[0].Items) != 2 {
		t.Errorf("fields: %+v", mg.Fields)
	}
	if mg.Total != 6 || len(mg.Materials) != 3 || mg.Saved() != 3 {
		t.Fatalf("materials: total %d, %+v", mg.Total, mg.Materials)
	}
	if m := mg.Materials[1]; m.Key != "cert:CT-YYZZ" || m.Name() != "营业执照 / 执照副本" {
		t.Errorf("shared entry: %+v", m)
	}
	if mg.Materials[0].Class != catalog.ClassRequired || mg.Materials[2].Class != catalog.ClassRequired {
		t.Errorf("classes should be the strictest: %+v", mg.Materials)
	}
	if mg.PromisedDays != 5 || mg.LegalDays != 20 {
		t.Errorf("limits %d/%d", mg.PromisedDays, mg.LegalDays)
	}
	// Conflicts: a key with two types, a choice with nothing in common.
	c := &catalog.Item{Draft: catalog.Draft{Code: "C", Name: "丙",
		Fields: []catalog.FormField{f("area", catalog.FieldText, true), f("kind", catalog.FieldChoice, true, "w")}}}
	_, err = casework.Merge([]*catalog.Item{a, c})
	if !errors.Is(err, casework.ErrBundleConflict) || !errors.Is(err, casework.ErrInvalid) || len(casework.FieldErrors(err)) != 2 {
		t.Errorf("conflicts: %v", err)
	}
}

// defineBundle defines and publishes food + sign + citizen item as testBundle.
func defineBundle(t *testing.T, w *world) {
	t.Helper()
	ctx := context.Background()
	spec := casework.BundleSpec{Code: testBundle, Name: "开店", Items: []string{itemFood, itemSign, itemCitizen}}
	// A district approver may not; the root region's administrator may.
	if _, err := w.m.SaveBundle(ctx, w.a("apa"), spec); !errors.Is(err, casework.ErrForbidden) {
		t.Fatalf("district approver saved a bundle: %v", err)
	}
	bad := spec
	bad.Items = []string{itemFood, "990102-XK-404"}
	if _, err := w.m.SaveBundle(ctx, cityAdmin, bad); !strings.Contains(strings.Join(paths(err), " "), "items[1]") {
		t.Fatalf("unknown item: %v", err)
	}
	if _, err := w.m.SaveBundle(ctx, cityAdmin, spec); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.m.BundleGuide(ctx, testBundle); !errors.Is(err, casework.ErrBundleNotFound) {
		t.Fatalf("a draft bundle is offered: %v", err)
	}
	if _, err := w.m.SetBundleStatus(ctx, cityAdmin, testBundle, casework.BundlePublished); err != nil {
		t.Fatal(err)
	}
}

// bundleInput applies for testBundle: area 8 (the sign's rule approves),
// the management rules promised (容缺).
func bundleInput(w *world) casework.BundleInput {
	return casework.BundleInput{BundleCode: testBundle,
		Form: map[string]string{"legal_representative": "李娜", "area": "8", "main_form": "餐饮服务", "location": "滨江路88号",
			"place": "滨江路88号门前"},
		Materials: []casework.BundleMaterialInput{
			{Key: "name:申请书", File: upload("申请书.pdf")},
			{Key: "cert:CT-YYZZ", Consent: true, CertificateID: w.licence},
			{Key: "name:平面图", File: upload("平面图.pdf")},
			{Key: "name:管理制度", Shortfall: true},
			{Key: "name:申请表", File: upload("申请表.pdf")},
		},
		ShortfallDue: "2026-11-06"}
}

func TestBundleSubmit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		defineBundle(t, w)
		ba, err := w.m.SubmitBundle(ctx, w.a("ent"), bundleInput(w))
		if err != nil {
			t.Fatal(err)
		}
		if len(ba.Children) != 3 || ba.MaterialsTotal != 7 || ba.MaterialsMerged != 5 || !strings.HasPrefix(ba.Number, "YJS990102") {
			t.Fatalf("bundle application: %+v", ba)
		}
		food, sign, cit := ba.Children[0], ba.Children[1], ba.Children[2]
		// The shared field is asked once and each item that has it gets it;
		// no item gets another's fields.
		if food.Form["area"] != 8.0 || sign.Form["area"] != 8.0 {
			t.Errorf("area: food %v, sign %v", food.Form["area"], sign.Form["area"])
		}
		if _, ok := sign.Form["legal_representative"]; ok {
			t.Errorf("sign got the food form's field: %v", sign.Form)
		}
		if cit.Form["place"] != "滨江路88号门前" || len(cit.Form) != 1 {
			t.Errorf("citizen item form: %v", cit.Form)
		}
		// One upload serves both items listing the material; the shared
		// licence is used for both with consent.
		if food.Materials[0].File == nil || sign.Materials[0].File == nil || food.Materials[0].File.SHA256 != sign.Materials[0].File.SHA256 {
			t.Errorf("application form not shared: %+v / %+v", food.Materials[0], sign.Materials[0])
		}
		if food.Materials[1].Provision != casework.ProvideCertificate || sign.Materials[1].Provision != casework.ProvideCertificate {
			t.Errorf("licence: %s / %s", food.Materials[1].Provision, sign.Materials[1].Provision)
		}
		// Each goes to its own department in parallel: the sign is approved
		// by its rule at once, the food application waits with 容缺.
		if sign.Status != casework.StatusApproved || sign.RuleVersion == 0 || sign.CertificateID == 0 {
			t.Errorf("sign: %s rule %d cert %d", sign.Status, sign.RuleVersion, sign.CertificateID)
		}
		if food.Status != casework.StatusSubmitted || !food.ShortfallOpen || cit.Status != casework.StatusSubmitted ||
			cit.DepartmentID != w.deptB || food.DepartmentID != w.deptA {
			t.Errorf("food %s shortfall %v, citizen item %s dept %d", food.Status, food.ShortfallOpen, cit.Status, cit.DepartmentID)
		}
		// The applicant sees the bundle; the other department's staff see it
		// too (they handle one of its applications); another citizen does not.
		got, err := w.m.GetBundleApplication(ctx, w.a("ent"), ba.ID)
		if err != nil || got.Done() {
			t.Fatalf("get: %v done %v", err, got != nil && got.Done())
		}
		if _, err := w.m.GetBundleApplication(ctx, w.a("hbn"), ba.ID); err != nil {
			t.Errorf("department B: %v", err)
		}
		if _, err := w.m.GetBundleApplication(ctx, w.a("cit2"), ba.ID); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("stranger: %v", err)
		}
		if id, _ := w.m.BundleOf(ctx, food.ID); id != ba.ID {
			t.Errorf("BundleOf = %d", id)
		}

		// The bundle's result comes only when every application is decided.
		step := func(what string, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			b, err := w.m.GetBundleApplication(ctx, w.a("ent"), ba.ID)
			if err != nil {
				t.Fatal(err)
			}
			if b.Done() != (what == "last") || b.FinishedAt().IsZero() == b.Done() {
				t.Fatalf("after %s: done %v finished %v", what, b.Done(), b.FinishedAt())
			}
		}
		_, err = w.m.AcceptWithShortfall(ctx, w.a("clerk"), food.ID, "", "")
		step("accept food", err)
		_, err = w.m.SupplyShortfall(ctx, w.a("ent"), food.ID, 3, upload("制度.pdf"))
		step("supply", err)
		_, err = w.m.Pass(ctx, w.a("han"), food.ID, "符合")
		step("pass food", err)
		_, err = w.m.Decide(ctx, w.a("apa"), food.ID, casework.Decision{Approve: true, Reason: "准予"})
		step("approve food", err)
		_, err = w.m.Accept(ctx, w.a("clerk"), cit.ID, "")
		step("accept citizen item", err)
		_, err = w.m.Pass(ctx, w.a("hbn"), cit.ID, "符合")
		step("pass citizen item", err)
		_, err = w.m.Decide(ctx, w.a("apb"), cit.ID, casework.Decision{Reason: "占道影响通行，不予许可"})
		step("last", err)
		b, _ := w.m.GetBundleApplication(ctx, w.a("ent"), ba.ID)
		if b.Approved() != 2 || b.Children[2].Status != casework.StatusRejected {
			t.Errorf("result: %d approved, last %s", b.Approved(), b.Children[2].Status)
		}
	})
}

func TestBundleAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		defineBundle(t, w)
		certs := w.count("certificates")
		// The citizen item's field is missing and the application form is
		// promised (it may not be): the sign alone would have been approved
		// and its certificate issued, but nothing at all is stored.
		in := bundleInput(w)
		delete(in.Form, "place")
		in.Materials[0] = casework.BundleMaterialInput{Key: "name:申请书", Shortfall: true}
		_, err := w.m.SubmitBundle(ctx, w.a("ent"), in)
		if !errors.Is(err, casework.ErrInvalid) {
			t.Fatalf("invalid child: %v", err)
		}
		got := paths(err)
		if !slices.Contains(got, "form.place") || !slices.Contains(got, "materials[0]") {
			t.Errorf("problems %v", got)
		}
		// Reported once per merged entry, not once per item.
		n := 0
		for _, p := range got {
			if p == "materials[0]" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("materials[0] reported %d times: %v", n, err)
		}
		for _, table := range []string{"casework_applications", "casework_bundle_applications", "casework_bundle_children",
			"casework_files", "flow_instances"} {
			if c := w.count(table); c != 0 {
				t.Errorf("%s: %d rows after a refused bundle", table, c)
			}
		}
		if w.count("certificates") != certs {
			t.Error("a certificate was issued for a refused bundle")
		}
		// Unknown materials and fields are refused too.
		in = bundleInput(w)
		in.Form["colour"] = "red"
		in.Materials = append(in.Materials, casework.BundleMaterialInput{Key: "name:护照"})
		if got := paths(mustFail(w.m.SubmitBundle(ctx, w.a("ent"), in))); !slices.Contains(got, "form.colour") || !slices.Contains(got, "materials[5]") {
			t.Errorf("unknown input: %v", got)
		}
		if _, err := w.m.SubmitBundle(ctx, w.a("ent"), casework.BundleInput{BundleCode: "NOPE"}); !errors.Is(err, casework.ErrBundleNotFound) {
			t.Errorf("unknown bundle: %v", err)
		}
	})
}

func mustFail(_ *casework.BundleApplication, err error) error { return err }
