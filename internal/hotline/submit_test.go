package hotline_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// submitWorld is the hotline world with a business account (with its
// USCC) and a citizen registered with a mobile number.
type submitWorld struct {
	*world
	uscc    string
	ent     *auth.Actor
	regular *auth.Actor // 市民三, registered with 13912345678
}

const registeredPhone = "13912345678"

func setupSubmit(t *testing.T, db *store.DB, cfg hotline.Config) *submitWorld {
	w := setup(t, db, cfg)
	sw := &submitWorld{world: w, uscc: "91990102MA01YL8X0" + string(ids.USCCCheck("91990102MA01YL8X0"))}
	box, _ := pii.New([]byte("0123456789abcdef0123456789abcdef"))
	orgs := org.NewService(db, box, w.clock)
	orgs.Password = auth.TestPasswordParams
	err := db.WithTx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		e, err := orgs.CreateUser(ctx, tx, org.NewUser{Username: "ent", DisplayName: "云澜科技", Password: "Qiu-shui-2468",
			Roles: []auth.Role{auth.RoleEnterprise}, RegionCode: "990102", USCC: sw.uscc})
		if err != nil {
			return err
		}
		c, err := orgs.CreateUser(ctx, tx, org.NewUser{Username: "cit3", DisplayName: "市民三", Password: "Qiu-shui-2468",
			Roles: []auth.Role{auth.RoleCitizen}, RegionCode: "990102", Phone: registeredPhone})
		if err != nil {
			return err
		}
		sw.ent = &auth.Actor{UserID: e.ID, Name: "云澜科技", Roles: []auth.Role{auth.RoleEnterprise}, RegionCode: "990102", USCC: sw.uscc}
		sw.regular = &auth.Actor{UserID: c.ID, Name: "市民三", Roles: []auth.Role{auth.RoleCitizen}, RegionCode: "990102"}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sw
}

// file is an uploaded file of a multipart form.
type file struct {
	name, ctype string
	data        []byte
}

// postMultipart posts fields and files (all named "photos") as
// multipart/form-data and returns the status, the Location and the body.
func (w *world) postMultipart(t *testing.T, c *http.Client, path string, fields url.Values, files ...file) (int, string, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="photos"; filename="`+f.name+`"`)
		h.Set("Content-Type", f.ctype)
		p, _ := mw.CreatePart(h)
		p.Write(f.data)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", w.srv.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", w.srv.URL)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), b.String()
}

func anonymous() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// submission is a valid web request about a blocked pavement.
func submission(phone string) url.Values {
	return url.Values{"type": {"complaint"}, "category_code": {"010101"}, "region_code": {"990102"},
		"address": {"临江区江滨路88号"}, "content": {"江滨路人行道被流动摊贩长期占用，行人只能走机动车道"},
		"caller_name": {"王女士"}, "caller_phone": {phone}, "public": {"1"}, "lat": {"30.123456"}, "lng": {"120.654321"}}
}

// photoJPEG is a small JPEG carrying an EXIF block with a GPS position,
// as phones write them.
func photoJPEG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 32, 24))
	for x := 0; x < 32; x++ {
		img.Set(x, x%24, color.RGBA{200, 30, 30, 255})
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	exif := append([]byte("Exif\x00\x00"), []byte("MM\x00\x2a GPSLatitude 30.1234 GPSLongitude 120.6543")...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(exif)+2))
	raw := b.Bytes()
	out := append([]byte{}, raw[:2]...)
	out = append(out, seg...)
	out = append(out, exif...)
	return append(out, raw[2:]...)
}

func idFrom(t *testing.T, loc, prefix string) int64 {
	t.Helper()
	rest, ok := strings.CutPrefix(loc, prefix)
	if !ok {
		t.Fatalf("Location %q does not start with %s", loc, prefix)
	}
	id, err := strconv.ParseInt(strings.SplitN(rest, "?", 2)[0], 10, 64)
	if err != nil {
		t.Fatalf("Location %q: %v", loc, err)
	}
	return id
}

func TestSubmitSignedInAndAnonymous(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setupSubmit(t, db, hotline.Config{SubmitLimit: 2})
		ctx := context.Background()

		// Signed in: the citizen owns the order, it is in their list.
		cit := w.client(t, "cit1")
		if code, _ := w.get(t, cit, "/hotline/submit"); code != http.StatusOK {
			t.Fatalf("form: %d", code)
		}
		f := submission("13500001111")
		code, loc, body := w.postMultipart(t, cit, "/hotline/submit", f, file{"现场.jpg", "image/jpeg", photoJPEG(t)})
		if code != http.StatusSeeOther {
			t.Fatalf("signed-in submit: %d %s", code, body)
		}
		id := idFrom(t, loc, "/hotline/mine/")
		o := must(w.m.Get(ctx, w.a("cit1"), id))
		if o.CallerUserID != w.a("cit1").UserID || o.Channel != hotline.ChannelWeb || o.Status != hotline.StatusNew || o.Lat == nil {
			t.Fatalf("order: %+v", o)
		}
		code, page := w.get(t, cit, loc)
		if code != http.StatusOK || !strings.Contains(page, o.Number) || !strings.Contains(page, "诉求已收到") {
			t.Fatalf("acknowledgement: %d", code)
		}
		if _, page := w.get(t, cit, "/hotline/my"); !strings.Contains(page, o.Number) || !strings.Contains(page, `href="/hotline/submit"`) {
			t.Fatal("/hotline/my neither lists the order nor offers to file one")
		}

		// A citizen registered with a number may leave the phone empty.
		code, loc3, body := w.postMultipart(t, w.client(t, "cit3"), "/hotline/submit", submission(""))
		if code != http.StatusSeeOther {
			t.Fatalf("without a phone, signed in: %d %s", code, body)
		}
		if c := must(w.m.Caller(ctx, idFrom(t, loc3, "/hotline/mine/"))); c.PhoneIndex == "" || c.UserID != w.regular.UserID {
			t.Fatalf("the account's number was not used: %+v", c)
		}

		// Anonymous: the phone is required and nothing is stored without it.
		before := count(t, db, "hotline_orders")
		anon := anonymous()
		code, _, body = w.postMultipart(t, anon, "/hotline/submit", submission(""))
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "请填写联系电话") {
			t.Fatalf("anonymous without a phone: %d", code)
		}
		bad := submission("13800001111")
		bad.Set("content", "路面塌陷\x07请尽快处理")
		if code, _, _ := w.postMultipart(t, anon, "/hotline/submit", bad); code != http.StatusUnprocessableEntity {
			t.Fatalf("control character: %d", code)
		}
		bad = submission("1380000")
		if code, _, body := w.postMultipart(t, anon, "/hotline/submit", bad); code != http.StatusUnprocessableEntity || !strings.Contains(body, "联系电话格式不正确") {
			t.Fatalf("bad phone: %d", code)
		}
		if n := count(t, db, "hotline_orders"); n != before {
			t.Fatalf("refused submissions stored %d orders", n-before)
		}
		code, loc, _ = w.postMultipart(t, anon, "/hotline/submit", submission("13800001111"))
		if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/hotline/track/") {
			t.Fatalf("anonymous submit: %d %q", code, loc)
		}
		code, page = w.get(t, anon, loc)
		if code != http.StatusOK || !strings.Contains(page, "请保存以下跟踪链接") || !strings.Contains(page, "已受理，待派单") {
			t.Fatalf("tracking acknowledgement: %d", code)
		}
		// The tracking token is never stored in clear.
		tok := strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], "/hotline/track/")
		var n int
		db.QueryRowContext(ctx, "SELECT COUNT(*) FROM hotline_track_tokens WHERE token_idx = ?", tok).Scan(&n)
		if n != 0 {
			t.Fatal("the token is stored in clear")
		}
		// Rate limit: the second accepted one is the last from this address.
		if code, _, _ := w.postMultipart(t, anon, "/hotline/submit", submission("13800002222")); code != http.StatusSeeOther {
			t.Fatalf("second anonymous: %d", code)
		}
		if code, _, body := w.postMultipart(t, anon, "/hotline/submit", submission("13800003333")); code != http.StatusTooManyRequests || !strings.Contains(body, "提交过于频繁") {
			t.Fatalf("third anonymous: %d", code)
		}
		// Staff take requests at intake.
		if code, _ := w.get(t, w.client(t, "opr"), "/hotline/submit"); code != http.StatusSeeOther {
			t.Fatalf("operator on the form: %d", code)
		}
	})
}

func TestSubmitPhotos(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setupSubmit(t, db, hotline.Config{})
		cit := w.client(t, "cit1")
		refuse := func(what string, files ...file) {
			t.Helper()
			code, _, body := w.postMultipart(t, cit, "/hotline/submit", submission("13500001111"), files...)
			if code != http.StatusUnprocessableEntity || !strings.Contains(body, "现场照片") {
				t.Fatalf("%s: %d", what, code)
			}
		}
		refuse("text named .jpg", file{"photo.jpg", "image/jpeg", []byte("这不是图片，只是文字，冒充 JPEG。")})
		refuse("GIF", file{"a.gif", "image/gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")})
		big := append(photoJPEG(t), make([]byte, hotline.MaxPhotoSize)...)
		refuse("over 5 MiB", file{"big.jpg", "image/jpeg", big})
		p := photoJPEG(t)
		refuse("four photos", file{"1.jpg", "image/jpeg", p}, file{"2.jpg", "image/jpeg", p}, file{"3.jpg", "image/jpeg", p}, file{"4.jpg", "image/jpeg", p})
		if n := count(t, db, "hotline_files") + count(t, db, "hotline_orders"); n != 0 {
			t.Fatalf("refused photos stored %d rows", n)
		}

		code, loc, _ := w.postMultipart(t, cit, "/hotline/submit", submission("13500001111"), file{"现场.jpg", "image/jpeg", p})
		if code != http.StatusSeeOther {
			t.Fatalf("submit: %d", code)
		}
		id := idFrom(t, loc, "/hotline/mine/")
		var data []byte
		if err := db.QueryRowContext(context.Background(), "SELECT data FROM hotline_files").Scan(&data); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte("Exif")) || bytes.Contains(data, []byte("GPSLatitude")) {
			t.Fatal("the stored photo still holds its EXIF GPS position")
		}
		if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
			t.Fatalf("the stored photo does not decode: %v", err)
		}
		// Staff of the region see it with the order.
		op := w.client(t, "opr")
		sid := strconv.FormatInt(id, 10)
		if code, page := w.get(t, op, "/hotline/orders/"+sid+"/photos"); code != http.StatusOK || !strings.Contains(page, "/hotline/orders/"+sid+"/photos/0") {
			t.Fatalf("staff photo list: %d", code)
		}
		req, _ := http.NewRequest("GET", w.srv.URL+"/hotline/orders/"+sid+"/photos/0", nil)
		resp, err := op.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" {
			t.Fatalf("photo: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		// Another citizen does not.
		if code, _ := w.get(t, w.client(t, "cit2"), "/hotline/orders/"+sid+"/photos/0"); code != http.StatusNotFound {
			t.Fatalf("another citizen's photo: %d", code)
		}
	})
}

func TestConfidentialAndPrivateNeverPublic(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setupSubmit(t, db, hotline.Config{})
		ctx := context.Background()
		cit := w.client(t, "cit1")
		file := func(change func(url.Values)) *hotline.Order {
			f := submission("13500001111")
			change(f)
			code, loc, body := w.postMultipart(t, cit, "/hotline/submit", f)
			if code != http.StatusSeeOther {
				t.Fatalf("submit: %d %s", code, body)
			}
			return must(w.m.Get(ctx, w.a("cit1"), idFrom(t, loc, "/hotline/mine/")))
		}
		secret := file(func(f url.Values) { f.Set("confidential", "1") }) // public box ticked too
		private := file(func(f url.Values) { f.Del("public") })
		open := file(func(url.Values) {})
		if secret.Public() || private.Public() || !open.Public() {
			t.Fatalf("Public: confidential %v, not agreed %v, agreed %v", secret.Public(), private.Public(), open.Public())
		}
		list, _, err := w.m.List(ctx, w.a("sup"), hotline.Filter{Public: true, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, o := range list {
			got = append(got, o.Number)
		}
		if len(got) != 1 || got[0] != open.Number {
			t.Fatalf("public listing %v, want only %s", got, open.Number)
		}
	})
}

func TestSimilarOpenRequestsHint(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setupSubmit(t, db, hotline.Config{})
		near := complaint("13700001111")
		near.Lat, near.Lng = ptr(30.1240), ptr(120.6550)
		o := w.intake(near)
		secret := complaint("13700002222")
		secret.Confidential = true
		s := w.intake(secret)
		q := url.Values{"region_code": {"990102"}, "address": {"临江区江滨路90号"}, "lat": {"30.1236"}, "lng": {"120.6544"},
			"content": {"江滨路夜市占道经营，晚上油烟噪声扰民，行人无法通行"}}
		code, frag := w.get(t, anonymous(), "/hotline/submit/similar?"+q.Encode())
		if code != http.StatusOK || !strings.Contains(frag, "附近相似的在办诉求") || !strings.Contains(frag, o.Number) {
			t.Fatalf("similar fragment: %d %s", code, frag)
		}
		if strings.Contains(frag, s.Number) || strings.Contains(frag, "13700001111") || strings.Contains(frag, "<html") {
			t.Fatalf("the fragment shows a confidential order, a phone number or a whole page: %s", frag)
		}
		if !strings.Contains(frag, "相距约") {
			t.Fatal("the fragment does not say how far")
		}
		q.Set("content", "公园里的路灯坏了好几盏，晚上很黑")
		if _, frag := w.get(t, anonymous(), "/hotline/submit/similar?"+q.Encode()); strings.Contains(frag, o.Number) {
			t.Fatal("an unrelated text is offered the order as similar")
		}
	})
}

func ptr(f float64) *float64 { return &f }

func TestTrackingLinkShowsOnlyItsOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setupSubmit(t, db, hotline.Config{})
		ctx := context.Background()
		anon := anonymous()
		_, locA, _ := w.postMultipart(t, anon, "/hotline/submit", submission("13800001111"), file{"a.jpg", "image/jpeg", photoJPEG(t)})
		b := submission("13800002222")
		b.Set("content", "临江区滨江公园东门路灯连续一周不亮，夜间行人摔倒")
		_, locB, _ := w.postMultipart(t, anon, "/hotline/submit", b)
		trackA := strings.SplitN(locA, "?", 2)[0]
		trackB := strings.SplitN(locB, "?", 2)[0]
		if trackA == trackB || !strings.HasPrefix(trackB, "/hotline/track/") {
			t.Fatalf("tracking links %q %q", trackA, trackB)
		}
		_, pageA := w.get(t, anon, trackA)
		_, pageB := w.get(t, anon, trackB)
		if !strings.Contains(pageA, "流动摊贩") || strings.Contains(pageA, "路灯") || !strings.Contains(pageB, "路灯") {
			t.Fatal("a tracking link shows another order")
		}
		if strings.Contains(pageA, "13800001111") || !strings.Contains(pageA, "138****1111") {
			t.Fatal("the tracking page shows the phone in clear, or not at all")
		}
		// A changed token opens nothing.
		forged := trackA[:len(trackA)-1] + map[bool]string{true: "0", false: "1"}[!strings.HasSuffix(trackA, "0")]
		if code, _ := w.get(t, anon, forged); code != http.StatusNotFound {
			t.Fatalf("forged token: %d", code)
		}
		if code, _ := w.get(t, anon, trackB+"/photos/0"); code != http.StatusNotFound {
			t.Fatalf("B's link opens a photo it has not: %d", code)
		}
		if code, _ := w.get(t, anon, trackA+"/photos/0"); code != http.StatusOK {
			t.Fatalf("A's photo: %d", code)
		}
		// Status changes show on the link.
		id := must(w.m.TrackedOrder(ctx, strings.TrimPrefix(trackA, "/hotline/track/")))
		must(w.m.Dispatch(ctx, w.a("disp"), id, hotline.DispatchInput{Lead: w.deptA}))
		if _, page := w.get(t, anon, trackA); !strings.Contains(page, "已派单，待承办部门签收") || !strings.Contains(page, "12345热线已将工单派发至承办部门。") {
			t.Fatal("the tracking page does not show the dispatch")
		}
		// The status news carries the tracking link (for the SMS).
		c := must(w.m.Caller(ctx, id))
		if c.UserID != 0 || !strings.HasSuffix(c.Track, trackA) {
			t.Fatalf("caller %+v", c)
		}
		// A signed-in citizen's page is theirs only.
		cit := w.client(t, "cit1")
		_, loc, _ := w.postMultipart(t, cit, "/hotline/submit", submission("13500001111"))
		if code, _ := w.get(t, w.client(t, "cit2"), strings.SplitN(loc, "?", 2)[0]); code != http.StatusNotFound {
			t.Fatalf("another citizen's page: %d", code)
		}
	})
}

func TestAddInfoAndWithdrawOnlyWhileOpenAndBySubmitter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setupSubmit(t, db, hotline.Config{})
		ctx := context.Background()
		anon := anonymous()
		_, loc, _ := w.postMultipart(t, anon, "/hotline/submit", submission("13800001111"))
		track := strings.SplitN(loc, "?", 2)[0]
		id := must(w.m.TrackedOrder(ctx, strings.TrimPrefix(track, "/hotline/track/")))
		code, loc, body := w.postMultipart(t, anon, track+"/info", url.Values{"info": {"摊贩每天下午五点后出摊，周末更多"}}, file{"b.jpg", "image/jpeg", photoJPEG(t)})
		if code != http.StatusSeeOther || loc != track+"?ok=info" {
			t.Fatalf("add info: %d %q %s", code, loc, body)
		}
		hs := must(w.m.History(ctx, w.a("op"), id))
		last := hs[len(hs)-1]
		if last.Action != "add_info" || !strings.Contains(last.Comment, "摊贩每天下午五点后出摊") || !strings.Contains(last.Comment, "照片1张") {
			t.Fatalf("history: %+v", last)
		}
		if code, _, _ := w.postMultipart(t, anon, track+"/info", url.Values{"info": {""}}); code != http.StatusUnprocessableEntity {
			t.Fatalf("empty info: %d", code)
		}

		// Signed in: only the submitter, not another citizen nor staff.
		cit := w.client(t, "cit1")
		_, loc, _ = w.postMultipart(t, cit, "/hotline/submit", submission("13500001111"))
		mine := strings.SplitN(loc, "?", 2)[0]
		mid := idFrom(t, loc, "/hotline/mine/")
		if code, _ := w.postForm(t, w.client(t, "cit2"), mine+"/withdraw", url.Values{}); code != http.StatusNotFound {
			t.Fatalf("another citizen withdraws: %d", code)
		}
		if code, _ := w.postForm(t, w.client(t, "cit2"), mine+"/info", url.Values{"info": {"我也补充一点情况"}}); code != http.StatusNotFound {
			t.Fatalf("another citizen adds info: %d", code)
		}
		if code, _ := w.postForm(t, w.client(t, "opr"), mine+"/withdraw", url.Values{}); code == http.StatusSeeOther {
			t.Fatal("an operator withdrew a citizen's request")
		}
		must(w.m.Dispatch(ctx, w.a("disp"), mid, hotline.DispatchInput{Lead: w.deptA}))
		must(w.m.SignFor(ctx, w.a("ha"), mid))
		if code, loc := w.postForm(t, cit, mine+"/withdraw", url.Values{"reason": {"问题已自行解决"}}); code != http.StatusSeeOther {
			t.Fatalf("withdraw while handled: %d %s", code, loc)
		}
		o := must(w.m.Get(ctx, w.a("cit1"), mid))
		if o.Status != hotline.StatusWithdrawn || o.Open() {
			t.Fatalf("status %s", o.Status)
		}
		in := must(w.eng.Instance(ctx, o.InstanceID))
		if in.Status != flow.StatusDone {
			t.Fatalf("instance %s", in.Status)
		}
		hs = must(w.m.History(ctx, w.a("op"), mid))
		if l := hs[len(hs)-1]; l.Action != "withdraw" || l.Comment != "来电人撤回诉求，原因：问题已自行解决" || l.ActorName != "市民一" {
			t.Fatalf("history: %+v", l)
		}
		if code, _ := w.postForm(t, cit, mine+"/withdraw", url.Values{}); code != http.StatusConflict {
			t.Fatalf("withdraw twice: %d", code)
		}
		if code, _ := w.postForm(t, cit, mine+"/info", url.Values{"info": {"撤回后还想补充"}}); code != http.StatusConflict {
			t.Fatalf("info after withdrawal: %d", code)
		}
		if _, page := w.get(t, cit, mine); !strings.Contains(page, "已撤回") || strings.Contains(page, `action="`+mine+`/withdraw"`) {
			t.Fatal("the page of a withdrawn request still offers to withdraw")
		}
	})
}

func TestEnterpriseAppealCarriesTheUSCC(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setupSubmit(t, db, hotline.Config{})
		ctx := context.Background()
		ent := w.client(t, "ent")
		if _, page := w.get(t, ent, "/hotline/submit"); !strings.Contains(page, `value="appeal_arrears"`) || !strings.Contains(page, w.uscc) {
			t.Fatal("the business's form offers no appeal or does not name its code")
		}
		f := submission("13600001111")
		f.Set("type", "appeal_arrears")
		f.Set("category_code", "070101")
		f.Set("uscc", "91110000000000000X") // ignored: the code is the account's
		f.Set("content", "区城建局2025年道路工程款120万元逾期一年未支付，多次催要无果")
		code, loc, body := w.postMultipart(t, ent, "/hotline/submit", f)
		if code != http.StatusSeeOther {
			t.Fatalf("appeal: %d %s", code, body)
		}
		o := must(w.m.Get(ctx, w.ent, idFrom(t, loc, "/hotline/mine/")))
		if o.USCC != w.uscc || o.Type != hotline.TypeAppealArrears || o.CallerUserID != w.ent.UserID {
			t.Fatalf("appeal order: uscc %q type %s caller %d", o.USCC, o.Type, o.CallerUserID)
		}
		if o.Public() {
			t.Fatal("an enterprise appeal is public")
		}
		// A citizen cannot file an enterprise appeal.
		f.Set("content", "拖欠我家装修款两万元一直不给")
		code, _, body = w.postMultipart(t, w.client(t, "cit1"), "/hotline/submit", f)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "涉企诉求须以企业账户登录提交") {
			t.Fatalf("citizen appeal: %d", code)
		}
	})
}

func TestCallFromRegisteredNumberLinksToAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setupSubmit(t, db, hotline.Config{})
		ctx := context.Background()
		o := w.intake(complaint("139-1234-5678"))
		if o.CallerUserID != w.regular.UserID {
			t.Fatalf("a call from a registered number: caller %d, want %d", o.CallerUserID, w.regular.UserID)
		}
		mine, _, err := w.m.List(ctx, w.regular, hotline.Filter{CallerUserID: w.regular.UserID})
		if err != nil || len(mine) != 1 || mine[0].ID != o.ID {
			t.Fatalf("their list: %v %v", mine, err)
		}
		if _, page := w.get(t, w.client(t, "cit3"), "/hotline/my"); !strings.Contains(page, o.Number) {
			t.Fatal("/hotline/my does not list the call")
		}
		if other := w.intake(complaint("13700009999")); other.CallerUserID != 0 {
			t.Fatalf("an unregistered number linked to %d", other.CallerUserID)
		}
	})
}

func TestSubmitFormLanguages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setupSubmit(t, db, hotline.Config{MapTiles: "https://tiles.example/{z}/{x}/{y}.png"})
		page := func(lang string) (string, http.Header) {
			req, _ := http.NewRequest("GET", w.srv.URL+"/hotline/submit", nil)
			req.Header.Set("Accept-Language", lang)
			resp, err := anonymous().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b bytes.Buffer
			b.ReadFrom(resp.Body)
			return b.String(), resp.Header
		}
		zh, h := page("zh-CN")
		if !strings.Contains(zh, "在线提交12345诉求") || !strings.Contains(zh, `optgroup label="城乡建设 / 市容环卫"`) ||
			strings.Contains(zh, "Street vending") || strings.Contains(zh, "Photos") {
			t.Fatal("the Chinese form is not Chinese only")
		}
		if !strings.Contains(h.Get("Content-Security-Policy"), "img-src 'self' data: https://tiles.example") {
			t.Fatalf("the tile server is not allowed: %s", h.Get("Content-Security-Policy"))
		}
		if !strings.Contains(zh, `data-tiles="https://tiles.example/{z}/{x}/{y}.png"`) {
			t.Fatal("the map is not configured")
		}
		en, _ := page("en")
		if !strings.Contains(en, "File a 12345 request online") || !strings.Contains(en, "Street vending on the road") || strings.Contains(en, "诉求内容") {
			t.Fatal("the English form is not English")
		}
	})
}
