package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/notify"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

const def = `{
  "key": "t.general", "name": "测试事项", "name_en": "Test item",
  "states": [
    {"key": "review", "name": "审查中", "kind": "start", "limit": {"n": 5, "unit": "workdays"}},
    {"key": "done", "name": "已办结", "kind": "end"}
  ],
  "actions": [
    {"key": "finish", "name": "办结", "from": ["review"], "to": "done", "roles": ["department_handler"]}
  ]
}`

// phone is the test callers' number; it must never be stored in plaintext.
const phone = "13800138000"

// world is one district (临江区 990102) of a city (云澜市 990100) and a
// second district (青山区 990103): two departments of 临江区, two handlers
// in department A and one in B, two citizens, two users of one enterprise,
// a city supervisor and a 青山区 supervisor; a workflow case of
// department A; and hotline orders whose callers the fake hotline knows.
type world struct {
	db     *store.DB
	svc    *notify.Service
	box    *pii.Box
	eng    *flow.Engine
	clock  *clock
	users  map[string]int64
	deptA  int64
	deptB  int64
	uscc   string
	caseID int64
	orders map[int64]notify.Caller
	sender *recordSender
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// recordSender records text messages; it fails while fail is set.
type recordSender struct {
	mu   sync.Mutex
	sent []notify.Message
	fail error
}

func (r *recordSender) Send(_ context.Context, m notify.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.sent = append(r.sent, m)
	return nil
}

func setup(t *testing.T, db *store.DB) *world {
	t.Helper()
	return setupWith(t, db, nil)
}

func setupWith(t *testing.T, db *store.DB, sender notify.Sender) *world {
	t.Helper()
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 9, 30, 2, 0, 0, 0, time.UTC)}
	box, err := pii.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	orgs := org.NewService(db, box, clk.Now)
	orgs.Password = auth.TestPasswordParams
	cal := calendar.New(calendar.Official())
	eng := flow.New(db, func() flow.Calendar { return cal }, audit.New(clk.Now), clk.Now)
	if _, _, err := eng.LoadDefinition(ctx, []byte(def), auth.System()); err != nil {
		t.Fatal(err)
	}
	body := "91990102MA0000001"
	w := &world{db: db, box: box, eng: eng, clock: clk, users: map[string]int64{},
		uscc: body + string(ids.USCCCheck(body)), orders: map[int64]notify.Caller{}}
	err = db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, r := range []org.Region{{Code: "990100", Name: "云澜市"},
			{Code: "990102", Name: "临江区", ParentCode: "990100"}, {Code: "990103", Name: "青山区", ParentCode: "990100"}} {
			if _, err := orgs.CreateRegion(ctx, tx, r); err != nil {
				return err
			}
		}
		a, err := orgs.CreateDepartment(ctx, tx, org.NewDepartment{Code: "A", Name: "市场监管局", RegionCode: "990102"})
		if err != nil {
			return err
		}
		b, err := orgs.CreateDepartment(ctx, tx, org.NewDepartment{Code: "B", Name: "城管局", RegionCode: "990102"})
		if err != nil {
			return err
		}
		w.deptA, w.deptB = a.ID, b.ID
		for _, u := range []org.NewUser{
			{Username: "ha1", DisplayName: "承办甲一", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102", DepartmentIDs: []int64{a.ID}},
			{Username: "ha2", DisplayName: "承办甲二", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102", DepartmentIDs: []int64{a.ID}},
			{Username: "hb1", DisplayName: "承办乙", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102", DepartmentIDs: []int64{b.ID}},
			{Username: "cit1", DisplayName: "市民一", Roles: []auth.Role{auth.RoleCitizen}, RegionCode: "990102"},
			{Username: "cit2", DisplayName: "市民二", Roles: []auth.Role{auth.RoleCitizen}, RegionCode: "990102"},
			{Username: "ent1", DisplayName: "企业经办一", Roles: []auth.Role{auth.RoleEnterprise}, RegionCode: "990102", USCC: w.uscc},
			{Username: "ent2", DisplayName: "企业经办二", Roles: []auth.Role{auth.RoleEnterprise}, RegionCode: "990102", USCC: w.uscc},
			{Username: "supcity", DisplayName: "市督办", Roles: []auth.Role{auth.RoleSupervisor}, RegionCode: "990100"},
			{Username: "supqs", DisplayName: "青山督办", Roles: []auth.Role{auth.RoleSupervisor}, RegionCode: "990103"},
		} {
			u.Password = "Qiu-shui-2468"
			created, err := orgs.CreateUser(ctx, tx, u)
			if err != nil {
				return fmt.Errorf("%s: %w", u.Username, err)
			}
			w.users[u.Username] = created.ID
		}
		in, err := eng.Start(ctx, tx, flow.StartInput{DefinitionKey: "t.general", SubjectType: "test", SubjectID: 1,
			Reference: "YL-CASE-1", Title: "个体工商户设立登记", RegionCode: "990102", DepartmentIDs: []int64{a.ID},
			OwnerUserID: w.users["cit1"], Actor: auth.System()})
		if err != nil {
			return err
		}
		w.caseID = in.ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Orders 1 and 3 were raised by signed-in citizens, order 2 by a
	// caller known only by phone; order 4 is the enterprise's appeal.
	w.orders[1] = notify.Caller{UserID: w.users["cit1"], Number: "12345202609300000001", RegionCode: "990102"}
	w.orders[2] = notify.Caller{Number: "12345202609300000002", RegionCode: "990102",
		PhoneSealed: box.Seal(phone), PhoneIndex: box.Index(phone)}
	w.orders[3] = notify.Caller{UserID: w.users["cit2"], Number: "12345202609300000003", RegionCode: "990102"}
	w.orders[4] = notify.Caller{UserID: w.users["ent1"], Number: "12345202609300000004", RegionCode: "990102"}
	// Order 5 was filed on the web without an account: followed by its link.
	w.orders[5] = notify.Caller{Number: "12345202609300000005", RegionCode: "990102",
		PhoneSealed: box.Seal(phone), PhoneIndex: box.Index(phone), Track: "https://ys.example/hotline/track/abc"}
	w.sender = &recordSender{}
	if sender == nil {
		sender = w.sender
	}
	hot := notify.HotlineFuncs{
		Caller: func(_ context.Context, id int64) (notify.Caller, error) {
			c, ok := w.orders[id]
			if !ok {
				return notify.Caller{}, fmt.Errorf("order %d: not found", id)
			}
			return c, nil
		},
		Visit: func(id int64) string { return fmt.Sprintf("https://ys.example/hotline/visit/%d.abc.sig", id) },
	}
	certs := notify.HolderFunc(func(_ context.Context, id int64) (notify.Holder, error) {
		return notify.Holder{UserID: w.users["cit2"], Number: "ZZ-0001"}, nil
	})
	w.svc, err = notify.New(notify.Deps{DB: db, Org: orgs, Sender: sender, Hotline: hot, Flow: eng,
		Certificates: certs, Now: clk.Now, MaxAttempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// event returns an outbox event as the dispatcher would hand it over.
func event(id int64, topic string, payload any) outbox.Event {
	b, err := json.Marshal(payload)
	if err != nil {
		panic(err)
	}
	return outbox.Event{ID: id, Topic: topic, Payload: b, CreatedAt: time.Now(), Attempt: 1}
}

// recipients names the recipients of event id's messages: "user:NAME",
// "dept:A" or "sms:phone", each with its channel.
func (w *world) recipients(t *testing.T, id int64) []string {
	t.Helper()
	msgs, err := w.svc.Messages(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	names := map[int64]string{}
	for n, id := range w.users {
		names[id] = n
	}
	var out []string
	for _, m := range msgs {
		switch {
		case m.UserID != 0:
			out = append(out, "user:"+names[m.UserID]+"/"+string(m.Channel))
		case m.DepartmentID == w.deptA:
			out = append(out, "dept:A/"+string(m.Channel))
		case m.DepartmentID == w.deptB:
			out = append(out, "dept:B/"+string(m.Channel))
		case m.PhoneIndex == w.box.Index(phone):
			out = append(out, "sms:phone/"+string(m.Channel))
		default:
			out = append(out, fmt.Sprintf("unknown:%+v", m))
		}
	}
	sort.Strings(out)
	return out
}

func (w *world) actor(name string, depts ...int64) *auth.Actor {
	return &auth.Actor{UserID: w.users[name], Name: name, DepartmentIDs: depts}
}

func TestRecipients(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		cases := []struct {
			name    string
			topic   string
			payload func() any
			want    []string
			body    string // a part of the first message's body
		}{
			{"reply reaches every merged caller", "hotline.replied", func() any {
				return map[string]any{"order_id": 1, "number": w.orders[1].Number, "merged_order_ids": []int64{2, 3}}
			}, []string{"sms:phone/sms", "user:cit1/in_app", "user:cit2/in_app"}, "已答复"},
			{"appeal feedback to the enterprise and the region's supervisors", "hotline.feedback", func() any {
				return map[string]any{"order_id": 4, "number": w.orders[4].Number, "uscc": w.uscc,
					"audiences": []string{"enterprise", "supervisor"}}
			}, []string{"user:ent1/in_app", "user:ent2/in_app", "user:supcity/in_app"}, "贵企业"},
			{"extension decision to a phone caller", "hotline.notify", func() any {
				return map[string]any{"order_id": 2, "number": w.orders[2].Number, "kind": "extension", "granted": true,
					"days": 3, "due_at": w.clock.Now().Add(96 * time.Hour),
					"message": "您的工单12345202609300000002办理时限已延长3个工作日，新的办理期限为2026-10-12。"}
			}, []string{"sms:phone/sms"}, "已延长3个工作日"},
			{"transfer to 110 told to the caller", "hotline.transfer_110", func() any {
				return map[string]any{"order_id": 3, "reason": "涉及人身安全"}
			}, []string{"user:cit2/in_app"}, "110"},
			{"closing an order sends the visit link", "flow.transition", func() any {
				return map[string]any{"instance_id": 99, "subject_type": "hotline_order", "subject_id": 2,
					"action": "close", "from": "replied", "to": "closed"}
			}, []string{"sms:phone/sms"}, "https://ys.example/hotline/visit/2."},
			{"every step of an order is told to its caller", "flow.transition", func() any {
				return map[string]any{"instance_id": 99, "subject_type": "hotline_order", "subject_id": 2,
					"action": "sign", "from": "dispatched", "to": "handling"}
			}, []string{"sms:phone/sms"}, "承办部门已签收，正在办理"},
			{"a web submitter without an account gets the tracking link", "flow.transition", func() any {
				return map[string]any{"instance_id": 98, "subject_type": "hotline_order", "subject_id": 5,
					"action": "dispatch", "from": "new", "to": "dispatched"}
			}, []string{"sms:phone/sms"}, "已派发至承办部门。查看进度：https://ys.example/hotline/track/abc"},
			{"steps with messages of their own are not told twice", "flow.transition", func() any {
				return map[string]any{"instance_id": 99, "subject_type": "hotline_order", "subject_id": 2,
					"action": "reply", "from": "handling", "to": "replied"}
			}, nil, ""},
			{"application submitted", "casework.submitted", func() any {
				return map[string]any{"id": 7, "number": "YL2026000007", "item": "X1", "action": "submit",
					"status": "submitted", "department_id": w.deptA, "applicant_user_id": w.users["cit1"]}
			}, []string{"user:cit1/in_app"}, "已提交"},
			{"application needs materials", "casework.changed", func() any {
				return map[string]any{"id": 7, "number": "YL2026000007", "item": "X1", "action": "request_correction",
					"status": "correction", "department_id": w.deptA, "applicant_user_id": w.users["cit1"]}
			}, []string{"user:cit1/in_app"}, "补正"},
			{"application decided", "casework.decided", func() any {
				return map[string]any{"id": 7, "number": "YL2026000007", "item": "X1", "action": "approve",
					"status": "approved", "department_id": w.deptA, "applicant_user_id": w.users["cit1"]}
			}, []string{"user:cit1/in_app"}, "准予许可"},
			{"application of a walk-in applicant tells no account", "casework.changed", func() any {
				return map[string]any{"id": 8, "number": "YL2026000008", "status": "review", "applicant_user_id": 0}
			}, nil, ""},
			{"bundle without an applicant in the payload", "casework.bundle.submitted", func() any {
				return map[string]any{"id": 1, "number": "YJS1", "bundle": "open-shop", "applications": []int64{7, 8}}
			}, nil, ""},
			{"bundle naming its applicant", "casework.bundle.submitted", func() any {
				return map[string]any{"id": 1, "number": "YJS1", "bundle": "open-shop", "applications": []int64{7, 8},
					"applicant_user_id": w.users["cit2"]}
			}, []string{"user:cit2/in_app"}, "2个事项"},
			{"certificate issued to its holder", "certificate.issued", func() any {
				return map[string]any{"id": 5, "type": "biz", "number": "ZZ-0005", "issuer_department_id": w.deptA,
					"holder_kind": "person", "holder_user_id": w.users["cit1"]}
			}, []string{"user:cit1/in_app"}, "ZZ-0005"},
			{"enterprise certificate revoked", "certificate.revoked", func() any {
				return map[string]any{"id": 6, "type": "biz", "number": "ZZ-0006", "issuer_department_id": w.deptA,
					"holder_kind": "enterprise", "holder_uscc": w.uscc, "reason": "承诺不实"}
			}, []string{"user:ent1/in_app", "user:ent2/in_app"}, "承诺不实"},
			{"certificate used by a department", "certificate.used", func() any {
				return map[string]any{"certificate_id": 5, "type": "biz", "department_id": w.deptB, "application_ref": "YL2026000009"}
			}, []string{"user:cit2/in_app"}, "城管局"},
			{"verification request to the owning department", "certificate.verification_requested", func() any {
				return map[string]any{"id": 3, "owner_department_id": w.deptB, "instance_id": 42}
			}, []string{"dept:B/in_app"}, "核验"},
			{"escalation to the department and the region's supervisors", "flow.escalated", func() any {
				return map[string]any{"instance_id": w.caseID, "definition": "t.general", "version": 1,
					"subject_type": "test", "subject_id": 1, "region_code": "990102", "action": "escalate",
					"to": "review", "status": "running", "level": "supervise"}
			}, []string{"dept:A/in_app", "user:supcity/in_app"}, "督办单"},
		}
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				id := int64(1000 + i)
				if err := w.svc.Handle(context.Background(), event(id, c.topic, c.payload())); err != nil {
					t.Fatal(err)
				}
				if got := w.recipients(t, id); !slices.Equal(got, c.want) {
					t.Fatalf("recipients %v, want %v", got, c.want)
				}
				if c.body == "" {
					return
				}
				msgs, _ := w.svc.Messages(context.Background(), id)
				if !strings.Contains(msgs[0].Body, c.body) {
					t.Errorf("body %q lacks %q", msgs[0].Body, c.body)
				}
				if msgs[0].Link == "" || msgs[0].Title == "" || msgs[0].TitleEn == "" {
					t.Errorf("message without link or titles: %+v", msgs[0])
				}
			})
		}
		// Escalation messages name the level.
		msgs, _ := w.svc.Messages(context.Background(), int64(1000+len(cases)-1))
		if !strings.HasPrefix(msgs[0].Title, "督办单：YL-CASE-1") {
			t.Errorf("escalation title %q", msgs[0].Title)
		}
	})
}

func TestDeliveredTwiceMakesOneMessage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		e := event(7, "hotline.replied", map[string]any{"order_id": 1, "number": w.orders[1].Number,
			"merged_order_ids": []int64{2}})
		for range 2 {
			if err := w.svc.Handle(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		if got := w.recipients(t, 7); !slices.Equal(got, []string{"sms:phone/sms", "user:cit1/in_app"}) {
			t.Fatalf("after two deliveries: %v", got)
		}
		if len(w.sender.sent) != 1 {
			t.Errorf("text message sent %d times, want 1", len(w.sender.sent))
		}
		_, n, err := w.svc.List(ctx, w.actor("cit1"), notify.Query{})
		if err != nil || n != 1 {
			t.Errorf("cit1 sees %d messages (%v), want 1", n, err)
		}
	})
}

func TestVisibilityAndReading(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		handle := func(id int64, topic string, p any) {
			t.Helper()
			if err := w.svc.Handle(ctx, event(id, topic, p)); err != nil {
				t.Fatal(err)
			}
		}
		handle(1, "casework.submitted", map[string]any{"id": 1, "number": "N1", "status": "submitted", "applicant_user_id": w.users["cit1"]})
		handle(2, "casework.submitted", map[string]any{"id": 2, "number": "N2", "status": "submitted", "applicant_user_id": w.users["cit2"]})
		handle(3, "certificate.verification_requested", map[string]any{"id": 1, "owner_department_id": w.deptA})
		handle(4, "certificate.verification_requested", map[string]any{"id": 2, "owner_department_id": w.deptB})
		handle(5, "hotline.notify", map[string]any{"order_id": 2, "number": "X", "kind": "extension", "message": "短信"})

		list := func(a *auth.Actor, q notify.Query) []string {
			t.Helper()
			msgs, total, err := w.svc.List(ctx, a, q)
			if err != nil {
				t.Fatal(err)
			}
			if total != len(msgs) {
				t.Fatalf("total %d, listed %d", total, len(msgs))
			}
			var out []string
			for _, m := range msgs {
				out = append(out, m.ObjectID+"/"+m.Topic)
			}
			return out
		}
		cit1, cit2 := w.actor("cit1"), w.actor("cit2")
		ha1, ha2, hb := w.actor("ha1", w.deptA), w.actor("ha2", w.deptA), w.actor("hb1", w.deptB)
		for _, c := range []struct {
			who  *auth.Actor
			want []string
		}{
			{cit1, []string{"1/casework.submitted"}},
			{cit2, []string{"2/casework.submitted"}},
			{ha1, []string{"1/certificate.verification_requested"}},
			{hb, []string{"2/certificate.verification_requested"}},
			{w.actor("supcity"), nil},
		} {
			if got := list(c.who, notify.Query{}); !slices.Equal(got, c.want) {
				t.Errorf("%s sees %v, want %v", c.who.Name, got, c.want)
			}
		}
		// Another user's, or another department's, message cannot be read.
		cit1Msgs, _, _ := w.svc.List(ctx, cit1, notify.Query{})
		deptA, _, _ := w.svc.List(ctx, ha1, notify.Query{})
		if err := w.svc.MarkRead(ctx, cit2, cit1Msgs[0].ID); !errors.Is(err, notify.ErrNotFound) {
			t.Errorf("cit2 reads cit1's message: %v, want ErrNotFound", err)
		}
		if err := w.svc.MarkRead(ctx, hb, deptA[0].ID); !errors.Is(err, notify.ErrNotFound) {
			t.Errorf("department B reads department A's message: %v, want ErrNotFound", err)
		}
		if n, _ := w.svc.Unread(ctx, cit1); n != 1 {
			t.Errorf("cit1 unread after refused reads: %d", n)
		}
		// A department message read by one member stays unread for another.
		if err := w.svc.MarkRead(ctx, ha1, deptA[0].ID); err != nil {
			t.Fatal(err)
		}
		if n, _ := w.svc.Unread(ctx, ha1); n != 0 {
			t.Errorf("ha1 unread %d after reading, want 0", n)
		}
		if n, _ := w.svc.Unread(ctx, ha2); n != 1 {
			t.Errorf("ha2 unread %d, want 1", n)
		}
		if got := list(ha1, notify.Query{Unread: true}); got != nil {
			t.Errorf("ha1 unread list %v", got)
		}
		msgs, _, _ := w.svc.List(ctx, ha1, notify.Query{})
		if !msgs[0].Read() || !msgs[0].ReadAt.Equal(w.clock.Now().Truncate(time.Microsecond)) {
			t.Errorf("read at %v", msgs[0].ReadAt)
		}
		// Reading again keeps the first time; read-all counts only unread.
		w.clock.Add(time.Hour)
		if err := w.svc.MarkRead(ctx, ha1, deptA[0].ID); err != nil {
			t.Fatal(err)
		}
		if again, _, _ := w.svc.List(ctx, ha1, notify.Query{}); !again[0].ReadAt.Equal(msgs[0].ReadAt) {
			t.Errorf("second read moved read_at to %v", again[0].ReadAt)
		}
		handle(6, "casework.changed", map[string]any{"id": 1, "number": "N1", "status": "review", "applicant_user_id": w.users["cit1"]})
		if n, err := w.svc.MarkAllRead(ctx, cit1); err != nil || n != 2 {
			t.Errorf("cit1 read all: %d %v, want 2", n, err)
		}
		if n, err := w.svc.MarkAllRead(ctx, cit1); err != nil || n != 0 {
			t.Errorf("cit1 read all again: %d %v, want 0", n, err)
		}
		if n, _ := w.svc.Unread(ctx, cit2); n != 1 {
			t.Errorf("cit1's read-all touched cit2: unread %d", n)
		}
		// Newest first.
		if got := list(cit1, notify.Query{}); !slices.Equal(got, []string{"1/casework.changed", "1/casework.submitted"}) {
			t.Errorf("cit1 order %v", got)
		}
	})
}

// TestFailingSenderRetried runs the real dispatcher: a text message the
// gateway refuses fails the event, which the outbox delivers again later;
// the retry sends the same stored message and writes no other.
func TestFailingSenderRetried(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		d := outbox.NewDispatcher(db, nil, w.clock.Now)
		w.svc.Register(d)
		if _, err := d.RunOnce(ctx, 100); err != nil { // the setup's flow.started events
			t.Fatal(err)
		}
		if err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			return outbox.Add(ctx, tx, w.clock.Now(), "hotline.replied",
				map[string]any{"order_id": 2, "number": w.orders[2].Number, "merged_order_ids": []int64{1}})
		}); err != nil {
			t.Fatal(err)
		}
		w.sender.fail = errors.New("gateway down")
		if n, err := d.RunOnce(ctx, 10); err != nil || n != 0 {
			t.Fatalf("first run delivered %d (%v), want 0", n, err)
		}
		if n, _ := outbox.Pending(ctx, db); n != 1 {
			t.Fatalf("pending %d after failure, want 1", n)
		}
		var id int64
		if err := db.NewRaw("SELECT id FROM outbox WHERE topic = 'hotline.replied'").Scan(ctx, &id); err != nil {
			t.Fatal(err)
		}
		msgs, _ := w.svc.Messages(ctx, id)
		var sms notify.Message
		for _, m := range msgs {
			if m.Channel == notify.SMS {
				sms = m
			}
		}
		if len(msgs) != 2 || sms.Attempts != 1 || sms.LastError != "gateway down" || !sms.DeliveredAt.IsZero() {
			t.Fatalf("after failure: %d messages, sms %+v", len(msgs), sms)
		}
		w.sender.fail = nil
		w.clock.Add(time.Minute)
		if n, err := d.RunOnce(ctx, 10); err != nil || n != 1 {
			t.Fatalf("retry delivered %d (%v), want 1", n, err)
		}
		msgs, _ = w.svc.Messages(ctx, id)
		if len(msgs) != 2 {
			t.Fatalf("retry wrote more messages: %d", len(msgs))
		}
		for _, m := range msgs {
			if m.DeliveredAt.IsZero() {
				t.Errorf("message %d (%s) undelivered", m.ID, m.Channel)
			}
		}
		if len(w.sender.sent) != 1 || w.sender.sent[0].ID != sms.ID {
			t.Errorf("sent %+v, want message %d once", w.sender.sent, sms.ID)
		}
	})
}

// TestGivenUp checks that a text message failing MaxAttempts times stops
// failing its event, so the outbox is not blocked for ever.
func TestGivenUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		w.sender.fail = errors.New("number refused")
		e := event(9, "hotline.transfer_110", map[string]any{"order_id": 2})
		for i := 1; i <= 3; i++ {
			err := w.svc.Handle(ctx, e)
			if i < 3 && err == nil {
				t.Fatalf("attempt %d succeeded", i)
			}
			if i == 3 && err != nil {
				t.Fatalf("attempt %d still fails: %v", i, err)
			}
		}
		msgs, _ := w.svc.Messages(ctx, 9)
		if len(msgs) != 1 || msgs[0].Attempts != 3 || !msgs[0].DeliveredAt.IsZero() {
			t.Fatalf("given-up message %+v", msgs)
		}
		if err := w.svc.Handle(ctx, e); err != nil {
			t.Errorf("after giving up: %v", err)
		}
	})
}

func TestBadPayloadFails(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		err := w.svc.Handle(context.Background(), outbox.Event{ID: 1, Topic: "casework.changed", Payload: []byte(`{"id": "x"}`)})
		if err == nil {
			t.Fatal("malformed payload accepted")
		}
		if err := w.svc.Handle(context.Background(), event(2, "flow.escalated",
			map[string]any{"instance_id": w.caseID, "level": "shout"})); err == nil {
			t.Error("unknown escalation level accepted")
		}
		if got := w.recipients(t, 1); got != nil {
			t.Errorf("messages written for a bad event: %v", got)
		}
	})
}
