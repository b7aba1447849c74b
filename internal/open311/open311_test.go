package open311_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/open311"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/web"
)

type env struct {
	srv  *httptest.Server
	hot  *hotline.Module
	db   *store.DB
	key  string
	mu   sync.Mutex
	now  time.Time
	disp *auth.Actor
	dept int64
}

func (e *env) clock() time.Time { e.mu.Lock(); defer e.mu.Unlock(); return e.now }

func setup(t *testing.T, db *store.DB) *env {
	ctx := context.Background()
	e := &env{db: db, now: time.Date(2026, 10, 13, 2, 0, 0, 0, time.UTC)}
	box, _ := pii.New([]byte("0123456789abcdef0123456789abcdef"))
	orgs := org.NewService(db, box, e.clock)
	orgs.Password = auth.TestPasswordParams
	sessions := auth.NewService(db, e.clock, auth.Options{Password: auth.TestPasswordParams})
	cal := calendar.New(calendar.Official())
	log := audit.New(e.clock)
	eng := flow.New(db, func() flow.Calendar { return cal }, log, e.clock)
	err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, r := range []org.Region{{Code: "990100", Name: "云澜市"}, {Code: "990102", Name: "临江区", ParentCode: "990100"},
			{Code: "990103", Name: "青山区", ParentCode: "990100"}} {
			if _, err := orgs.CreateRegion(ctx, tx, r); err != nil {
				return err
			}
		}
		d, err := orgs.CreateDepartment(ctx, tx, org.NewDepartment{Code: "LJ-CGJ", Name: "临江区城市管理局", RegionCode: "990102"})
		if err != nil {
			return err
		}
		e.dept = d.ID
		u, err := orgs.CreateUser(ctx, tx, org.NewUser{Username: "disp", DisplayName: "派单员", Password: "Qiu-shui-2468",
			Roles: []auth.Role{auth.RoleDispatcher}, RegionCode: "990100"})
		e.disp = &auth.Actor{UserID: u.ID, Name: u.DisplayName, Roles: []auth.Role{auth.RoleDispatcher}, RegionCode: "990100"}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	hot, err := hotline.New(hotline.Deps{DB: db, Flow: eng, Org: orgs, Policy: auth.NewPolicy(), Audit: log, Box: box,
		Calendar: func() flow.Calendar { return cal }, Now: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := hot.Start(ctx); err != nil {
		t.Fatal(err)
	}
	o3, err := open311.New(open311.Deps{Hotline: hot, Auth: sessions, Org: orgs, CityRegion: "990100", Now: e.clock,
		Areas: []open311.Area{{RegionCode: "990103", MinLat: 30.0, MaxLat: 30.1, MinLong: 120.0, MaxLong: 120.1}}})
	if err != nil {
		t.Fatal(err)
	}
	if e.key, err = open311.DemoAPIKey(ctx, db, orgs, sessions, "990100"); err != nil {
		t.Fatal(err)
	}
	s, err := web.New(web.Config{Sessions: sessions, DB: db, Modules: []web.Module{hot, o3}, Now: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	e.srv, e.hot = httptest.NewServer(s.Handler()), hot
	t.Cleanup(e.srv.Close)
	return e
}

// get fetches path with a plain client (no cookies, no Origin).
func (e *env) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(e.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (e *env) post(t *testing.T, path string, form url.Values) (int, string) {
	t.Helper()
	resp, err := http.PostForm(e.srv.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestDiscoveryServicesDefinition(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		code, body := e.get(t, "/open311/v2/discovery.json")
		var d struct {
			Endpoints []struct {
				Specification string   `json:"specification"`
				Formats       []string `json:"formats"`
			} `json:"endpoints"`
		}
		if code != 200 || json.Unmarshal([]byte(body), &d) != nil || len(d.Endpoints) != 1 ||
			d.Endpoints[0].Specification != "http://wiki.open311.org/GeoReport_v2" || len(d.Endpoints[0].Formats) != 2 {
			t.Errorf("discovery.json: %d %s", code, body)
		}
		code, body = e.get(t, "/open311/v2/discovery.xml")
		var dx struct {
			XMLName   xml.Name `xml:"discovery"`
			Endpoints []struct {
				URL     string   `xml:"url"`
				Formats []string `xml:"formats>format"`
			} `xml:"endpoints>endpoint"`
		}
		// The endpoint is absolute: a client that follows the document can
		// resolve it (from the request's host, as no --base-url is set).
		if code != 200 || xml.Unmarshal([]byte(body), &dx) != nil || len(dx.Endpoints) != 1 || dx.Endpoints[0].URL != e.srv.URL+"/open311/v2" ||
			dx.Endpoints[0].Formats[0] != "text/xml" {
			t.Errorf("discovery.xml: %d %s", code, body)
		}

		type svc struct {
			Code     string `json:"service_code" xml:"service_code"`
			Name     string `json:"service_name" xml:"service_name"`
			Metadata bool   `json:"metadata" xml:"metadata"`
			Type     string `json:"type" xml:"type"`
			Group    string `json:"group" xml:"group"`
		}
		var js []svc
		code, body = e.get(t, "/open311/v2/services.json?jurisdiction_id=yunlan")
		if code != 200 || json.Unmarshal([]byte(body), &js) != nil {
			t.Fatalf("services.json: %d %s", code, body)
		}
		var xs struct {
			Services []svc `xml:"service"`
		}
		code, body = e.get(t, "/open311/v2/services.xml")
		if code != 200 || xml.Unmarshal([]byte(body), &xs) != nil || len(xs.Services) != len(js) || len(js) == 0 {
			t.Fatalf("services.xml: %d %d vs %d", code, len(xs.Services), len(js))
		}
		first := js[0]
		if first.Code != "010101" || first.Name != "占道经营" || first.Group != "市容环卫" || !first.Metadata ||
			first.Type != "realtime" || xs.Services[0] != first {
			t.Errorf("first service json %+v xml %+v", first, xs.Services[0])
		}

		code, body = e.get(t, "/open311/v2/services/010101.json")
		var def struct {
			Code       string `json:"service_code"`
			Attributes []struct {
				Code     string `json:"code"`
				Datatype string `json:"datatype"`
				Order    int    `json:"order"`
				Values   []struct{ Key, Name string }
			} `json:"attributes"`
		}
		if code != 200 || json.Unmarshal([]byte(body), &def) != nil || def.Code != "010101" || len(def.Attributes) != 2 ||
			def.Attributes[0].Code != "request_type" || def.Attributes[0].Datatype != "singlevaluelist" || len(def.Attributes[0].Values) != 5 {
			t.Errorf("definition json: %d %s", code, body)
		}
		code, body = e.get(t, "/open311/v2/services/010101.xml")
		var dxml struct {
			XMLName    xml.Name `xml:"service_definition"`
			Attributes []struct {
				Code   string `xml:"code"`
				Values []struct {
					Key string `xml:"key"`
				} `xml:"values>value"`
			} `xml:"attributes>attribute"`
		}
		if code != 200 || xml.Unmarshal([]byte(body), &dxml) != nil || len(dxml.Attributes) != 2 || dxml.Attributes[1].Code != "urgent" ||
			len(dxml.Attributes[1].Values) != 2 {
			t.Errorf("definition xml: %d %s", code, body)
		}
		if code, body := e.get(t, "/open311/v2/services/999999.xml"); code != 404 || !strings.Contains(body, "<errors><error><code>404</code>") {
			t.Errorf("unknown service: %d %s", code, body)
		}
	})
}

type apiErr struct {
	Code        int    `json:"code"`
	Description string `json:"description"`
}

func TestPostNeedsAPIKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		form := url.Values{"service_code": {"010101"}, "address_string": {"临江区江滨路88号"},
			"description": {"夜市占道经营，行人无法通行"}, "phone": {"13912345678"}}
		code, body := e.post(t, "/open311/v2/requests.json", form)
		var errs []apiErr
		// GeoReport v2: a missing api_key is 403, like an invalid one.
		if code != 403 || json.Unmarshal([]byte(body), &errs) != nil || len(errs) != 1 || errs[0].Code != 403 ||
			!strings.Contains(errs[0].Description, "api_key") {
			t.Errorf("no key json: %d %s", code, body)
		}
		form.Set("api_key", "ysk_not-a-real-key")
		code, body = e.post(t, "/open311/v2/requests.xml", form)
		var xe struct {
			XMLName xml.Name `xml:"errors"`
			Errors  []struct {
				Code        int    `xml:"code"`
				Description string `xml:"description"`
			} `xml:"error"`
		}
		if code != 403 || xml.Unmarshal([]byte(body), &xe) != nil || len(xe.Errors) != 1 || xe.Errors[0].Code != 403 {
			t.Errorf("bad key xml: %d %s", code, body)
		}
		var n int
		db.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM hotline_orders").Scan(&n)
		if n != 0 {
			t.Errorf("%d orders stored after refusals", n)
		}
		// A location is required.
		form.Set("api_key", e.key)
		form.Del("address_string")
		if code, body := e.post(t, "/open311/v2/requests.json", form); code != 400 || !strings.Contains(body, "location") {
			t.Errorf("no location: %d %s", code, body)
		}
	})
}

func TestPostAndGetRequests(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ctx := context.Background()
		post := func(form url.Values) string {
			t.Helper()
			form.Set("api_key", e.key)
			code, body := e.post(t, "/open311/v2/requests.json", form)
			var out []struct {
				ID     string `json:"service_request_id"`
				Token  string `json:"token"`
				Notice string `json:"service_notice"`
			}
			if code != 201 || json.Unmarshal([]byte(body), &out) != nil || len(out) != 1 || out[0].ID == "" || out[0].Notice == "" {
				t.Fatalf("post: %d %s", code, body)
			}
			return out[0].ID
		}
		a := post(url.Values{"service_code": {"010101"}, "address_string": {"临江区江滨路88号"},
			"description": {"夜市占道经营，行人无法通行，请回电13912345678"}, "phone": {"13912345678"},
			"first_name": {"小明"}, "last_name": {"王"}, "email": {"wang@example.cn"}})
		b := post(url.Values{"service_code": {"010401"}, "lat": {"30.05"}, "long": {"120.05"},
			"description": {"路面塌陷一个大坑，车辆绕行"}, "phone": {"13812345678"}, "attribute[request_type]": {"complaint"}})
		o, err := e.hot.GetByNumber(ctx, auth.System(), a)
		if err != nil || o.Channel != hotline.ChannelOpen311 || o.RegionCode != "990102" || o.Type != hotline.TypeHelp || o.CallerName != "王小明" {
			t.Fatalf("order a: %+v %v", o, err)
		}
		ob, _ := e.hot.GetByNumber(ctx, auth.System(), b)
		if ob.RegionCode != "990103" || ob.Type != hotline.TypeComplaint || ob.Address == "" {
			t.Errorf("order b by position: region %s type %s address %q", ob.RegionCode, ob.Type, ob.Address)
		}
		// b goes to the department: it is open with an agency; a is closed.
		if _, err := e.hot.Dispatch(ctx, e.disp, ob.ID, hotline.DispatchInput{Lead: e.dept}); err != nil {
			t.Fatal(err)
		}
		c := hotline.NewOrder{Channel: hotline.ChannelPhone, Type: hotline.TypeConsult, CategoryCode: "010101",
			Content: "请问夜市几点收摊", CallerPhone: "13700001111", RegionCode: "990102", Address: "临江区", DirectAnswer: "晚上十点。"}
		if _, err := e.hot.Intake(ctx, e.disp, c); err != nil {
			t.Fatal(err)
		}

		type req struct {
			ID     string   `json:"service_request_id" xml:"service_request_id"`
			Status string   `json:"status" xml:"status"`
			Code   string   `json:"service_code" xml:"service_code"`
			Agency string   `json:"agency_responsible" xml:"agency_responsible"`
			Req    string   `json:"requested_datetime" xml:"requested_datetime"`
			Exp    string   `json:"expected_datetime" xml:"expected_datetime"`
			Lat    *float64 `json:"lat" xml:"lat"`
		}
		list := func(q string) []req {
			t.Helper()
			code, body := e.get(t, "/open311/v2/requests.json"+q)
			var rs []req
			if code != 200 || json.Unmarshal([]byte(body), &rs) != nil {
				t.Fatalf("GET requests%s: %d %s", q, code, body)
			}
			for _, secret := range []string{"13912345678", "13812345678", "王小明", "wang@example.cn"} {
				if strings.Contains(body, secret) {
					t.Errorf("GET requests%s shows %q", q, secret)
				}
			}
			return rs
		}
		if rs := list(""); len(rs) != 3 {
			t.Errorf("all: %d", len(rs))
		}
		if rs := list("?status=open"); len(rs) != 2 {
			t.Errorf("open: %+v", rs)
		}
		if rs := list("?status=closed"); len(rs) != 1 || rs[0].Status != "closed" {
			t.Errorf("closed: %+v", rs)
		}
		if rs := list("?service_code=010401"); len(rs) != 1 || rs[0].ID != b || rs[0].Agency != "临江区城市管理局" ||
			rs[0].Lat == nil || !strings.HasSuffix(rs[0].Req, "+08:00") {
			t.Errorf("by service: %+v", rs)
		}
		if rs := list("?start_date=2026-10-14T00:00:00%2B08:00"); len(rs) != 0 {
			t.Errorf("after the day: %+v", rs)
		}
		if rs := list("?start_date=2026-10-13T00:00:00%2B08:00&end_date=2026-10-13T23:59:59%2B08:00"); len(rs) != 3 {
			t.Errorf("within the day: %d", len(rs))
		}
		if rs := list("?service_request_id=" + a + "," + b + "&status=closed"); len(rs) != 2 {
			t.Errorf("by ids (other filters ignored): %d", len(rs))
		}
		if code, body := e.get(t, "/open311/v2/requests.json?start_date=yesterday"); code != 400 || !strings.Contains(body, `"code":400`) {
			t.Errorf("bad date: %d %s", code, body)
		}

		code, body := e.get(t, "/open311/v2/requests/"+b+".xml")
		var one struct {
			XMLName  xml.Name `xml:"service_requests"`
			Requests []req    `xml:"request"`
		}
		if code != 200 || xml.Unmarshal([]byte(body), &one) != nil || len(one.Requests) != 1 || one.Requests[0].ID != b ||
			one.Requests[0].Status != "open" || !strings.HasSuffix(one.Requests[0].Exp, "+08:00") {
			t.Errorf("request xml: %d %s", code, body)
		}
		if strings.Contains(body, "13812345678") {
			t.Errorf("request xml shows the phone")
		}
		code, body = e.get(t, "/open311/v2/requests/"+a+".json")
		if code != 200 || strings.Contains(body, "13912345678") || !strings.Contains(body, "139****5678") {
			t.Errorf("request json (phone in the text masked): %d %s", code, body)
		}
		if code, body := e.get(t, "/open311/v2/requests/12345000.json"); code != 404 || !strings.Contains(body, `[{"code":404`) {
			t.Errorf("unknown request: %d %s", code, body)
		}

		code, body = e.get(t, "/open311/v2/tokens/"+a+".json")
		var toks []struct {
			ID    string `json:"service_request_id"`
			Token string `json:"token"`
		}
		if code != 200 || json.Unmarshal([]byte(body), &toks) != nil || len(toks) != 1 || toks[0].ID != a {
			t.Errorf("token: %d %s", code, body)
		}
		if code, _ := e.get(t, "/open311/v2/tokens/nope.xml"); code != 404 {
			t.Errorf("unknown token: %d", code)
		}
	})
}
