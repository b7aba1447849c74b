package casework_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/web"
)

type cookieJar struct{ cookies []*http.Cookie }

func (j *cookieJar) SetCookies(_ *url.URL, cs []*http.Cookie) { j.cookies = append(j.cookies, cs...) }
func (j *cookieJar) Cookies(*url.URL) []*http.Cookie          { return j.cookies }

type site struct {
	*world
	srv *httptest.Server
}

func serve(t *testing.T, w *world) *site {
	sessions := auth.NewService(w.db, w.clock, auth.Options{Password: auth.TestPasswordParams})
	s, err := web.New(web.Config{Sessions: sessions, DB: w.db, Modules: []web.Module{w.cat, w.certs, w.m}, Now: w.clock})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &site{world: w, srv: srv}
}

func (s *site) client(t *testing.T, user string) *http.Client {
	t.Helper()
	c := &http.Client{Jar: &cookieJar{}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp := s.do(t, c, "POST", "/signin", "application/x-www-form-urlencoded",
		strings.NewReader(url.Values{"username": {user}, "password": {"Qiu-shui-2468"}}.Encode()))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in %s: %d", user, resp.StatusCode)
	}
	return c
}

func (s *site) do(t *testing.T, c *http.Client, method, path, ct string, body io.Reader) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, s.srv.URL+path, body)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("Origin", s.srv.URL)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func (s *site) get(t *testing.T, c *http.Client, path string) (int, string) {
	t.Helper()
	resp := s.do(t, c, "GET", path, "", nil)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := serve(t, setup(t, db))
		ent := s.client(t, "ent")
		if code, body := s.get(t, ent, "/apply"); code != 200 || !strings.Contains(body, itemFood) {
			t.Fatalf("/apply: %d", code)
		}
		if code, body := s.get(t, ent, "/apply/"+itemFood); code != 200 || !strings.Contains(body, "告知承诺书") ||
			!strings.Contains(body, `name="consent_1"`) {
			t.Fatalf("/apply/%s: %d\n%s", itemFood, code, body)
		}
		post := func(fields map[string]string, files map[string][]byte) *http.Response {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			for k, v := range fields {
				_ = mw.WriteField(k, v)
			}
			for k, data := range files {
				fw, _ := mw.CreateFormFile(k, k+".pdf")
				_, _ = fw.Write(data)
			}
			mw.Close()
			return s.do(t, ent, "POST", "/apply/"+itemFood, mw.FormDataContentType(), &buf)
		}
		fields := map[string]string{"f_legal_representative": "李娜", "f_area": "80", "f_main_form": "餐饮服务", "consent_1": "1"}
		// A wrong file type: the form again with the problem, 422.
		resp := post(fields, map[string][]byte{"file_0": []byte("plain text"), "file_2": pdf, "file_3": pdf})
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(b), "PDF") {
			t.Fatalf("bad upload: %d", resp.StatusCode)
		}
		resp = post(fields, map[string][]byte{"file_0": pdf, "file_2": pdf, "file_3": pdf})
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/applications/") {
			t.Fatalf("submit: %d %s", resp.StatusCode, loc)
		}
		path := strings.TrimSuffix(loc, "?ok=submitted")
		if code, body := s.get(t, ent, loc); code != 200 || !strings.Contains(body, "9901022026110200001") || !strings.Contains(body, "待受理") {
			t.Fatalf("application page: %d\n%s", code, body)
		}
		// Department B: not found; the clerk takes it in from the page.
		if code, _ := s.get(t, s.client(t, "hbn"), path); code != http.StatusNotFound {
			t.Errorf("department B: %d", code)
		}
		clerk := s.client(t, "clerk")
		if code, body := s.get(t, clerk, path); code != 200 || !strings.Contains(body, `value="accept"`) {
			t.Errorf("clerk's page: %d", code)
		}
		resp = s.do(t, clerk, "POST", path+"/act", "application/x-www-form-urlencoded", strings.NewReader("do=accept"))
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Errorf("accept: %d", resp.StatusCode)
		}
		if code, body := s.get(t, s.client(t, "han"), path); code != 200 || !strings.Contains(body, "审查中") || !strings.Contains(body, `value="pass"`) {
			t.Errorf("handler's page: %d", code)
		}
		if code, body := s.get(t, clerk, "/applications"); code != 200 || !strings.Contains(body, "食品经营许可") {
			t.Errorf("clerk's list: %d", code)
		}
		resp = s.do(t, clerk, "GET", "/applications?format=xlsx", "", nil)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "spreadsheetml") {
			t.Errorf("export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		// The material can be downloaded by those who see the application only.
		id, _ := strconv.ParseInt(strings.TrimPrefix(path, "/applications/"), 10, 64)
		app, _ := s.m.Get(t.Context(), s.a("ent"), id)
		if code, _ := s.get(t, ent, path+"/files/"+app.Materials[0].File.SHA256); code != 200 {
			t.Errorf("download: %d", code)
		}
		if code, _ := s.get(t, s.client(t, "cit2"), path+"/files/"+app.Materials[0].File.SHA256); code != 404 {
			t.Errorf("download by a stranger: %d", code)
		}
	})
}

func TestAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := serve(t, setup(t, db))
		cit := s.client(t, "cit1")
		body, _ := json.Marshal(map[string]any{"item_code": itemCitizen, "form": map[string]string{"place": "滨江路"},
			"materials": []map[string]any{{"name": "申请表", "file": map[string]string{"name": "a.pdf", "data": base64.StdEncoding.EncodeToString(pdf)}}}})
		resp := s.do(t, cit, "POST", "/api/v1/applications", "application/json", bytes.NewReader(body))
		var v struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
			Due    string `json:"due"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&v)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated || v.Status != "submitted" || v.Due == "" {
			t.Fatalf("API submit: %d %+v", resp.StatusCode, v)
		}
		bad, _ := json.Marshal(map[string]any{"item_code": itemCitizen, "form": map[string]string{}})
		resp = s.do(t, cit, "POST", "/api/v1/applications", "application/json", bytes.NewReader(bad))
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("API bad submit: %d", resp.StatusCode)
		}
		id := strconv.FormatInt(v.ID, 10)
		if code, _ := s.get(t, s.client(t, "han"), "/api/v1/applications/"+id); code != 404 {
			t.Errorf("other department via API: %d", code)
		}
		hb := s.client(t, "clerk")
		resp = s.do(t, hb, "POST", "/api/v1/applications/"+id+"/intake", "application/json", strings.NewReader(`{"action":"refuse"}`))
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("refuse without reason: %d", resp.StatusCode)
		}
		resp = s.do(t, hb, "POST", "/api/v1/applications/"+id+"/intake", "application/json", strings.NewReader(`{"action":"refuse","reason":"不属于本区管辖"}`))
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("refuse: %d", resp.StatusCode)
		}
		if code, body := s.get(t, cit, "/api/v1/applications"); code != 200 || !strings.Contains(body, `"status":"refused"`) {
			t.Errorf("list mine: %d %s", code, body)
		}
	})
}
