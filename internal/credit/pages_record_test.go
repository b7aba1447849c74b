package credit_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// form posts f to path as a browser of the test server would.
func (p *pworld) form(t *testing.T, c *http.Client, path string, f url.Values) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", p.srv.URL+path, strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", p.srv.URL)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// An officer records a penalty decision through the staff file's form and
// withdraws it when the decision is revoked: published today, shown as of
// the day before the withdrawal and not after; bad input changes nothing;
// a department without the grant may not record, and a business out of
// reach answers 404.
func TestRecordAndWithdrawPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		p := setupPublic(t, db, 0)
		ctx := context.Background()
		officer := p.client(t, "scjg")
		penalty := url.Values{"decision_no": {"临市监罚〔2026〕77号"}, "decision_date": {"2026-11-20"},
			"published_on": {"2026-11-24"}, "legal_basis": {"《反不正当竞争法》第二十条"}, "content": {"虚假宣传"},
			"procedure": {"ordinary"}, "subject": {"organisation"}, "sector": {"other"}, "kinds": {"罚款"}, "fine_yuan": {"50000"}}
		bad := url.Values{}
		for k, v := range penalty {
			bad[k] = v
		}
		bad.Set("fine_yuan", "五万")
		if st, _, body := p.form(t, officer, "/credit/entities/"+bizA+"/records", bad); st != http.StatusUnprocessableEntity ||
			!strings.Contains(body, "罚款金额须为不小于0的整数") {
			t.Fatalf("a bad fine: %d", st)
		}
		bad.Set("fine_yuan", "50000")
		bad.Set("decision_date", "2026-13-01")
		if st, _, _ := p.form(t, officer, "/credit/entities/"+bizA+"/records", bad); st != http.StatusUnprocessableEntity {
			t.Fatalf("a bad date: %d", st)
		}
		if n := p.count(t, "credit_records"); n != 0 {
			t.Fatalf("refused forms stored %d records", n)
		}
		if st, _, _ := p.form(t, p.client(t, "shuiwu"), "/credit/entities/"+bizA+"/records", penalty); st < 400 {
			t.Errorf("the tax office recorded a penalty: %d", st)
		}
		st, loc, _ := p.form(t, officer, "/credit/entities/"+bizA+"/records", penalty)
		if st != http.StatusSeeOther || !strings.Contains(loc, "ok=recorded") {
			t.Fatalf("record: %d %s", st, loc)
		}
		state, err := p.m.StateOf(ctx, p.actor(t, "scjg"), bizA, calendar.NewDate(2026, 12, 3))
		if err != nil || len(state.Records) != 1 || !state.Records[0].Public || state.Records[0].PublicUntil == nil ||
			*state.Records[0].PublicUntil != "2027-02-24" {
			t.Fatalf("recorded: %+v %v", state, err)
		}
		id := state.Records[0].ID
		_, file, _ := p.get(t, officer, "/credit/entities/"+bizA)
		if !strings.Contains(file, "2027-02-24") || !strings.Contains(file, "/credit/records/") {
			t.Errorf("the staff file lacks public_until or the withdrawal")
		}
		if st, _, _ := p.form(t, p.client(t, "cgj"), "/credit/records/"+itoa(id)+"/withdrawal", url.Values{}); st != http.StatusNotFound {
			t.Errorf("another department withdrew it: %d", st)
		}
		p.now = p.now.AddDate(0, 0, 1)
		officer = p.client(t, "scjg") // the session of yesterday has ended
		if st, loc, _ := p.form(t, officer, "/credit/records/"+itoa(id)+"/withdrawal", url.Values{}); st != http.StatusSeeOther ||
			!strings.Contains(loc, "ok=withdrawn") {
			t.Fatalf("withdraw: %d %s", st, loc)
		}
		for _, c := range []struct {
			day  string
			want string
		}{{"2026-12-03", "公示中"}, {"2026-12-04", "不公示"}} {
			_, body, _ := p.get(t, officer, "/credit/entities/"+bizA+"?as_of="+c.day)
			i := strings.Index(body, "临市监罚〔2026〕77号")
			if i < 0 || !strings.Contains(body[i:], c.want) {
				t.Errorf("as of %s: want %s", c.day, c.want)
			}
		}
		if st, _, _ := p.get(t, officer, "/credit/entities/"+bizA+"?as_of=yesterday"); st != http.StatusBadRequest {
			t.Errorf("a bad as_of: %d", st)
		}
	})
}
