package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/annualreport"
	"github.com/yingshang/yingshang/internal/app"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/certificate"
	"github.com/yingshang/yingshang/internal/demo"
	"github.com/yingshang/yingshang/internal/enforcement"
	"github.com/yingshang/yingshang/internal/fairreview"
	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/notify"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/warning"
)

// publicRoutes may answer 2xx to a client that has not signed in: the
// public pages (guides, FAQ, rankings, verification, the satisfaction
// survey behind its bearer link), Open311, sign-in, assets, health and the
// API description. Everything else must refuse anonymous callers.
var publicRoutes = map[string]bool{
	"GET /{$}": true, "GET /signin": true, "POST /signin": true, "POST /signout": true,
	"GET /static/": true, "GET /healthz": true,
	"GET /inspections/draws": true, "GET /inspections/draws/{id}": true, "GET /inspections/items": true,
	"GET /api/v1/inspections/draws": true, "GET /api/v1/inspections/draws/{id}": true,
	"GET /api/v1/inspections/commitments": true, "GET /api/v1/inspections/public-items": true,
	"GET /admin/assets/admin.css": true, "GET /catalog/assets/catalog.css": true,
	"GET /api/v1/openapi.json": true, "GET /api/v1/openapi-3.0.json": true,
	"GET /api/v1/openapi.yaml": true, "GET /api/v1/openapi-3.0.yaml": true, "GET /api/v1/schemas/{schema}": true,
	"POST /api/v1/sessions":                          true,
	"POST /api/v1/fair-review/measures/{id}/reports": true, "GET /api/v1/fair-review/tracking/{token}": true,
	"GET /catalog": true, "GET /catalog/items/{code}": true, "GET /catalog/items/{code}/notice": true,
	"GET /catalog/files/{sha}": true, "GET /api/v1/catalog/items": true, "GET /api/v1/catalog/items/{code}": true,
	"GET /notices/verify/{token}": true, "GET /notices/verify/{token}/qr": true, "GET /api/v1/notices/verify/{token}": true,
	"GET /verify": true, "GET /verify/{token}": true, "GET /verify/{token}/qr": true, "GET /api/v1/certificates/verify/{token}": true,
	"GET /hotline/lookup": true, "POST /hotline/lookup": true, "GET /hotline/visit/{token}": true,
	"POST /hotline/visit/{token}": true, "GET /hotline/ranking": true, "GET /api/v1/hotline/ranking": true,
	"GET /knowledge/suggest": true, "GET /api/v1/knowledge/suggest": true,
	"GET /faq": true, "GET /faq/{id}": true, "GET /api/v1/knowledge/faq": true, "GET /api/v1/knowledge/faq/{id}": true,
	"GET /api/v1/bundles": true, "GET /api/v1/bundles/{code}": true,
	"GET /audit/heads": true, "GET /audit/key": true,
	"GET /bundles": true, "GET /bundles/{code}": true, "GET /apply": true, "GET /apply/{code}": true,
	"GET /open311/{file}": true, "GET /open311/v2/{file}": true, "POST /open311/v2/{file}": true, "GET /open311/v2/services/{file}": true,
	"GET /open311/v2/requests/{file}": true, "GET /open311/v2/tokens/{file}": true,
	"GET /hotline/submit": true, "POST /hotline/submit": true, "GET /hotline/submit/similar": true,
	"GET /hotline/track/{token}": true, "POST /hotline/track/{token}/{action}": true, "GET /hotline/track/{token}/photos/{n}": true,
	"GET /credit/assets/credit.css": true, "GET /credit/public": true, "GET /credit/public/{uscc}": true,
	"GET /credit/verify/{token}": true, "GET /api/v1/credit/public/{uscc}": true, "GET /api/v1/credit/reports/verify/{token}": true,
	"GET /api/v1/annual-reports/public/{uscc}/{year}": true,
	"GET /discretion": true, "GET /api/v1/discretion/lists": true,
	"GET /ratings/t/{token}": true, "POST /ratings/t/{token}": true, "GET /ratings/thanks": true, "GET /ratings/public": true,
	"GET /enforcement/assets/enforcement.css": true,
	"GET /policies/publicity":                 true,
	"GET /visits/assets/visit.js":             true, "GET /visits/assets/visit.css": true, "GET /jgb/{uscc}": true,
	"GET /fair-review/public": true, "GET /fair-review/public/{id}": true, "POST /fair-review/public/{id}/comments": true,
	"POST /api/v1/fair-review/measures/{id}/comments": true, "GET /api/v1/fair-review/public/measures": true,
	"POST /fair-review/public/{id}/reports": true, "GET /fair-review/track/{token}": true, "GET /fair-review/assets/fairreview.css": true,
}

// matrix is the demo platform seen by every demo account and by anonymous
// callers, with what it needs to choose, for each caller, objects that the
// objects' own modules keep from that caller.
type matrix struct {
	a      *app.App
	srv    *httptest.Server
	ctx    context.Context
	actors map[string]*auth.Actor // by username; "" is anonymous (nil)
	tokens map[string]string
	// resolved caches outOfScope by caller and wildcard key: several
	// routes name the same objects.
	resolved map[string][]string
	// bodies holds the JSON body sent to each API write, by route.
	bodies map[string]string
}

// candidate is an object a wildcard may name.
type candidate struct {
	value  string // what goes into the path
	group  string // one out-of-scope object is tried per group (subject type, say)
	region string // GB/T 2260 region of the object, to try the nearest first
}

// wildcard resolves one path wildcard. An object wildcard names objects
// that have a scope: every caller is given objects the owning module would
// not show it, and no route may then answer 2xx. A free wildcard names
// something without scope (a year, a public code, a bearer token): it gets
// fixed values, and only 5xx and anonymous access are checked.
type wildcard struct {
	free       []string
	candidates func(m *matrix) []candidate
	readable   func(m *matrix, a *auth.Actor, c candidate) bool
}

// outOfScope returns, per group, one object a may not read by its module's
// own answer, preferring objects in a's region: they are what a generic
// rule (a clerk's region, a department) would wrongly let through. With no
// candidate at all it returns an id that does not exist.
func (w wildcard) outOfScope(m *matrix, a *auth.Actor) []string {
	cs := w.candidates(m)
	if len(cs) == 0 {
		return []string{"987654321"}
	}
	near := func(c candidate) bool {
		return a != nil && a.RegionCode != "" && c.region != "" && ids.RegionContains(a.RegionCode, c.region)
	}
	slices.SortStableFunc(cs, func(x, y candidate) int {
		switch nx, ny := near(x), near(y); {
		case nx && !ny:
			return -1
		case ny && !nx:
			return 1
		}
		return 0
	})
	seen := map[string]bool{}
	var out []string
	for _, c := range cs {
		if seen[c.group] || (a != nil && w.readable(m, a, c)) {
			continue
		}
		seen[c.group] = true
		out = append(out, c.value)
	}
	return out
}

func (m *matrix) rows(query string) []candidate {
	rows, err := m.a.DB.QueryContext(m.ctx, query)
	if err != nil {
		panic(fmt.Sprintf("%s: %v", query, err))
	}
	defer rows.Close()
	var out []candidate
	for rows.Next() {
		var c candidate
		if err := rows.Scan(&c.value, &c.group, &c.region); err != nil {
			panic(err)
		}
		out = append(out, c)
	}
	return out
}

func id(c candidate) int64 { n, _ := strconv.ParseInt(c.value, 10, 64); return n }

func free(vs ...string) wildcard { return wildcard{free: vs} }

// wildcards maps "segment/{name}" (the static segment before a wildcard,
// after /api/v1, and the wildcard) to its resolver. A route whose wildcard
// is missing here fails the test, so a new route cannot escape it.
var wildcards = map[string]wildcard{
	// On-site inspections, read through their own module.
	"visits/{visit}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(id AS TEXT), status, '' FROM visits ORDER BY id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			_, err := m.a.Visits.Get(m.ctx, a, id(c))
			return err == nil
		},
	},
	// 监管宝: a business's public file and its label (staff only).
	"jgb/{uscc}": free(demo.EnterpriseUSCC(), otherUSCC),
	// Penalty cases, read through their own module.
	"cases/{case}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(id AS TEXT), status, region_code FROM enforcement_cases ORDER BY id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			_, err := m.a.Enforcement.Get(m.ctx, a, id(c), "zh-CN")
			return err == nil
		},
	},
	"evidence/{eid}":  free("1"),
	"documents/{doc}": free("filing", "notice", "review", "decision"),
	"cases/{id}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(id AS TEXT), subject_type, region_code FROM flow_instances ORDER BY id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			var typ, region, depts string
			var subject, owner int64
			if err := m.a.DB.QueryRowContext(m.ctx, "SELECT subject_type, subject_id, region_code, department_ids, owner_user_id FROM flow_instances WHERE id = ?", id(c)).
				Scan(&typ, &subject, &region, &depts, &owner); err != nil {
				panic(err)
			}
			// The answer of the subject's own module, never the inbox's.
			switch typ {
			case hotline.Kind:
				_, err := m.a.Hotline.Get(m.ctx, a, subject)
				return err == nil
			case casework.SubjectType, casework.SubjectVerification:
				_, err := m.a.Casework.Get(m.ctx, a, subject)
				return err == nil
			case certificate.SubjectVerification:
				_, err := m.a.Certs.GetVerification(m.ctx, subject, a)
				return err == nil
			case enforcement.SubjectType:
				_, err := m.a.Enforcement.Get(m.ctx, a, subject, "zh-CN")
				return err == nil
			case warning.SubjectType:
				_, err := m.a.Warnings.Get(m.ctx, a, subject)
				return err == nil
			}
			in, err := m.a.Flow.Instance(m.ctx, id(c))
			if err != nil {
				panic(err)
			}
			return m.a.Policy.Authorize(a, auth.ActRead, auth.Object{Kind: "case", RegionCode: in.RegionCode,
				DepartmentIDs: in.DepartmentIDs, OwnerUserID: in.OwnerUserID}) == nil
		},
	},
	"orders/{id}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(id AS TEXT), CASE WHEN confidential THEN 'confidential' ELSE 'plain' END, region_code FROM hotline_orders ORDER BY id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			_, err := m.a.Hotline.Get(m.ctx, a, id(c))
			return err == nil
		},
	},
	// A citizen's or business's own page of an order it filed (not a
	// colleague's, not one it may only read).
	"mine/{id}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(id AS TEXT), CASE WHEN caller_user_id <> 0 THEN 'owned' ELSE 'phone' END, region_code FROM hotline_orders ORDER BY id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			_, err := m.a.Hotline.SubmitterOrder(m.ctx, hotline.Submitter{Actor: a}, id(c))
			return err == nil
		},
	},
	// A co-handler's attachment is read as its order is.
	"files/{fid}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(f.id AS TEXT), 'file', o.region_code FROM hotline_contribution_files f JOIN hotline_orders o ON o.id = f.order_id ORDER BY f.id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			var order int64
			if err := m.a.DB.QueryRowContext(m.ctx, "SELECT order_id FROM hotline_contribution_files WHERE id = ?", id(c)).Scan(&order); err != nil {
				return false
			}
			_, _, err := m.a.Hotline.ContributionFileData(m.ctx, a, order, id(c))
			return err == nil
		},
	},
	"applications/{id}": applications,
	// 好差评 follow-ups: the responsible department's and the overseers'.
	"followups/{id}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(id AS TEXT), status, '' FROM rating_followups ORDER BY id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			_, err := m.a.Rating.FollowUp(m.ctx, a, id(c))
			return err == nil
		},
	},
	// The applicant's documents, readable exactly when their case is.
	"notices/{id}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(id AS TEXT), kind, '' FROM notices ORDER BY id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			_, err := m.a.Notices.Get(m.ctx, a, id(c))
			return err == nil
		},
	},
	"records/{record}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(id AS TEXT), kind, region_code FROM supervision_records ORDER BY id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			_, err := m.a.Inbox.Record(m.ctx, a, id(c))
			return err == nil
		},
	},
	"cross-region/{id}": applications,
	"certificates/{id}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(id AS TEXT), holder_kind, '' FROM certificates ORDER BY id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			_, err := m.a.Certs.Get(m.ctx, id(c), a)
			return err == nil
		},
	},
	"verifications/{id}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(id AS TEXT), 'v', '' FROM certificate_verifications ORDER BY id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			_, err := m.a.Certs.GetVerification(m.ctx, id(c), a)
			return err == nil
		},
	},
	"consents/{id}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(id AS TEXT), 'c', '' FROM certificate_consents ORDER BY id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			cs, _ := m.a.Certs.Consents(m.ctx, a)
			return slices.ContainsFunc(cs, func(x certificate.Consent) bool { return x.ID == id(c) })
		},
	},
	"bundle-applications/{id}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(id AS TEXT), 'b', intake_region FROM casework_bundle_applications ORDER BY id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			_, err := m.a.Casework.GetBundleApplication(m.ctx, a, id(c))
			return err == nil
		},
	},
	"knowledge/{id}": articles,
	"articles/{id}":  articles,
	"manage/{id}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(id AS TEXT), 'i', '' FROM catalog_items ORDER BY id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			_, err := m.a.Catalog.Working(m.ctx, a, id(c))
			return err == nil
		},
	},
	"drafts/{code}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT code, 'i', '' FROM catalog_items ORDER BY id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			_, err := m.a.Catalog.WorkingByCode(m.ctx, a, c.value)
			return err == nil
		},
	},
	"messages/{id}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(id AS TEXT), 'm', '' FROM notify_messages ORDER BY id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			msgs, _, _ := m.a.Notify.List(m.ctx, a, notify.Query{Limit: 200})
			return slices.ContainsFunc(msgs, func(x notify.Message) bool { return x.ID == id(c) })
		},
	},
	"users/{id}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(id AS TEXT), 'u', region_code FROM users ORDER BY id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			u, err := m.a.Org.GetUser(m.ctx, id(c))
			if err != nil {
				panic(err)
			}
			return m.a.Policy.Authorize(a, auth.ActAdminister, auth.Object{Kind: "user", RegionCode: u.RegionCode,
				DepartmentIDs: u.DepartmentIDs, OwnerUserID: u.ID}) == nil
		},
	},
	"departments/{id}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(id AS TEXT), 'd', region_code FROM departments ORDER BY id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			var region string
			if err := m.a.DB.QueryRowContext(m.ctx, "SELECT region_code FROM departments WHERE id = ?", id(c)).Scan(&region); err != nil {
				panic(err)
			}
			return m.a.Policy.Authorize(a, auth.ActAdminister, auth.Object{Kind: "department", RegionCode: region}) == nil
		},
	},

	"records/{id}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(id AS TEXT), kind, region_code FROM credit_records ORDER BY id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			_, err := m.a.Credit.GetRecord(m.ctx, a, id(c), calendar.DateOf(time.Now()))
			return err == nil
		},
	},
	"abnormal/{id}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(id AS TEXT), 'a', '' FROM credit_abnormal ORDER BY id")
		},
		// Only the listing department removes a listing.
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			var dept int64
			if err := m.a.DB.QueryRowContext(m.ctx, "SELECT department_id FROM credit_abnormal WHERE id = ?", id(c)).Scan(&dept); err != nil {
				panic(err)
			}
			return a.InDepartment(dept)
		},
	},
	"entities/{uscc}": businesses,
	// A risk class is for supervision staff of the business's region only.
	"classes/{uscc}": {
		candidates: func(m *matrix) []candidate {
			cs := m.rows("SELECT uscc, region_code, region_code FROM risk_classes ORDER BY uscc")
			return append(cs, candidate{value: otherUSCC, group: "none"})
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			_, err := m.a.Risk.Explain(m.ctx, a, c.value)
			return err == nil
		},
	},
	// Model versions are the root region's administrators'.
	"models/{version}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(version AS TEXT), status, '' FROM risk_models ORDER BY version")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			_, err := m.a.Risk.GetVersion(m.ctx, a, id(c))
			return err == nil
		},
	},
	// Versions of the fair-competition screening rule library are the
	// administrators' (pages under /fair-review/rules, API under
	// /api/v1/fair-review/libraries).
	"rules/{version}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(version AS TEXT), status, '' FROM fairscreen_libraries ORDER BY version")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			_, err := m.a.FairScreen.GetVersion(m.ctx, a, id(c))
			return err == nil
		},
	},
	"libraries/{version}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(version AS TEXT), status, '' FROM fairscreen_libraries ORDER BY version")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			_, err := m.a.FairScreen.GetVersion(m.ctx, a, id(c))
			return err == nil
		},
	},
	"repairs/{id}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(id AS TEXT), 'r', region_code FROM credit_repairs ORDER BY id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			_, err := m.a.Credit.GetRepair(m.ctx, a, id(c))
			return err == nil
		},
	},
	"reports/{id}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(id AS TEXT), 'r', '' FROM credit_reports ORDER BY id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			_, err := m.a.Credit.GetReport(m.ctx, a, id(c))
			return err == nil
		},
	},
	"warnings/{id}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(id AS TEXT), rule_id, region_code FROM warnings ORDER BY id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			_, err := m.a.Warnings.Get(m.ctx, a, id(c))
			return err == nil
		},
	},
	"measures/{id}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(id AS TEXT), status, region_code FROM fr_measures ORDER BY id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			if a == nil {
				return false
			}
			_, err := m.a.FairReview.Get(m.ctx, m.a.FairReview.ActorOf(m.ctx, a), id(c))
			return err == nil
		},
	},
	"tracking/{token}": free("00000000000000000000000000000000"),
	// The public's view of a measure: drafts in their comment period and
	// issued measures only.
	"public/{id}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(id AS TEXT), status, region_code FROM fr_measures ORDER BY id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			_, err := m.a.FairReview.PublicMeasure(m.ctx, id(c))
			return err == nil
		},
	},
	// A public report is answered by the review office of its measure's
	// region.
	"reports/{rid}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(r.id AS TEXT), 'r', ms.region_code FROM fr_reports r JOIN fr_measures ms ON ms.id = r.measure_id ORDER BY r.id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			rs, _ := m.a.FairReview.Reports(m.ctx, m.a.FairReview.ActorOf(m.ctx, a))
			return slices.ContainsFunc(rs, func(r *fairreview.Report) bool { return r.ID == id(c) })
		},
	},
	"public/{uscc}": free("not-a-code"),
	"files/{n}":     free("0"),
	"check/{uscc}":  businesses,
	"checks/{uscc}": businesses,
	// Policies: drafts are their department's; results a business's own.
	"policies/{id}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(id AS TEXT), status, region_code FROM policies ORDER BY id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			_, err := m.a.Policies.Get(m.ctx, a, id(c))
			return err == nil
		},
	},
	"calculator/{id}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(id AS TEXT), status, region_code FROM policies ORDER BY id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			_, err := m.a.Policies.Explain(m.ctx, a, id(c), a.USCC)
			return err == nil && a.Has(auth.RoleEnterprise)
		},
	},
	"grants/{id}":        policyGrants,
	"policy-grants/{id}": policyGrants,
	"explain/{uscc}":     businesses,
	"objections/{oid}":   free("1"),

	"annual-reports/{uscc}": reportingBusinesses,
	"removals/{id}":         removalListings,
	"listings/{id}":         removalListings,
	"mine/{year}":           free(reportYear()),
	"removals/{year}":       free(reportYear()),
	"{uscc}/{year}":         free(reportYear()),

	// Published draws are public.
	"draws/{id}": free("1"),
	// Inspection items: drafts for their department's staff, published for all.
	"items/{id}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(id AS TEXT), status, region_code FROM inspection_items ORDER BY id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			_, err := m.a.Inspections.GetItem(m.ctx, a, id(c))
			return err == nil
		},
	},
	"inspectors/{id}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(id AS TEXT), 'i', region_code FROM inspection_inspectors ORDER BY id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			_, err := m.a.Inspections.GetInspector(m.ctx, a, id(c))
			return err == nil
		},
	},
	"tasks/{id}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(id AS TEXT), status, region_code FROM inspection_tasks ORDER BY id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			_, err := m.a.Inspections.GetTask(m.ctx, a, id(c))
			return err == nil
		},
	},

	// Monitoring devices and their alerts, read through the module.
	"devices/{device}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(id AS TEXT), CAST(department_id AS TEXT), region_code FROM monitoring_devices ORDER BY id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			_, err := m.a.Monitoring.GetDevice(m.ctx, a, id(c))
			return err == nil
		},
	},
	"alerts/{alert}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(id AS TEXT), grade, region_code FROM monitoring_alerts ORDER BY id")
		},
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			_, err := m.a.Monitoring.GetAlert(m.ctx, a, id(c))
			return err == nil
		},
	},

	"sessions/{id}": {
		candidates: func(m *matrix) []candidate {
			return m.rows("SELECT CAST(id AS TEXT), 's', '' FROM sessions ORDER BY id")
		},
		// One's own sessions only (the account page ends them).
		readable: func(m *matrix, a *auth.Actor, c candidate) bool {
			var user int64
			if err := m.a.DB.QueryRowContext(m.ctx, "SELECT user_id FROM sessions WHERE id = ?", id(c)).Scan(&user); err != nil {
				return false
			}
			return user == a.UserID
		},
	},

	// Wildcards without a scope of their own.
	"schemas/{schema}":    free("CaseworkApplication"),
	"extensions/{ext}":    free("1"),
	"tokens/{token}":      free("1"),
	"calendar/{year}":     free("2026"),
	"years/{year}":        free("2026"),
	"items/{code}":        free("DEMO-NONE"),
	"materials/{n}":       free("0"),
	"files/{sha}":         free(strings.Repeat("0", 64)),
	"verify/{token}":      free("not-a-token"),
	"visit/{token}":       free("not-a-token"),
	"t/{token}":           free("not-a-token"),
	"track/{token}":       free("not-a-token", strings.Repeat("ab", 20)), // malformed, and well-formed of no order
	"{token}/{action}":    free("info", "withdraw"),
	"photos/{n}":          free("0"),
	"{id}/{action}":       free("sign", "reply"),
	"categories/{code}":   free("01"),
	"limits/{type}":       free("complaint"),
	"faq/{id}":            free("1"),
	"versions/{v}":        free("1"),
	"versions/{version}":  free("1"),
	"apply/{code}":        free("DEMO-NONE"),
	"bundle-admin/{code}": free("DEMO-NONE"),
	"bundles/{code}":      free("DEMO-NONE"),
	"flows/{key}":         free("demo.general"),
	"revisions/{kind}":    free("calendar", "hotline.directory"),
	"{kind}/{key}":        free("2026"),
	"{key}/{id}":          free("1"),
	"open311/{file}":      free("discovery.json", "discovery.xml"),
	"v2/{file}":           free("discovery.json", "services.json", "requests.json"),
	"services/{file}":     free("001.json"),
	"requests/{file}":     free("1.json"),
	"tokens/{file}":       free("x.json"),
}

var applications = wildcard{
	candidates: func(m *matrix) []candidate {
		return m.rows("SELECT CAST(id AS TEXT), applicant_kind, intake_region FROM casework_applications ORDER BY id")
	},
	readable: func(m *matrix, a *auth.Actor, c candidate) bool {
		_, err := m.a.Casework.Get(m.ctx, a, id(c))
		return err == nil
	},
}

// businesses are the enterprises with credit information, and one more
// (valid, unknown); a business's credit state is the credit module's to
// show.
var businesses = wildcard{
	candidates: func(m *matrix) []candidate {
		cs := m.rows("SELECT DISTINCT uscc, 'b', '' FROM credit_records")
		return append(cs, candidate{value: demo.EnterpriseUSCC(), group: "b"}, candidate{value: otherUSCC, group: "b"})
	},
	readable: func(m *matrix, a *auth.Actor, c candidate) bool {
		_, err := m.a.Credit.StateOf(m.ctx, a, c.value, calendar.Date{})
		return err == nil
	},
}

// reportingBusinesses are the businesses of the register, whose annual
// reports staff read and a business reads its own.
var reportingBusinesses = wildcard{
	candidates: func(m *matrix) []candidate {
		cs := m.rows("SELECT uscc, uscc, '' FROM entities ORDER BY uscc")
		return append(cs, candidate{value: otherUSCC, group: "other"})
	},
	readable: func(m *matrix, a *auth.Actor, c candidate) bool {
		_, err := m.a.AnnualReports.Listings(m.ctx, a, c.value)
		return err == nil
	},
}

// removalListings are the annual-report listings, decided only by their
// department, and one that does not exist.
var removalListings = wildcard{
	candidates: func(m *matrix) []candidate {
		cs := m.rows("SELECT CAST(id AS TEXT), 'l', region_code FROM annual_report_listings ORDER BY id")
		return append(cs, candidate{value: "999999", group: "none"})
	},
	readable: func(m *matrix, a *auth.Actor, c candidate) bool {
		ls, err := m.a.AnnualReports.PendingRemovals(m.ctx, a, 0, 1000)
		return err == nil && slices.ContainsFunc(ls, func(l annualreport.Listing) bool { return strconv.FormatInt(l.ID, 10) == c.value })
	},
}

// reportYear is the year whose annual report is due now.
func reportYear() string { return strconv.Itoa(time.Now().Year() - 1) }

// otherUSCC is a valid code of a business the demo does not know.
var otherUSCC = "91990103MA01YL9B0" + string(ids.USCCCheck("91990103MA01YL9B0"))

var articles = wildcard{
	candidates: func(m *matrix) []candidate {
		return m.rows("SELECT CAST(id AS TEXT), status, '' FROM kb_articles ORDER BY id")
	},
	readable: func(m *matrix, a *auth.Actor, c candidate) bool {
		_, err := m.a.KB.Get(m.ctx, a, id(c))
		return err == nil
	},
}

// probe is one request of the matrix.
type probe struct {
	route, method, path string
	object              bool // a wildcard names an object out of the caller's scope
}

// expand fills the wildcards of route for actor a, one probe per
// out-of-scope object (and per free value).
func (m *matrix) expand(t *testing.T, route string, a *auth.Actor) []probe {
	method, path, ok := strings.Cut(route, " ")
	if !ok {
		method, path = "", route
	}
	switch path {
	case "/":
		path = "/no-such-page"
	case "/api/":
		path = "/api/no-such-operation"
	}
	path = strings.Replace(path, "{$}", "", 1)
	segs := strings.Split(path, "/")
	// Each wildcard's values; the first value of each is used while
	// another varies.
	type slot struct {
		i      int
		values []string
		object bool
	}
	var slots []slot
	for i, s := range segs {
		if !strings.HasPrefix(s, "{") {
			continue
		}
		prev := ""
		if i > 0 {
			prev = segs[i-1]
		}
		if prev == "v1" {
			prev = ""
		}
		key := prev + "/" + s
		w, ok := wildcards[key]
		if !ok {
			t.Errorf("route %q: no resolver for wildcard %q: add one to wildcards", route, key)
			return nil
		}
		if w.free != nil {
			slots = append(slots, slot{i, w.free, false})
			continue
		}
		ck := key
		if a != nil {
			ck += "@" + strconv.FormatInt(a.UserID, 10)
		}
		vs, ok := m.resolved[ck]
		if !ok {
			vs = w.outOfScope(m, a)
			m.resolved[ck] = vs
		}
		if len(vs) == 0 {
			return nil // the caller may read every such object: nothing to probe
		}
		slots = append(slots, slot{i, vs, true})
	}
	methods := []string{"GET"}
	if method != "" && method != "GET" {
		methods = append(methods, method)
	}
	if method == "" {
		methods = append(methods, "POST")
	}
	fill := func(vary, k int) (string, bool) {
		out := slices.Clone(segs)
		object := false
		for j, sl := range slots {
			v := sl.values[0]
			if j == vary {
				v = sl.values[k]
			}
			out[sl.i] = v
			object = object || sl.object
		}
		return strings.Join(out, "/"), object
	}
	var paths []string
	var objects []bool
	add := func(p string, o bool) {
		if !slices.Contains(paths, p) {
			paths, objects = append(paths, p), append(objects, o)
		}
	}
	add(fill(-1, 0))
	for j, sl := range slots {
		for k := 1; k < len(sl.values); k++ {
			add(fill(j, k))
		}
	}
	var out []probe
	for _, meth := range methods {
		for i, p := range paths {
			out = append(out, probe{route: route, method: meth, path: p, object: objects[i]})
		}
	}
	return out
}

// do sends p as the user whose session token is token ("" for anonymous),
// with a same-origin Origin header so that writes are not refused as
// cross-site, and returns the status and the redirect target.
func (m *matrix) do(t *testing.T, token string, p probe) (int, string) {
	var body io.Reader
	var ctype string
	if p.method != "GET" {
		if strings.HasPrefix(p.path, "/api/") {
			body, ctype = strings.NewReader(m.bodies[p.method+" "+routePath(p.route)]), "application/json"
		} else {
			body, ctype = strings.NewReader("x=1"), "application/x-www-form-urlencoded"
		}
	}
	req, err := http.NewRequest(p.method, m.srv.URL+p.path, body)
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Origin", m.srv.URL)
	if token != "" {
		req.AddCookie(&http.Cookie{Name: "ys_session", Value: token})
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

// routePath is the path part of a route pattern.
func routePath(route string) string {
	if _, p, ok := strings.Cut(route, " "); ok {
		return p
	}
	return route
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// TestRouteMatrix walks every registered route, pages and API, for every
// demo account and for anonymous callers, with the wildcards naming objects
// the caller's own module would not show it (another department, another
// district, another citizen), with GET and with the route's own method. No
// such request may succeed (2xx, or a redirect other than to sign-in), none
// may fail with 5xx or answer 409 (which would confirm that the object
// exists), and anonymous callers get 2xx only from publicRoutes.
func TestRouteMatrix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, err := app.WithDB(ctx, db, app.Config{DataDir: t.TempDir(), PasswordParams: &auth.TestPasswordParams, RootRegion: demo.CityCode})
		if err != nil {
			t.Fatal(err)
		}
		seeded, err := a.SeedDemo(ctx, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		// Deliver the demo's events, so messages exist to be probed.
		for {
			n, err := a.Outbox.RunOnce(ctx, 500)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		m := &matrix{a: a, ctx: ctx, srv: httptest.NewServer(a.Web.Handler()),
			actors: map[string]*auth.Actor{"": nil}, tokens: map[string]string{"": ""}, resolved: map[string][]string{}}
		defer m.srv.Close()
		// The fragments first: the walk below tries writes.
		t.Run("fragments", func(t *testing.T) { checkFragments(t, a, seeded, m.srv) })
		for _, acc := range seeded.Accounts {
			token, actor, err := a.Auth.SignIn(ctx, acc.Username, demo.Password, auth.ClientMeta{IP: "127.0.0.1"})
			if err != nil {
				t.Fatal(err)
			}
			m.actors[acc.Username], m.tokens[acc.Username] = actor, token
		}
		users := make([]string, 0, len(m.actors))
		for u := range m.actors {
			users = append(users, u)
		}
		slices.Sort(users)
		routes := a.Web.Routes()
		if len(routes) < 100 {
			t.Fatalf("only %d routes registered", len(routes))
		}
		m.bodies = map[string]string{}
		for _, r := range routes {
			method, path, _ := strings.Cut(r, " ")
			if strings.HasPrefix(path, "/api/") {
				m.bodies[r] = exampleBody(a.Web.API(), method, path)
				// A GET on a write's path sends no body; the map is
				// read for writes only.
			}
		}
		type job struct {
			who   string
			anon  bool
			token string
			p     probe
		}
		var jobs []job
		chosen := time.Now()
		for _, u := range users {
			actor, token := m.actors[u], m.tokens[u]
			who := u
			if who == "" {
				who = "anonymous"
			}
			for _, route := range routes {
				// Signing out would end the session the rest of the walk uses.
				if route == "POST /signout" || route == "DELETE /api/v1/sessions/current" {
					continue
				}
				for _, p := range m.expand(t, route, actor) {
					jobs = append(jobs, job{who, actor == nil, token, p})
				}
			}
		}
		t.Logf("%d probes chosen in %v", len(jobs), time.Since(chosen).Round(time.Millisecond))
		start, n := time.Now(), len(jobs)
		// A few requests at a time: the walk is bound by database round
		// trips, not by the test's CPU.
		var wg sync.WaitGroup
		var mu sync.Mutex
		writes := map[int]int{} // API writes by status, to see how far bodies get
		next := make(chan job)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range next {
					p, who := j.p, j.who
					status, loc := m.do(t, j.token, p)
					if p.method != "GET" && strings.HasPrefix(p.path, "/api/") {
						mu.Lock()
						writes[status]++
						mu.Unlock()
					}
					switch {
					case status >= 500:
						t.Errorf("%s %s %s (%s): %d", who, p.method, p.path, p.route, status)
					case p.object && status < 300:
						t.Errorf("%s %s %s (%s): %d for an object out of scope", who, p.method, p.path, p.route, status)
					case p.object && status == http.StatusConflict:
						t.Errorf("%s %s %s (%s): 409 for an object out of scope confirms that it exists", who, p.method, p.path, p.route)
					case p.object && status < 400 && !strings.HasPrefix(loc, "/signin"):
						t.Errorf("%s %s %s (%s): %d to %q for an object out of scope", who, p.method, p.path, p.route, status, loc)
					case j.anon && status < 300 && !publicRoutes[p.method+" "+routePath(p.route)]:
						t.Errorf("anonymous %s %s (%s): %d, not a public route", p.method, p.path, p.route, status)
					}
				}
			}()
		}
		for _, j := range jobs {
			next <- j
		}
		close(next)
		wg.Wait()
		t.Logf("API writes by status: %v", writes)
		t.Logf("%d routes, %d requests by %d callers in %v", len(routes), n, len(users), time.Since(start).Round(time.Millisecond))
	})
}

// exampleBody returns a JSON body for the API operation method path that
// passes the document's own validation (required fields with the least
// value their schema allows), so that the walk reaches the operation's
// authorisation instead of stopping at a 422; "{}" without a schema.
func exampleBody(api huma.API, method, path string) string {
	item := api.OpenAPI().Paths[path]
	if item == nil {
		return "{}"
	}
	var op *huma.Operation
	switch method {
	case http.MethodPost:
		op = item.Post
	case http.MethodPut:
		op = item.Put
	case http.MethodPatch:
		op = item.Patch
	case http.MethodDelete:
		op = item.Delete
	}
	if op == nil || op.RequestBody == nil || op.RequestBody.Content["application/json"] == nil {
		return "{}"
	}
	v := example(api.OpenAPI().Components.Schemas, op.RequestBody.Content["application/json"].Schema, 0)
	b, err := json.Marshal(v)
	if err != nil {
		return "{}"
	}
	return string(b)
}

func example(reg huma.Registry, s *huma.Schema, depth int) any {
	if s == nil || depth > 6 {
		return nil
	}
	if s.Ref != "" {
		return example(reg, reg.SchemaFromRef(s.Ref), depth+1)
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	if len(s.OneOf) > 0 {
		return example(reg, s.OneOf[0], depth+1)
	}
	if len(s.AnyOf) > 0 {
		return example(reg, s.AnyOf[0], depth+1)
	}
	switch s.Type {
	case "string":
		switch s.Format {
		case "date":
			return "2026-10-09"
		case "date-time":
			return "2026-10-09T10:00:00+08:00"
		}
		n := 1
		if s.MinLength != nil && *s.MinLength > n {
			n = *s.MinLength
		}
		return strings.Repeat("测", n)
	case "integer", "number":
		if s.Minimum != nil && *s.Minimum > 1 {
			return *s.Minimum
		}
		return 1
	case "boolean":
		return false
	case "array":
		out := []any{}
		if s.MinItems != nil {
			for range *s.MinItems {
				out = append(out, example(reg, s.Items, depth+1))
			}
		}
		return out
	}
	obj := map[string]any{}
	for _, name := range s.Required {
		if name == "$schema" {
			continue
		}
		obj[name] = example(reg, s.Properties[name], depth+1)
	}
	return obj
}

// policyGrants are the grants of policies: on publicity for everyone
// signed in, else the department's and the business's own.
var policyGrants = wildcard{
	candidates: func(m *matrix) []candidate {
		return m.rows("SELECT CAST(id AS TEXT), status, region_code FROM policy_grants ORDER BY id")
	},
	readable: func(m *matrix, a *auth.Actor, c candidate) bool {
		_, err := m.a.Policies.GetGrant(m.ctx, a, id(c))
		return err == nil
	},
}
