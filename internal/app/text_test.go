package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/yingshang/yingshang/internal/app"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/demo"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// TestControlCharactersRefused: a NUL, a bidi override or another control
// character in any text field (JSON, form, multipart, query) answers 422
// naming the field — a problem for the API, a page for forms, the spec's
// errors for Open311 — and nothing is stored. Before, a NUL answered 500
// on seven routes, among them the anonymous POST /api/v1/sessions.
func TestControlCharactersRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, err := app.WithDB(ctx, db, app.Config{DataDir: t.TempDir(), PasswordParams: &auth.TestPasswordParams, RootRegion: demo.CityCode})
		if err != nil {
			t.Fatal(err)
		}
		err = db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			if _, err := a.Org.CreateRegion(ctx, tx, org.Region{Code: demo.CityCode, Name: "云澜市"}); err != nil {
				return err
			}
			for _, u := range []org.NewUser{
				{Username: "opr", DisplayName: "坐席", Password: "Qiu-shui-2468", Roles: []auth.Role{auth.RoleOperator}, RegionCode: demo.CityCode},
				{Username: "cit", DisplayName: "市民", Password: "Qiu-shui-2468", Roles: []auth.Role{auth.RoleCitizen}, RegionCode: demo.CityCode},
			} {
				if _, err := a.Org.CreateUser(ctx, tx, u); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(a.Web.Handler())
		defer srv.Close()
		do := func(req *http.Request) (int, string, string) {
			t.Helper()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
		}
		jsonReq := func(method, path, token string, body any) *http.Request {
			b, _ := json.Marshal(body)
			req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(b))
			req.Header.Set("Content-Type", "application/json")
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			return req
		}
		signIn := func(user string) string {
			code, _, body := do(jsonReq("POST", "/api/v1/sessions", "", map[string]string{"username": user, "password": "Qiu-shui-2468"}))
			var out struct{ Token string }
			if code != 201 || json.Unmarshal([]byte(body), &out) != nil {
				t.Fatalf("sign in %s: %d %s", user, code, body)
			}
			return out.Token
		}
		op, cit := signIn("opr"), signIn("cit")
		orders := func() int {
			var n int
			db.QueryRowContext(ctx, "SELECT COUNT(*) FROM hotline_orders").Scan(&n)
			return n
		}
		problem := func(name string, req *http.Request, location string) {
			t.Helper()
			code, ct, body := do(req)
			var p struct {
				Status int
				Errors []struct{ Location string }
			}
			if code != 422 || !strings.HasPrefix(ct, "application/problem+json") || json.Unmarshal([]byte(body), &p) != nil ||
				p.Status != 422 || len(p.Errors) != 1 || p.Errors[0].Location != location {
				t.Errorf("%s: %d %s %s, want a 422 problem at %s", name, code, ct, body, location)
			}
		}

		// The anonymous sign-in, NUL in the username and in the password.
		problem("sessions NUL", jsonReq("POST", "/api/v1/sessions", "", map[string]string{"username": "opr\x00", "password": "x"}), "body.username")
		problem("sessions password", jsonReq("POST", "/api/v1/sessions", "", map[string]string{"username": "opr", "password": "a\x00b"}), "body.password")
		// An intake with a right-to-left override or an ESC in its text:
		// nothing stored.
		order := map[string]any{"channel": "phone", "type": "help", "category_code": "010402", "caller_phone": "13800005555",
			"region_code": demo.CityCode, "address": "江滨路1号", "content": "路灯\u202e坏了"}
		problem("intake bidi", jsonReq("POST", "/api/v1/hotline/orders", op, order), "body.content")
		order["content"], order["address"] = "路灯坏了好几天了", "江滨路\x1b[31m1号"
		problem("intake ESC", jsonReq("POST", "/api/v1/hotline/orders", op, order), "body.address")
		order["address"] = "江滨路\r1号"
		problem("intake lone CR", jsonReq("POST", "/api/v1/hotline/orders", op, order), "body.address")
		if n := orders(); n != 0 {
			t.Errorf("%d orders stored after refusals", n)
		}
		// A query parameter.
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/hotline/orders?q=%00", nil)
		req.Header.Set("Authorization", "Bearer "+op)
		problem("list query", req, "query.q")

		// A form: the sign-in page answers 422 with a page naming the field.
		req, _ = http.NewRequest("POST", srv.URL+"/signin", strings.NewReader(url.Values{"username": {"op\x00"}, "password": {"x"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", srv.URL)
		if code, ct, body := do(req); code != 422 || !strings.HasPrefix(ct, "text/html") || !strings.Contains(body, "username") {
			t.Errorf("sign-in form: %d %s", code, ct)
		}
		// A multipart form (an application with a file), as a citizen.
		var mp bytes.Buffer
		mw := multipart.NewWriter(&mp)
		mw.WriteField("f_name", "张三\u2066")
		fw, _ := mw.CreateFormFile("m_1", "id.pdf")
		fw.Write([]byte("%PDF-1.4 \x00\x01 binary is fine in a file"))
		mw.Close()
		req, _ = http.NewRequest("POST", srv.URL+"/apply/000000", &mp)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+cit)
		if code, _, body := do(req); code != 422 || !strings.Contains(body, "f_name") {
			t.Errorf("multipart application: %d %s", code, body)
		}
		// Open311: the refusal comes in the spec's error format, whatever
		// the key.
		req, _ = http.NewRequest("POST", srv.URL+"/open311/v2/requests.json", strings.NewReader(url.Values{
			"service_code": {"010402"}, "address_string": {"江滨路"}, "description": {"坏了\x00"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		code, _, body := do(req)
		var errs []struct {
			Code        int
			Description string
		}
		if code != 422 || json.Unmarshal([]byte(body), &errs) != nil || len(errs) != 1 || !strings.HasPrefix(errs[0].Description, "description:") {
			t.Errorf("open311: %d %s", code, body)
		}
		if n := orders(); n != 0 {
			t.Errorf("%d orders stored after refusals", n)
		}
		// Clean text still passes.
		order["address"] = "江滨路1号\r\n北侧"
		if code, _, body := do(jsonReq("POST", "/api/v1/hotline/orders", op, order)); code/100 != 2 {
			t.Errorf("clean intake: %d %s", code, body)
		}
	})
}
