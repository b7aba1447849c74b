// Package rating is 政务服务"好差评" (国办发〔2019〕51号, GB/T 39735):
// every casework application and every hotline order may be rated once per
// service event on five levels, at the window (staff record the level the
// person gives on the counter's device), online (the person signed in, own
// cases only) or by an SMS link (a single-use bearer token that expires).
// A bad rating (不满意, 非常不满意) opens a follow-up (核实、整改、反馈)
// assigned to the responsible department with a limit on the working-day
// calendar, and the person reads the answer. Figures per item, department
// and staff member give counts per level, 好评率 and 差评整改率.
//
// The module does not read casework or hotline tables: it reaches the rated
// subjects through the Subjects interface, wired in internal/app from those
// modules' exported functions.
package rating

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
)

// Level is one of the five levels of GB/T 39735, 5 the best.
type Level int

// The five levels.
const (
	VeryDissatisfied Level = 1 // 非常不满意
	Dissatisfied     Level = 2 // 不满意
	Basic            Level = 3 // 基本满意
	Satisfied        Level = 4 // 满意
	VerySatisfied    Level = 5 // 非常满意
)

// Valid reports whether l is one of the five levels.
func (l Level) Valid() bool { return l >= VeryDissatisfied && l <= VerySatisfied }

// Bad reports whether l is a 差评, which opens a follow-up.
func (l Level) Bad() bool { return l == VeryDissatisfied || l == Dissatisfied }

// Key is the i18n key of the level's name.
func (l Level) Key() string { return "rating.level." + strconv.Itoa(int(l)) }

// Channel is where a rating was given.
type Channel string

// The channels.
const (
	Window Channel = "window"
	Online Channel = "online"
	SMS    Channel = "sms"
)

// Subject kinds the module rates.
const (
	KindCase    = "case"
	KindHotline = "hotline"
)

// Follow-up states.
const (
	FollowOpen     = "open"
	FollowAnswered = "answered"
)

// Errors. Every *valid.FieldError matches ErrInvalid.
var (
	ErrInvalid  = valid.ErrInvalid
	ErrNotFound = notFound{}
	// ErrRated: the subject was already rated for this service event.
	ErrRated = conflict("rating: already rated for this service (该事项本次服务已评价)")
	// ErrNotDone: the subject is not decided or closed yet.
	ErrNotDone = conflict("rating: the service is not finished yet (办结后方可评价)")
	// ErrAnswered: the follow-up was already answered.
	ErrAnswered = conflict("rating: follow-up already answered (该差评已反馈)")
)

type notFound struct{}

func (notFound) Error() string  { return "rating: not found (未找到)" }
func (notFound) NotFound() bool { return true }

type conflict string

func (c conflict) Error() string { return string(c) }
func (conflict) Conflict() bool  { return true }

// Subject names what is rated: a case or hotline order and the service
// event (such as the decision) the rating is about.
type Subject struct {
	Kind  string
	ID    int64
	Event string
}

// Info is what the owning module tells about a subject.
type Info struct {
	PersonID     int64  // the applicant or caller (0: anonymous)
	DepartmentID int64  // the responsible department
	ItemCode     string // the service item (事项) or order category
	Done         bool   // decided or closed
	// Reference is the number people know the subject by (申请编号,
	// 工单号), quoted in the SMS.
	Reference string
}

// Subjects looks up rated subjects in their owning modules; it answers
// ErrNotFound (or an error matching it) for unknown ones.
type Subjects interface {
	Subject(ctx context.Context, kind string, id int64) (Info, error)
	// Readable reports whether a may read the subject under its own
	// module's scope rules (region, department, own records): a window
	// clerk records ratings only for cases they may read.
	Readable(ctx context.Context, a *auth.Actor, kind string, id int64) bool
	// Phone returns the person's phone sealed with, and indexed by, the
	// platform's pii.Box, for the SMS link ("" when there is none); rating
	// never opens or stores it. It is asked only when a link is sent, as
	// reading an account's phone is audited.
	Phone(ctx context.Context, kind string, id int64) (sealed, index string, err error)
}

// TopicLink is the outbox topic of an SMS rating link to send: the
// notifier (notify.TopicRatingLink) writes and sends the text message, so
// the link goes the platform's one SMS path, and is never logged there.
const TopicLink = "rating.link"

// TopicAnswered is the outbox topic of a follow-up answered: the notifier
// (notify.TopicRatingAnswered) tells the person who gave the bad rating
// that the department answered, linking to /ratings/mine.
const TopicAnswered = "rating.answered"

// AnsweredEvent is the payload of TopicAnswered.
type AnsweredEvent struct {
	FollowUpID int64 `json:"follow_up_id"`
	PersonID   int64 `json:"person_id"`
}

// LinkEvent is the payload of TopicLink. The phone stays sealed; the link
// is a bearer credential kept only in the outbox and the message.
type LinkEvent struct {
	SubjectKind string `json:"subject_kind"`
	SubjectID   int64  `json:"subject_id"`
	Event       string `json:"event"`
	Reference   string `json:"reference"`
	PhoneSealed string `json:"phone_sealed"`
	PhoneIndex  string `json:"phone_index"`
	Link        string `json:"link"`
}

// Deps are the services the module uses.
type Deps struct {
	DB       *store.DB
	Audit    *audit.Log
	Subjects Subjects
	// Calendar returns the working-day calendar in force.
	Calendar func() *calendar.Calendar
	Rules    *Rules // nil: national defaults
	Now      func() time.Time
	// BaseURL prefixes the SMS link, e.g. "https://zwfw.example.gov.cn".
	BaseURL string
	// TokenKey is a keyed one-way function (the pii box's blind index in
	// the app) from which the token of the link an event causes is
	// derived, so a redelivered event yields the same token, found stored,
	// and no second text. Nil: a random key per process.
	TokenKey func(string) string
}

// Service records ratings and follow-ups.
type Service struct{ d Deps }

// New checks d and returns the service.
func New(d Deps) (*Service, error) {
	if d.DB == nil || d.Audit == nil || d.Subjects == nil {
		return nil, errors.New("rating: DB, Audit and Subjects are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Rules == nil {
		d.Rules = DefaultRules()
	}
	if err := d.Rules.Validate(); err != nil {
		return nil, fmt.Errorf("rating: %w", err)
	}
	if d.TokenKey == nil {
		var k [32]byte
		if _, err := rand.Read(k[:]); err != nil {
			return nil, fmt.Errorf("rating: key: %w", err)
		}
		d.TokenKey = func(v string) string {
			m := hmac.New(sha256.New, k[:])
			m.Write([]byte(v))
			return hex.EncodeToString(m.Sum(nil))
		}
	}
	if d.Calendar == nil {
		official := calendar.New(calendar.Official())
		d.Calendar = func() *calendar.Calendar { return official }
	}
	return &Service{d: d}, nil
}

// Input is a rating as given.
type Input struct {
	Level   Level
	Comment string
}

func (in Input) check() error {
	if !in.Level.Valid() {
		return &valid.FieldError{Path: "level", Message: "请选择五个评价等级之一 (choose one of the five levels)"}
	}
	if err := valid.Text("comment", in.Comment); err != nil {
		return err
	}
	if len([]rune(in.Comment)) > 500 {
		return &valid.FieldError{Path: "comment", Message: "不得超过500字 (at most 500 characters)"}
	}
	return nil
}

// Rating is a stored rating.
type Rating struct {
	ID           int64
	Subject      Subject
	ItemCode     string
	Level        Level
	Channel      Channel
	PersonID     int64
	DepartmentID int64
	StaffID      int64
	Comment      string
	RatedOn      string
	FollowUpID   int64 // the follow-up a bad rating opened
	DueOn        string
}

func checkSubject(s Subject) error {
	if s.Kind != KindCase && s.Kind != KindHotline {
		return &valid.FieldError{Path: "subject_kind", Message: "须为 case 或 hotline (must be case or hotline)"}
	}
	if s.ID <= 0 {
		return &valid.FieldError{Path: "subject_id", Message: "无效 (invalid)"}
	}
	if s.Event == "" || len(s.Event) > 64 {
		return &valid.FieldError{Path: "event", Message: "无效 (invalid)"}
	}
	return valid.Text("event", s.Event)
}

// windowRoles may record a rating at the counter: the window clerk, the
// handler serving at a department's window and the hotline operator taking
// the caller's rating on the phone.
var windowRoles = []auth.Role{auth.RoleClerk, auth.RoleHandler, auth.RoleOperator}

// RateAtWindow records the level a person gave on the counter's device
// (评价器) for a service the staff member a gave: the rating carries a's
// id. a must hold a window role and act for the responsible department or
// be able to read the subject in its module; otherwise ErrNotFound, so the
// subject's existence is not revealed.
func (s *Service) RateAtWindow(ctx context.Context, a *auth.Actor, subj Subject, in Input) (*Rating, error) {
	info, err := s.lookup(ctx, subj, in)
	if err != nil {
		return nil, err
	}
	if a == nil || a.UserID == 0 || !a.HasAny(windowRoles...) {
		return nil, ErrNotFound
	}
	if !actsFor(a, info.DepartmentID) && !s.d.Subjects.Readable(ctx, a, subj.Kind, subj.ID) {
		return nil, ErrNotFound
	}
	if !info.Done {
		return nil, ErrNotDone
	}
	return s.record(ctx, subj, info, in, Window, a.UserID, a.Name)
}

// RateOnline records the rating of the signed-in person, who may rate only
// own cases: another person's answers ErrNotFound.
func (s *Service) RateOnline(ctx context.Context, personID int64, name string, subj Subject, in Input) (*Rating, error) {
	info, err := s.lookup(ctx, subj, in)
	if err != nil {
		return nil, err
	}
	if personID == 0 || info.PersonID != personID {
		return nil, ErrNotFound
	}
	if !info.Done {
		return nil, ErrNotDone
	}
	return s.record(ctx, subj, info, in, Online, personID, name)
}

// Rate records the rating the signed-in actor a gives for subj: online
// when a is the applicant or caller, at the window when a is staff serving
// it (RateAtWindow). Anyone else gets ErrNotFound.
func (s *Service) Rate(ctx context.Context, a *auth.Actor, subj Subject, in Input) (*Rating, error) {
	if a == nil || a.UserID == 0 {
		return nil, ErrNotFound
	}
	if err := checkSubject(subj); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	info, err := s.d.Subjects.Subject(ctx, subj.Kind, subj.ID)
	if err != nil {
		return nil, fmt.Errorf("rating: %s %d: %w", subj.Kind, subj.ID, err)
	}
	if info.PersonID == a.UserID {
		return s.RateOnline(ctx, a.UserID, a.Name, subj, in)
	}
	return s.RateAtWindow(ctx, a, subj, in)
}

// Role says how actor a may rate subj: Online (own case), Window (staff
// serving it) or "" (may read the subject in its module, and so its
// rating, but not rate it). It answers ErrNotFound for a subject a may not
// see at all, so a page can refuse before showing anything.
func (s *Service) Role(ctx context.Context, a *auth.Actor, subj Subject) (Channel, Info, error) {
	if a == nil || a.UserID == 0 {
		return "", Info{}, ErrNotFound
	}
	if err := checkSubject(subj); err != nil {
		return "", Info{}, ErrNotFound
	}
	info, err := s.d.Subjects.Subject(ctx, subj.Kind, subj.ID)
	if err != nil {
		return "", Info{}, fmt.Errorf("rating: %s %d: %w", subj.Kind, subj.ID, err)
	}
	switch {
	case info.PersonID == a.UserID:
		return Online, info, nil
	case a.HasAny(windowRoles...) && (actsFor(a, info.DepartmentID) || s.d.Subjects.Readable(ctx, a, subj.Kind, subj.ID)):
		return Window, info, nil
	case s.d.Subjects.Readable(ctx, a, subj.Kind, subj.ID):
		return "", info, nil
	}
	return "", Info{}, ErrNotFound
}

// Of returns the rating of subj, or nil when it is not rated yet.
func (s *Service) Of(ctx context.Context, subj Subject) (*Rating, error) {
	var r Rating
	var level int
	var ch string
	err := store.QueryRow(ctx, s.d.DB, `SELECT r.id, r.item_code, r.level, r.channel, r.person_id, r.department_id, r.staff_id,
		r.comment, r.rated_on, COALESCE(f.id, 0), COALESCE(f.due_on, '') FROM ratings r LEFT JOIN rating_followups f ON f.rating_id = r.id
		WHERE r.subject_kind = ? AND r.subject_id = ? AND r.event = ?`, subj.Kind, subj.ID, subj.Event).Scan(&r.ID, &r.ItemCode,
		&level, &ch, &r.PersonID, &r.DepartmentID, &r.StaffID, &r.Comment, &r.RatedOn, &r.FollowUpID, &r.DueOn)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("rating: of %s %d: %w", subj.Kind, subj.ID, err)
	}
	r.Subject, r.Level, r.Channel = subj, Level(level), Channel(ch)
	return &r, nil
}

// RateByToken records the rating given through an SMS link. The token is
// single use and expires; an unknown, used or expired one answers
// ErrNotFound so a link reveals nothing.
func (s *Service) RateByToken(ctx context.Context, token string, in Input) (*Rating, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	subj, err := s.TokenSubject(ctx, token)
	if err != nil {
		return nil, err
	}
	info, err := s.lookup(ctx, subj, in)
	if err != nil {
		return nil, err
	}
	if !info.Done {
		return nil, ErrNotDone
	}
	var r *Rating
	err = s.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		res, err := store.Exec(ctx, tx, `UPDATE rating_tokens SET used_at = ? WHERE hash = ? AND used_at IS NULL AND expires_at > ?`,
			store.Time(s.d.Now()), hashToken(token), store.Time(s.d.Now()))
		if err != nil {
			return fmt.Errorf("rating: token: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrNotFound
		}
		r, err = s.insert(ctx, tx, subj, info, in, SMS, 0, "")
		return err
	})
	return r, err
}

// TokenSubject returns the subject of a valid (unused, unexpired) token.
func (s *Service) TokenSubject(ctx context.Context, token string) (Subject, error) {
	var subj Subject
	if token == "" || len(token) > 100 {
		return subj, ErrNotFound
	}
	var exp time.Time
	var used sql.NullTime
	err := store.QueryRow(ctx, s.d.DB, `SELECT subject_kind, subject_id, event, expires_at, used_at FROM rating_tokens WHERE hash = ?`,
		hashToken(token)).Scan(&subj.Kind, &subj.ID, &subj.Event, &exp, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return subj, ErrNotFound
	}
	if err != nil {
		return subj, fmt.Errorf("rating: token: %w", err)
	}
	if used.Valid || !s.d.Now().Before(exp) {
		return subj, ErrNotFound
	}
	return subj, nil
}

// IssueLink creates a single-use token for subj and returns it with the
// link to send. Only the token's SHA-256 is stored; the token itself must
// never be logged.
func (s *Service) IssueLink(ctx context.Context, subj Subject) (token, link string, err error) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("rating: token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	if err := s.storeToken(ctx, subj, token); err != nil {
		return "", "", err
	}
	return token, s.linkOf(token), nil
}

func (s *Service) linkOf(token string) string {
	return strings.TrimRight(s.d.BaseURL, "/") + "/ratings/t/" + token
}

// storeToken keeps the hash of token for subj.
func (s *Service) storeToken(ctx context.Context, subj Subject, token string) error {
	if err := checkSubject(subj); err != nil {
		return err
	}
	exp := s.d.Now().Add(time.Duration(s.d.Rules.TokenHours) * time.Hour)
	if _, err := store.Exec(ctx, s.d.DB, `INSERT INTO rating_tokens (hash, subject_kind, subject_id, event, expires_at)
		VALUES (?, ?, ?, ?, ?)`, hashToken(token), subj.Kind, subj.ID, subj.Event, store.Time(exp)); err != nil {
		return fmt.Errorf("rating: token: %w", err)
	}
	return nil
}

// SendLink asks for the SMS rating link of a decided or closed subject to
// be sent to the person's phone, because outbox event eventID finished the
// service. It is what the casework.decided and hotline closing consumers
// call; a subject already rated, unknown or without a phone is skipped.
// The token is derived from the event and its row is written with the
// TopicLink event in one transaction, so a redelivered event finds the
// token stored and asks for no second text.
func (s *Service) SendLink(ctx context.Context, eventID int64, subj Subject) error {
	if err := checkSubject(subj); err != nil {
		return err
	}
	info, err := s.d.Subjects.Subject(ctx, subj.Kind, subj.ID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("rating: send link: %w", err)
	}
	if !info.Done {
		return nil
	}
	rated, err := s.Rated(ctx, subj)
	if err != nil || rated {
		return err
	}
	sealed, index, err := s.d.Subjects.Phone(ctx, subj.Kind, subj.ID)
	if err != nil {
		return fmt.Errorf("rating: send link: %w", err)
	}
	if sealed == "" || index == "" {
		return nil
	}
	seed := fmt.Sprintf("rating-link|%s|%d|%s|%d", subj.Kind, subj.ID, subj.Event, eventID)
	sum := sha256.Sum256([]byte(s.d.TokenKey(seed)))
	token := base64.RawURLEncoding.EncodeToString(sum[:24])
	now := s.d.Now()
	exp := now.Add(time.Duration(s.d.Rules.TokenHours) * time.Hour)
	return s.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		res, err := store.Exec(ctx, tx, `INSERT INTO rating_tokens (hash, subject_kind, subject_id, event, expires_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING`,
			hashToken(token), subj.Kind, subj.ID, subj.Event, store.Time(exp))
		if err != nil {
			return fmt.Errorf("rating: send link: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil // an earlier delivery of the event asked for the text
		}
		if err := outbox.Add(ctx, tx, now, TopicLink, LinkEvent{SubjectKind: subj.Kind, SubjectID: subj.ID, Event: subj.Event,
			Reference: info.Reference, PhoneSealed: sealed, PhoneIndex: index, Link: s.linkOf(token)}); err != nil {
			return fmt.Errorf("rating: send link: %w", err)
		}
		return nil
	})
}

// Rated reports whether subj was rated for its service event.
func (s *Service) Rated(ctx context.Context, subj Subject) (bool, error) {
	var n int
	if err := store.QueryRow(ctx, s.d.DB, `SELECT COUNT(*) FROM ratings WHERE subject_kind = ? AND subject_id = ? AND event = ?`,
		subj.Kind, subj.ID, subj.Event).Scan(&n); err != nil {
		return false, fmt.Errorf("rating: rated: %w", err)
	}
	return n > 0, nil
}

func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

func actsFor(a *auth.Actor, dept int64) bool {
	for _, d := range a.DepartmentIDs {
		if d == dept {
			return true
		}
	}
	return false
}

func (s *Service) lookup(ctx context.Context, subj Subject, in Input) (Info, error) {
	if err := checkSubject(subj); err != nil {
		return Info{}, err
	}
	if err := in.check(); err != nil {
		return Info{}, err
	}
	info, err := s.d.Subjects.Subject(ctx, subj.Kind, subj.ID)
	if err != nil {
		return Info{}, fmt.Errorf("rating: %s %d: %w", subj.Kind, subj.ID, err)
	}
	return info, nil
}

func (s *Service) record(ctx context.Context, subj Subject, info Info, in Input, ch Channel, actorID int64, actorName string) (*Rating, error) {
	var r *Rating
	err := s.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		r, err = s.insert(ctx, tx, subj, info, in, ch, actorID, actorName)
		return err
	})
	return r, err
}

// insert stores the rating and, for a bad one, opens the follow-up due
// FollowUpWorkingDays working days after the day of the rating.
func (s *Service) insert(ctx context.Context, tx store.Tx, subj Subject, info Info, in Input, ch Channel, actorID int64, actorName string) (*Rating, error) {
	now := s.d.Now()
	r := &Rating{Subject: subj, ItemCode: info.ItemCode, Level: in.Level, Channel: ch, PersonID: info.PersonID,
		DepartmentID: info.DepartmentID, Comment: pii.MaskText(in.Comment), RatedOn: now.In(calendar.CST).Format(calendar.DateLayout)}
	if ch == Window {
		r.StaffID = actorID
	}
	var n int
	if err := store.QueryRow(ctx, tx, `SELECT COUNT(*) FROM ratings WHERE subject_kind = ? AND subject_id = ? AND event = ?`,
		subj.Kind, subj.ID, subj.Event).Scan(&n); err != nil {
		return nil, fmt.Errorf("rating: %w", err)
	}
	if n > 0 {
		return nil, ErrRated
	}
	if err := store.QueryRow(ctx, tx, `INSERT INTO ratings (subject_kind, subject_id, event, item_code, level, channel, person_id,
		department_id, staff_id, comment, rated_on, rated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		subj.Kind, subj.ID, subj.Event, r.ItemCode, int(r.Level), string(ch), r.PersonID, r.DepartmentID, r.StaffID,
		r.Comment, r.RatedOn, store.Time(now)).Scan(&r.ID); err != nil {
		if store.IsUniqueViolation(err) {
			return nil, ErrRated
		}
		return nil, fmt.Errorf("rating: insert: %w", err)
	}
	if in.Level.Bad() {
		due, err := calendar.DueDate(s.d.Calendar(), r.RatedOn, s.d.Rules.FollowUpWorkingDays)
		if err != nil {
			return nil, fmt.Errorf("rating: follow-up: %w", err)
		}
		r.DueOn = due
		if err := store.QueryRow(ctx, tx, `INSERT INTO rating_followups (rating_id, department_id, person_id, status, opened_on, due_on)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, r.ID, r.DepartmentID, r.PersonID, FollowOpen, r.RatedOn, due).Scan(&r.FollowUpID); err != nil {
			return nil, fmt.Errorf("rating: follow-up: %w", err)
		}
	}
	if _, err := s.d.Audit.Append(ctx, tx, audit.Entry{ActorID: actorID, ActorName: actorName, Action: "rating.rate",
		ObjectType: "rating", ObjectID: strconv.FormatInt(r.ID, 10), Detail: map[string]any{"subject_kind": subj.Kind,
			"subject_id": subj.ID, "event": subj.Event, "level": int(r.Level), "channel": string(ch), "follow_up": r.FollowUpID}}); err != nil {
		return nil, err
	}
	return r, nil
}
