package rating_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/rating"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/valid"
)

type subjects map[int64]rating.Info

// Phone returns the fake's sealed phone.
func (s subjects) Phone(_ context.Context, kind string, id int64) (string, string, error) {
	p := phones[id]
	return p[0], p[1], nil
}

// phones are the sealed phones and blind indexes of the fake subjects.
var phones = map[int64][2]string{1: {"sealed-1", "idx-1"}, 4: {"sealed-4", "idx-4"}, 5: {"sealed-5", "idx-5"}}

// Readable: in the fake modules, user 9 may read case 2 (a clerk of the
// region serving the counter) and nobody else any case.
func (s subjects) Readable(_ context.Context, a *auth.Actor, kind string, id int64) bool {
	return a != nil && a.UserID == 9 && id == 2
}

func (s subjects) Subject(_ context.Context, kind string, id int64) (rating.Info, error) {
	if i, ok := s[id]; ok {
		return i, nil
	}
	return rating.Info{}, rating.ErrNotFound
}

type world struct {
	svc  *rating.Service
	db   *store.DB
	now  time.Time
	subj subjects
}

// links returns the SMS links asked for so far (the rating.link events in
// the outbox), oldest first.
func (w *world) links(t *testing.T) []rating.LinkEvent {
	t.Helper()
	rows, err := store.Query(context.Background(), w.db, `SELECT payload FROM outbox WHERE topic = ? ORDER BY id`, rating.TopicLink)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []rating.LinkEvent
	for rows.Next() {
		var b string
		var l rating.LinkEvent
		if err := rows.Scan(&b); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(b), &l); err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// newWorld rates on Monday 2026-09-28, before the National Day holiday.
func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	w := &world{db: db, now: time.Date(2026, 9, 28, 10, 0, 0, 0, calendar.CST), subj: subjects{
		1: {PersonID: 100, DepartmentID: 7, ItemCode: "GR-001", Done: true, Reference: "YS-0001"},
		2: {PersonID: 200, DepartmentID: 7, ItemCode: "GR-001", Done: true},
		3: {PersonID: 100, DepartmentID: 8, ItemCode: "GR-002", Done: false},
		4: {PersonID: 100, DepartmentID: 8, ItemCode: "GR-002", Done: true, Reference: "YS-0004"},
	}}
	clock := func() time.Time { return w.now }
	var err error
	w.svc, err = rating.New(rating.Deps{DB: db, Audit: audit.New(clock), Subjects: w.subj, Now: clock,
		BaseURL: "https://zwfw.example.gov.cn/"})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestRateOnceOwnCasesOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		subj := rating.Subject{Kind: rating.KindCase, ID: 1, Event: "decided"}
		// Another person's case is not found, so its existence is not revealed.
		if _, err := w.svc.RateOnline(ctx, 200, "李四", subj, rating.Input{Level: rating.Satisfied}); !errors.Is(err, rating.ErrNotFound) {
			t.Fatalf("another person's case: %v, want ErrNotFound", err)
		}
		r, err := w.svc.RateOnline(ctx, 100, "张三", subj, rating.Input{Level: rating.VerySatisfied, Comment: "很快"})
		if err != nil {
			t.Fatal(err)
		}
		if r.FollowUpID != 0 {
			t.Errorf("a good rating opened follow-up %d", r.FollowUpID)
		}
		if _, err := w.svc.RateOnline(ctx, 100, "张三", subj, rating.Input{Level: rating.Dissatisfied}); !errors.Is(err, rating.ErrRated) {
			t.Fatalf("second rating: %v, want ErrRated", err)
		}
		// A new service event of the same case may be rated again.
		if _, err := w.svc.RateOnline(ctx, 100, "张三", rating.Subject{Kind: rating.KindCase, ID: 1, Event: "corrected"},
			rating.Input{Level: rating.Basic}); err != nil {
			t.Fatalf("another event: %v", err)
		}
		// Not yet decided: refused.
		if _, err := w.svc.RateOnline(ctx, 100, "张三", rating.Subject{Kind: rating.KindCase, ID: 3, Event: "decided"},
			rating.Input{Level: rating.Satisfied}); !errors.Is(err, rating.ErrNotDone) {
			t.Fatalf("undecided: %v, want ErrNotDone", err)
		}
		// Control characters and an invalid level name the field.
		var fe *valid.FieldError
		if _, err := w.svc.RateOnline(ctx, 100, "张三", rating.Subject{Kind: rating.KindCase, ID: 4, Event: "decided"},
			rating.Input{Level: rating.Satisfied, Comment: "好\x00"}); !errors.As(err, &fe) || fe.Path != "comment" {
			t.Fatalf("control character: %v, want a comment field error", err)
		}
		if _, err := w.svc.RateOnline(ctx, 100, "张三", rating.Subject{Kind: rating.KindCase, ID: 4, Event: "decided"},
			rating.Input{Level: 6}); !errors.As(err, &fe) || fe.Path != "level" {
			t.Fatalf("level 6: %v, want a level field error", err)
		}
	})
}

func TestWindowStaffOfResponsibleDepartment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		subj := rating.Subject{Kind: rating.KindHotline, ID: 2, Event: "closed"}
		other := &auth.Actor{UserID: 10, Name: "王五", Roles: []auth.Role{auth.RoleClerk}, DepartmentIDs: []int64{8}}
		if _, err := w.svc.RateAtWindow(ctx, other, subj, rating.Input{Level: rating.Satisfied}); !errors.Is(err, rating.ErrNotFound) {
			t.Fatalf("staff of another department: %v, want ErrNotFound", err)
		}
		// A role that serves no counter, even of the department.
		sup := &auth.Actor{UserID: 11, Name: "督办", Roles: []auth.Role{auth.RoleApprover}, DepartmentIDs: []int64{7}}
		if _, err := w.svc.RateAtWindow(ctx, sup, subj, rating.Input{Level: rating.Satisfied}); !errors.Is(err, rating.ErrNotFound) {
			t.Fatalf("approver: %v, want ErrNotFound", err)
		}
		staff := &auth.Actor{UserID: 5, Name: "赵六", Roles: []auth.Role{auth.RoleClerk}, DepartmentIDs: []int64{7}}
		r, err := w.svc.RateAtWindow(ctx, staff, subj, rating.Input{Level: rating.Satisfied})
		if err != nil {
			t.Fatal(err)
		}
		if r.StaffID != 5 || r.Channel != rating.Window {
			t.Errorf("rating = %+v, want staff 5 at the window", r)
		}
	})
}

func TestTokenSingleUseAndExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		subj := rating.Subject{Kind: rating.KindCase, ID: 1, Event: "decided"}
		if err := w.svc.SendLink(ctx, 11, subj); err != nil {
			t.Fatal(err)
		}
		got := w.links(t)
		if len(got) != 1 || got[0].PhoneSealed != "sealed-1" || got[0].PhoneIndex != "idx-1" || got[0].Reference != "YS-0001" {
			t.Fatalf("links = %+v, want one to the sealed phone of case 1", got)
		}
		link := got[0].Link
		const prefix = "https://zwfw.example.gov.cn/ratings/t/"
		if len(link) <= len(prefix) || link[:len(prefix)] != prefix {
			t.Fatalf("link %q, want under %s", link, prefix)
		}
		token := link[len(prefix):]
		if _, err := w.svc.RateByToken(ctx, token, rating.Input{Level: rating.Satisfied}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.RateByToken(ctx, token, rating.Input{Level: rating.Satisfied}); !errors.Is(err, rating.ErrNotFound) {
			t.Fatalf("second use: %v, want ErrNotFound", err)
		}
		// A rated subject gets no further link.
		if err := w.svc.SendLink(ctx, 12, subj); err != nil || len(w.links(t)) != 1 {
			t.Fatalf("link after rating: %v, %d sent", err, len(w.links(t)))
		}
		// Expired after the national default of 7 days (168 hours).
		tok2, _, err := w.svc.IssueLink(ctx, rating.Subject{Kind: rating.KindCase, ID: 4, Event: "decided"})
		if err != nil {
			t.Fatal(err)
		}
		w.now = w.now.Add(168 * time.Hour)
		if _, err := w.svc.RateByToken(ctx, tok2, rating.Input{Level: rating.Satisfied}); !errors.Is(err, rating.ErrNotFound) {
			t.Fatalf("expired token: %v, want ErrNotFound", err)
		}
		if _, err := w.svc.RateByToken(ctx, "nonsense", rating.Input{Level: rating.Satisfied}); !errors.Is(err, rating.ErrNotFound) {
			t.Fatalf("unknown token: %v", err)
		}
		// Only the hash is stored.
		var n int
		if err := store.QueryRow(ctx, db, `SELECT COUNT(*) FROM rating_tokens WHERE hash = ?`, token).Scan(&n); err != nil || n != 0 {
			t.Fatalf("token stored in clear: %d, %v", n, err)
		}
	})
}

// A bad rating opens a follow-up due 15 working days after the day of the
// rating (国办发〔2019〕51号: 差评 核实、整改、反馈 within 15 working days):
// rated Monday 2026-09-28, the National Day holiday (10-01..10-07) is not
// counted and Saturday 10-10 is a working day, so it is due on 2026-10-23.
func TestBadRatingOpensFollowUpAndAnswerReachesPerson(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		r, err := w.svc.RateOnline(ctx, 100, "张三", rating.Subject{Kind: rating.KindCase, ID: 4, Event: "decided"},
			rating.Input{Level: rating.VeryDissatisfied, Comment: "来回跑了三次，电话13800138000"})
		if err != nil {
			t.Fatal(err)
		}
		if r.FollowUpID == 0 {
			t.Fatal("a bad rating opened no follow-up")
		}
		if r.DueOn != "2026-10-23" {
			t.Errorf("due on %s, want 2026-10-23 (15 working days, 国办发〔2019〕51号)", r.DueOn)
		}
		if r.Comment == "来回跑了三次，电话13800138000" {
			t.Errorf("phone number in comment stored unmasked: %q", r.Comment)
		}
		other := &auth.Actor{UserID: 9, Name: "王五", DepartmentIDs: []int64{7}}
		ans := rating.Answer{Verification: "情况属实", Rectification: "已一次告知材料清单", Feedback: "已致电致歉并办结"}
		if _, err := w.svc.AnswerFollowUp(ctx, other, r.FollowUpID, ans); !errors.Is(err, rating.ErrNotFound) {
			t.Fatalf("another department answers: %v, want ErrNotFound", err)
		}
		var fe *valid.FieldError
		if _, err := w.svc.AnswerFollowUp(ctx, &auth.Actor{UserID: 5, DepartmentIDs: []int64{8}}, r.FollowUpID,
			rating.Answer{Verification: "x\x07", Rectification: "y", Feedback: "z"}); !errors.As(err, &fe) || fe.Path != "verification" {
			t.Fatalf("control character: %v", err)
		}
		staff := &auth.Actor{UserID: 5, Name: "赵六", DepartmentIDs: []int64{8}}
		w.now = w.now.Add(48 * time.Hour)
		if _, err := w.svc.AnswerFollowUp(ctx, staff, r.FollowUpID, ans); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.AnswerFollowUp(ctx, staff, r.FollowUpID, ans); !errors.Is(err, rating.ErrAnswered) {
			t.Fatalf("second answer: %v, want ErrAnswered", err)
		}
		var told int
		_ = db.QueryRowContext(ctx, "SELECT COUNT(*) FROM outbox WHERE topic = ?", rating.TopicAnswered).Scan(&told)
		if told != 1 {
			t.Errorf("answer events: %d, want 1 (the person is told once)", told)
		}
		mine, err := w.svc.FollowUpsOfPerson(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(mine) != 1 || mine[0].Feedback != "已致电致歉并办结" || mine[0].Status != rating.FollowAnswered || mine[0].AnsweredOn != "2026-09-30" {
			t.Fatalf("person's follow-ups = %+v", mine)
		}
		if others, _ := w.svc.FollowUpsOfPerson(ctx, 200); len(others) != 0 {
			t.Fatalf("another person sees %+v", others)
		}
	})
}

func TestFigures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		staff := &auth.Actor{UserID: 5, Name: "赵六", Roles: []auth.Role{auth.RoleClerk}, DepartmentIDs: []int64{7, 8}}
		for _, c := range []struct {
			id    int64
			level rating.Level
		}{{1, rating.VerySatisfied}, {2, rating.Dissatisfied}, {4, rating.Basic}} {
			if _, err := w.svc.RateAtWindow(ctx, staff, rating.Subject{Kind: rating.KindCase, ID: c.id, Event: "decided"},
				rating.Input{Level: c.level}); err != nil {
				t.Fatal(err)
			}
		}
		figs, err := w.svc.Figures(ctx, rating.ByDepartment, "2026-09-01", "2026-09-30")
		if err != nil {
			t.Fatal(err)
		}
		if len(figs) != 2 || figs[0].Key != "7" || figs[0].Total != 2 || figs[0].Counts[5] != 1 || figs[0].Counts[2] != 1 ||
			figs[0].GoodPermil != 500 || figs[0].FixPermil != 0 || figs[1].GoodPermil != 1000 {
			t.Fatalf("figures = %+v", figs)
		}
		staffFigs, err := w.svc.Figures(ctx, rating.ByStaff, "", "")
		if err != nil || len(staffFigs) != 1 || staffFigs[0].Key != "5" || staffFigs[0].Total != 3 {
			t.Fatalf("staff figures = %+v, %v", staffFigs, err)
		}
		if none, _ := w.svc.Figures(ctx, rating.ByItem, "2026-10-01", ""); len(none) != 0 {
			t.Fatalf("figures after the period = %+v", none)
		}
		var buf bytes.Buffer
		if err := rating.WriteFiguresXLSX(&buf, rating.ByDepartment, figs); err != nil || !bytes.HasPrefix(buf.Bytes(), []byte("PK")) {
			t.Fatalf("xlsx: %v", err)
		}
		if rating.Percent(500) != "50.0%" {
			t.Errorf("Percent(500) = %s", rating.Percent(500))
		}
	})
}

func TestRulesOverride(t *testing.T) {
	r, err := rating.ParseRules([]byte(`{"follow_up_working_days": 10}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.FollowUpWorkingDays != 10 || r.TokenHours != 168 {
		t.Fatalf("rules = %+v, want 10 working days and the default 168 hours", r)
	}
	var fe *valid.FieldError
	if _, err := rating.ParseRules([]byte(`{"follow_up_working_days": 0}`)); !errors.As(err, &fe) || fe.Path != "follow_up_working_days" {
		t.Fatalf("0 days: %v", err)
	}
	if _, err := rating.ParseRules([]byte(`{"nope": 1}`)); !errors.Is(err, valid.ErrInvalid) {
		t.Fatalf("unknown field: %v", err)
	}
}

// The decision of an application and the closing of a hotline order each
// ask for one SMS link, however often the outbox delivers the event; the
// link rates the subject.
func TestFinishingEventsSendOneLink(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		e := outbox.Event{ID: 31, Topic: rating.TopicCaseDecided, Payload: json.RawMessage(`{"id": 4, "action": "approve"}`)}
		for range 3 { // redelivered
			if err := w.svc.HandleEvent(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		got := w.links(t)
		if len(got) != 1 || got[0].SubjectKind != rating.KindCase || got[0].SubjectID != 4 || got[0].PhoneSealed != "sealed-4" {
			t.Fatalf("links = %+v, want one to the applicant of case 4", got)
		}
		// A case without a phone gets no SMS (the person rates online).
		if err := w.svc.HandleEvent(ctx, outbox.Event{ID: 32, Topic: rating.TopicCaseDecided, Payload: json.RawMessage(`{"id": 2}`)}); err != nil {
			t.Fatal(err)
		}
		// A hotline order closed (its workflow moved to "closed"); another
		// transition asks for nothing.
		w.subj[5] = rating.Info{PersonID: 0, DepartmentID: 7, ItemCode: "HL-01", Done: true, Reference: "12345202609280001"}
		move := func(id int64, to string) outbox.Event {
			return outbox.Event{ID: id, Topic: rating.TopicTransition,
				Payload: json.RawMessage(`{"subject_type": "hotline_order", "subject_id": 5, "to": "` + to + `"}`)}
		}
		for _, ev := range []outbox.Event{move(33, "handling"), move(34, "closed"), move(34, "closed")} {
			if err := w.svc.HandleEvent(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		got = w.links(t)
		if len(got) != 2 || got[1].SubjectKind != rating.KindHotline || got[1].Event != "closed" || got[1].Reference != "12345202609280001" {
			t.Fatalf("links = %+v, want the case's and the closed order's", got)
		}
		tok := got[1].Link[len("https://zwfw.example.gov.cn/ratings/t/"):]
		r, err := w.svc.RateByToken(ctx, tok, rating.Input{Level: rating.Satisfied})
		if err != nil || r.Subject.Kind != rating.KindHotline || r.Subject.ID != 5 || r.Channel != rating.SMS {
			t.Fatalf("rate by the order's link: %+v, %v", r, err)
		}
		// A bad payload fails the event, so the outbox keeps it.
		if err := w.svc.HandleEvent(ctx, outbox.Event{ID: 35, Topic: rating.TopicCaseDecided, Payload: json.RawMessage(`{"id": 0}`)}); !errors.Is(err, rating.ErrInvalid) {
			t.Fatalf("no id: %v", err)
		}
	})
}
