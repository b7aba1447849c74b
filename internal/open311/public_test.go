package open311_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/open311"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// TestPublicSeesOnlyWhatMayBePublic: the public listing leaves out
// confidential orders and enterprise appeals (and a confidential one by id
// is 404), masks personal numbers in descriptions, coarsens the address of
// a private matter to its street without a position, and pages within the
// spec's limits.
func TestPublicSeesOnlyWhatMayBePublic(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ctx := context.Background()
		lat, lng := 30.0512345, 120.0567891
		intake := func(n hotline.NewOrder) string {
			t.Helper()
			if n.Channel == "" {
				n.Channel, n.Type, n.CallerPhone, n.RegionCode = hotline.ChannelPhone, hotline.TypeComplaint, "13700001111", "990102"
			}
			res, err := e.hot.Intake(ctx, e.disp, n)
			if err != nil {
				t.Fatal(err)
			}
			return res.Order.Number
		}
		road := intake(hotline.NewOrder{CategoryCode: "010401", Content: "路面塌陷，联系人身份证990103199001011233，电话 010-62345678",
			Address: "临江区江滨路88号", Lat: &lat, Lng: &lng})
		wages := intake(hotline.NewOrder{CategoryCode: "030101", Content: "工地拖欠工资，工资卡6222021000123456781",
			Address: "临江区人民路12号3单元501室", Lat: &lat, Lng: &lng})
		secret := intake(hotline.NewOrder{CategoryCode: "010101", Type: hotline.TypeReport, Confidential: true,
			Channel: hotline.ChannelPhone, CallerPhone: "13700002222", RegionCode: "990102",
			Content: "举报夜市有人收保护费", Address: "临江区春江花园5栋"})
		appeal := intake(hotline.NewOrder{CategoryCode: "070101", Type: hotline.TypeAppealArrears, Channel: hotline.ChannelPhone,
			CallerPhone: "13700003333", RegionCode: "990102", USCC: "91330100MA2H3B4C5X",
			Content: "区政府拖欠我公司工程款", Address: "临江区青山大道1号"})
		_ = appeal

		type req struct {
			ID      string   `json:"service_request_id"`
			Desc    string   `json:"description"`
			Address string   `json:"address"`
			Lat     *float64 `json:"lat"`
			Long    *float64 `json:"long"`
		}
		get := func(q string) ([]req, http.Header) {
			t.Helper()
			resp, err := http.Get(e.srv.URL + "/open311/v2/requests.json" + q)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var rs []req
			if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&rs) != nil {
				t.Fatalf("GET requests%s: %d", q, resp.StatusCode)
			}
			return rs, resp.Header
		}
		rs, h := get("")
		byID := map[string]req{}
		for _, r := range rs {
			byID[r.ID] = r
		}
		if len(rs) != 2 || h.Get("X-Total-Count") != "2" {
			t.Fatalf("public list: %d items, total %q, want the road and the wages orders: %+v", len(rs), h.Get("X-Total-Count"), rs)
		}
		if _, ok := byID[secret]; ok {
			t.Error("a confidential order is listed")
		}
		r := byID[road]
		if strings.Contains(r.Desc, "990103199001011233") || !strings.Contains(r.Desc, "990***********1233") ||
			strings.Contains(r.Desc, "62345678") {
			t.Errorf("road description: %q", r.Desc)
		}
		if r.Address != "临江区江滨路88号" || r.Lat == nil || *r.Lat != 30.0512 || *r.Long != 120.0568 {
			t.Errorf("a public place: %q %v %v", r.Address, r.Lat, r.Long)
		}
		w := byID[wages]
		if w.Address != "临江区人民路" || w.Lat != nil || w.Long != nil || strings.Contains(w.Desc, "6222021000123456781") {
			t.Errorf("a private matter: %+v", w)
		}
		// By id: the confidential order does not exist for the public.
		for _, path := range []string{"/open311/v2/requests/" + secret + ".json", "/open311/v2/requests/" + secret + ".xml",
			"/open311/v2/tokens/" + secret + ".json", "/open311/v2/requests/" + appeal + ".json"} {
			if code, body := e.get(t, path); code != 404 || strings.Contains(body, "保护费") {
				t.Errorf("GET %s: %d %s", path, code, body)
			}
		}
		if code, body := e.get(t, "/open311/v2/requests.json?service_request_id="+secret+","+road); code != 200 ||
			strings.Contains(body, secret) || !strings.Contains(body, road) {
			t.Errorf("by ids: %d %s", code, body)
		}
		if code, body := e.get(t, "/open311/v2/requests/"+wages+".json"); code != 200 || !strings.Contains(body, `"address":"临江区人民路"`) {
			t.Errorf("private matter by id: %d %s", code, body)
		}

		// Paging: one a page, newest first, with a link to the next.
		p1, h := get("?page_size=1")
		if len(p1) != 1 || p1[0].ID != wages || !strings.Contains(h.Get("Link"), "page=2") || !strings.HasPrefix(h.Get("Link"), "<"+e.srv.URL) {
			t.Errorf("page 1: %+v, Link %q", p1, h.Get("Link"))
		}
		p2, h := get("?page_size=1&page=2")
		if len(p2) != 1 || p2[0].ID != road || h.Get("Link") != "" {
			t.Errorf("page 2: %+v, Link %q", p2, h.Get("Link"))
		}
		if p3, _ := get("?page_size=1&page=3"); len(p3) != 0 {
			t.Errorf("page 3: %+v", p3)
		}
		for _, q := range []string{"?page_size=1001", "?page_size=0", "?page=0", "?page=x"} {
			if code, _ := e.get(t, "/open311/v2/requests.json"+q); code != 400 {
				t.Errorf("GET requests%s: %d, want 400", q, code)
			}
		}
	})
}

// TestPageOfAThousand: a page holds up to 1000 requests (two reads of the
// hotline's list) and no more.
func TestPageOfAThousand(t *testing.T) {
	if testing.Short() {
		t.Skip("intakes 1001 orders")
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ctx := context.Background()
		for i := range 1001 {
			n := hotline.NewOrder{Channel: hotline.ChannelPhone, Type: hotline.TypeHelp, CategoryCode: "010402",
				Content: "路灯不亮第" + strconv.Itoa(i) + "盏", CallerPhone: "137" + strconv.Itoa(10000000+i), RegionCode: "990102",
				Address: "临江区解放街" + strconv.Itoa(i) + "号"}
			if _, err := e.hot.Intake(ctx, e.disp, n); err != nil {
				t.Fatal(err)
			}
		}
		code, body := e.get(t, "/open311/v2/requests.json")
		var rs []map[string]any
		if code != 200 || json.Unmarshal([]byte(body), &rs) != nil || len(rs) != 1000 {
			t.Fatalf("default page: %d, %d items", code, len(rs))
		}
		seen := map[any]bool{}
		for _, r := range rs {
			seen[r["service_request_id"]] = true
		}
		if len(seen) != 1000 {
			t.Errorf("%d distinct of 1000", len(seen))
		}
		code, body = e.get(t, "/open311/v2/requests.json?page=2")
		if json.Unmarshal([]byte(body), &rs) != nil || len(rs) != 1 || seen[rs[0]["service_request_id"]] {
			t.Errorf("page 2: %d %d items", code, len(rs))
		}
	})
}

func TestStreet(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"临江区江滨路88号3单元502室", "临江区江滨路"},
		{"临江区人民路12号", "临江区人民路"},
		{"青山大道100号", "青山大道"},
		{"临江区花园路8号", "临江区花园路"},
		{"中山一路5号", "中山一路"},
		{"临江区春江花园5栋", "临江区"},
		{"望江苑12号", "临江区"},
		{"经纬度 30.050000, 120.050000", "临江区"},
		{"解放街", "解放街"},
	} {
		if got := open311.Street(c.in, "临江区"); got != c.want {
			t.Errorf("Street(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
