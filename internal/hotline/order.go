package hotline

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/ids"
)

// Channel is how a work order came in.
type Channel string

// The intake channels.
const (
	ChannelPhone    Channel = "phone"    // 电话, typed by an operator
	ChannelWeb      Channel = "web"      // 网站表单
	ChannelMobile   Channel = "mobile"   // 移动端
	ChannelOpen311  Channel = "open311"  // Open311 GeoReport v2
	ChannelBoard    Channel = "board"    // 留言板
	ChannelFrom110  Channel = "from110"  // 110 转入
	ChannelInternal Channel = "internal" // 部门自行发现 (demo history and tests)
)

// Channels lists the channels in display order.
var Channels = []Channel{ChannelPhone, ChannelWeb, ChannelMobile, ChannelOpen311, ChannelBoard, ChannelFrom110}

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool {
	for _, x := range Channels {
		if x == c {
			return true
		}
	}
	return c == ChannelInternal
}

// Type is the kind of request (诉求类型).
type Type string

// The request types. The three appeal types are enterprise appeals (涉企诉求):
// tied to a unified social credit code, supervised twice and answered twice.
const (
	TypeConsult          Type = "consult"           // 咨询
	TypeHelp             Type = "help"              // 求助
	TypeComplaint        Type = "complaint"         // 投诉
	TypeReport           Type = "report"            // 举报
	TypeSuggestion       Type = "suggestion"        // 建议
	TypePraise           Type = "praise"            // 表扬
	TypeAppealDishonesty Type = "appeal_dishonesty" // 政务失信
	TypeAppealArrears    Type = "appeal_arrears"    // 拖欠账款
	TypeAppealPolicy     Type = "appeal_policy"     // 政策不落实
)

// Types lists the request types in display order.
var Types = []Type{TypeConsult, TypeHelp, TypeComplaint, TypeReport, TypeSuggestion, TypePraise,
	TypeAppealDishonesty, TypeAppealArrears, TypeAppealPolicy}

var typeNames = map[Type]string{
	TypeConsult: "咨询", TypeHelp: "求助", TypeComplaint: "投诉", TypeReport: "举报", TypeSuggestion: "建议",
	TypePraise: "表扬", TypeAppealDishonesty: "政务失信", TypeAppealArrears: "拖欠账款", TypeAppealPolicy: "政策不落实",
}

// Valid reports whether t is a known type.
func (t Type) Valid() bool { _, ok := typeNames[t]; return ok }

// Name returns the type's Chinese name.
func (t Type) Name() string { return typeNames[t] }

// Appeal reports whether t is an enterprise appeal.
func (t Type) Appeal() bool {
	return t == TypeAppealDishonesty || t == TypeAppealArrears || t == TypeAppealPolicy
}

// Status is where a work order stands; it mirrors the workflow state.
type Status string

// The statuses.
const (
	StatusNew         Status = "new"         // 待派单
	StatusDispatched  Status = "dispatched"  // 待签收
	StatusHandling    Status = "handling"    // 办理中
	StatusReplied     Status = "replied"     // 已答复
	StatusClosed      Status = "closed"      // 已办结
	StatusVisited     Status = "visited"     // 已回访
	StatusTransferred Status = "transferred" // 已转110
	StatusMerged      Status = "merged"      // 已合并
	StatusWithdrawn   Status = "withdrawn"   // 已撤回 (by the submitter, while open)
)

// Statuses lists the statuses in workflow order.
var Statuses = []Status{StatusNew, StatusDispatched, StatusHandling, StatusReplied, StatusClosed,
	StatusVisited, StatusTransferred, StatusMerged, StatusWithdrawn}

var statusNames = map[Status]string{
	StatusNew: "待派单", StatusDispatched: "待签收", StatusHandling: "办理中", StatusReplied: "已答复",
	StatusClosed: "已办结", StatusVisited: "已回访", StatusTransferred: "已转110", StatusMerged: "已合并",
	StatusWithdrawn: "已撤回",
}

// Name returns the status's Chinese name.
func (s Status) Name() string { return statusNames[s] }

// Satisfaction is the citizen's verdict at the return visit.
type Satisfaction string

// The verdicts.
const (
	Satisfied      Satisfaction = "satisfied"       // 满意
	BasicSatisfied Satisfaction = "basic_satisfied" // 基本满意
	Dissatisfied   Satisfaction = "dissatisfied"    // 不满意
	// Unreachable (无法联系) is no verdict: the centre called the set
	// number of times (Settings.VisitAttempts) without reaching the
	// citizen. Such an order counts in neither the resolution nor the
	// satisfaction rate (see CountingRules).
	Unreachable Satisfaction = "unreachable"
)

// Order is one 12345 work order (工单).
type Order struct {
	ID           int64     `json:"id"`
	Number       string    `json:"number" doc:"12345 + yyyymmdd + 6-digit sequence"`
	Channel      Channel   `json:"channel"`
	Type         Type      `json:"type"`
	CategoryCode string    `json:"category_code"`
	Title        string    `json:"title"`
	Content      string    `json:"content"`
	CallerName   string    `json:"caller_name" doc:"Masked or empty unless the caller may see it"`
	CallerPhone  string    `json:"caller_phone" doc:"Masked unless the viewer took the call"`
	CallerUserID int64     `json:"caller_user_id,omitempty"`
	TakenBy      int64     `json:"taken_by,omitempty" doc:"The operator who took the call"`
	USCC         string    `json:"uscc,omitempty"`
	RegionCode   string    `json:"region_code"`
	Address      string    `json:"address"`
	Lat          *float64  `json:"lat,omitempty"`
	Lng          *float64  `json:"lng,omitempty"`
	Urgent       bool      `json:"urgent"`
	Confidential bool      `json:"confidential"`
	NotPublic    bool      `json:"not_public,omitempty" doc:"The submitter did not agree to public listing"`
	Status       Status    `json:"status"`
	InstanceID   int64     `json:"instance_id"`
	LeadDept     int64     `json:"lead_department_id,omitempty"`
	AssistDepts  []int64   `json:"assist_department_ids,omitempty"`
	MergedInto   int64     `json:"merged_into,omitempty"`
	SourceRef    string    `json:"source_ref,omitempty" doc:"110 or Open311 id"`
	DirectClosed bool      `json:"direct_closed"`
	ReplyText    string    `json:"reply_text,omitempty"`
	RepliedAt    time.Time `json:"replied_at,omitzero"`
	DispatchedAt time.Time `json:"dispatched_at,omitzero"`
	SignedAt     time.Time `json:"signed_at,omitzero"`
	ClosedAt     time.Time `json:"closed_at,omitzero"`
	// VisitSolved is nil until a return visit.
	VisitSolved       *bool        `json:"visit_solved,omitempty"`
	VisitSatisfaction Satisfaction `json:"visit_satisfaction,omitempty"`
	VisitNote         string       `json:"visit_note,omitempty"`
	VisitedAt         time.Time    `json:"visited_at,omitzero"`
	// VisitDueAt is the return-visit limit of a closed order: Settings.
	// VisitDays working days from closure.
	VisitDueAt      time.Time `json:"visit_due_at,omitzero" doc:"Return visit due (working days from closure)"`
	ReopenCount     int       `json:"reopen_count"`
	TransferOutcome string    `json:"transfer_outcome,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
	// SentBackAt is set while the order waits for dispatch after a
	// department sent it back (退单): SentBackBy refused it for the standard
	// reason SentBackCode with SentBackReason, suggesting SentBackSuggest.
	SentBackAt      time.Time `json:"sent_back_at,omitzero"`
	SentBackBy      int64     `json:"sent_back_by,omitempty" doc:"The department that sent the order back"`
	SentBackCode    string    `json:"sent_back_code,omitempty" doc:"Standard send-back reason (settings)"`
	SentBackReason  string    `json:"sent_back_reason,omitempty"`
	SentBackSuggest int64     `json:"sent_back_suggest,omitempty" doc:"The department the sender suggests"`
	// AssistDueAt is the co-handling limit (协办时限): assisting departments
	// contribute until then.
	AssistDueAt time.Time `json:"assist_due_at,omitzero"`
	// SignDueAt is the sign-for deadline of the order's tier (SignTier),
	// set at dispatch; ReplyDueAt the handling deadline, set at sign-for
	// and moved by granted extensions.
	// ThreeWayOutcome is the outcome of the three-way call with 110 about
	// the order (国办发〔2022〕12号), empty when none was held; ThreeWayRef
	// is 110's incident number, ThreeWayNote what was agreed.
	ThreeWayOutcome ThreeWayOutcome `json:"three_way_outcome,omitempty" enum:"to_110,hotline,undecided"`
	ThreeWayRef     string          `json:"three_way_ref,omitempty"`
	ThreeWayNote    string          `json:"three_way_note,omitempty"`
	ThreeWayAt      time.Time       `json:"three_way_at,omitzero"`
	// FirstDept is the department the order was first dispatched to
	// (首接部门), kept through send-backs.
	FirstDept  int64     `json:"first_department_id,omitempty" doc:"The department that first received the order (首接部门)"`
	SignTier   SignTier  `json:"sign_tier" enum:"danger,utility,normal" doc:"Sign-for tier: danger 15 min, utility outage 30 min, normal 1 working day"`
	SignDueAt  time.Time `json:"sign_due_at,omitzero" doc:"Sign-for deadline of the order's tier, set at dispatch"`
	ReplyDueAt time.Time `json:"reply_due_at,omitzero" doc:"Handling deadline, set at sign-for"`

	phoneSealed string // caller_phone as stored
	phoneIndex  string
}

// Open reports whether the order still waits for an answer, as Open311's
// open/closed status reads it: a merged order is open until its master's
// reply reaches it.
func (o *Order) Open() bool {
	switch o.Status {
	case StatusNew, StatusDispatched, StatusHandling, StatusReplied:
		return true
	case StatusMerged:
		return o.ReplyText == ""
	}
	return false
}

// Public reports whether the public may see the order at all (Open311's
// GET, public listings): never a confidential one, one its submitter did
// not agree to show (NotPublic), an enterprise appeal
// (the enterprise's affairs) or one transferred to the police. Filter.Public
// is the same rule in SQL.
func (o *Order) Public() bool {
	return !o.Confidential && !o.NotPublic && !o.Type.Appeal() && o.Status != StatusTransferred
}

// Departments returns the lead then the assisting departments.
func (o *Order) Departments() []int64 {
	if o.LeadDept == 0 {
		return nil
	}
	return append([]int64{o.LeadDept}, o.AssistDepts...)
}

// Object describes the order to the authorisation policy.
func (o *Order) Object() auth.Object {
	return auth.Object{Kind: Kind, RegionCode: o.RegionCode, DepartmentIDs: o.Departments(),
		OwnerUserID: o.CallerUserID, OwnerUSCC: o.ownerUSCC(), Confidential: o.Confidential}
}

func (o *Order) ownerUSCC() string {
	if o.Type.Appeal() {
		return o.USCC
	}
	return ""
}

// FieldError says what is wrong with one input field. A refused call may
// return several joined with errors.Join; web maps them to 422.
type FieldError struct {
	Name    string // the input field, e.g. "caller_phone"
	Message string // Chinese first, then English
}

func (e *FieldError) Error() string { return "hotline: " + e.Name + ": " + e.Message }

// Field names the input field (web reads it to locate the problem).
func (e *FieldError) Field() string { return e.Name }

// Is lets errors.Is(err, ErrInvalid) match.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// Errors callers test for with errors.Is.
var (
	// ErrInvalid matches every *FieldError.
	ErrInvalid = errors.New("hotline: invalid input")
	// ErrNotFound: no such order, or one outside the caller's scope.
	ErrNotFound = notFound{}
	// ErrState: the action is not possible in the order's current state
	// or any more (e.g. a send-back after 24 hours).
	ErrState = stateError{"hotline: not possible in this state"}
	// ErrSendBackLate: a misrouted order may be sent back only within 24
	// hours of its dispatch.
	ErrSendBackLate = stateError{"hotline: 退单须在派单后24小时内 (send-back only within 24 hours of dispatch)"}
)

type notFound struct{}

func (notFound) Error() string  { return "hotline: work order not found" }
func (notFound) NotFound() bool { return true }

type stateError struct{ msg string }

func (e stateError) Error() string  { return e.msg }
func (e stateError) Conflict() bool { return true }

// FieldErrors returns every *FieldError in err.
func FieldErrors(err error) []*FieldError {
	var out []*FieldError
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case *FieldError:
			out = append(out, e)
		case interface{ Unwrap() []error }:
			for _, x := range e.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	return out
}

type problems []error

func (p *problems) add(field, msg string) { *p = append(*p, &FieldError{Name: field, Message: msg}) }
func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return errors.Join(p...)
}

// NewOrder is the input to Intake.
type NewOrder struct {
	Channel      Channel  `json:"channel" enum:"phone,web,mobile,open311,board,from110"`
	Type         Type     `json:"type" enum:"consult,help,complaint,report,suggestion,praise,appeal_dishonesty,appeal_arrears,appeal_policy"`
	CategoryCode string   `json:"category_code" doc:"6-digit category code"`
	Title        string   `json:"title,omitempty" doc:"Short summary; derived from the content when empty"`
	Content      string   `json:"content"`
	CallerName   string   `json:"caller_name,omitempty"`
	CallerPhone  string   `json:"caller_phone" doc:"Mainland mobile or fixed-line number"`
	CallerUserID int64    `json:"caller_user_id,omitempty" doc:"Set by the server for a signed-in citizen"`
	USCC         string   `json:"uscc,omitempty" doc:"Required for enterprise appeals"`
	RegionCode   string   `json:"region_code"`
	Address      string   `json:"address"`
	Lat          *float64 `json:"lat,omitempty"`
	Lng          *float64 `json:"lng,omitempty"`
	Urgent       bool     `json:"urgent,omitempty" doc:"Danger to life or property"`
	Confidential bool     `json:"confidential,omitempty" doc:"Hide the reporter from the handling department"`
	NotPublic    bool     `json:"not_public,omitempty" doc:"Never show the request in public listings"`
	SourceRef    string   `json:"source_ref,omitempty" doc:"Id in the sending system (110, Open311)"`
	// DirectAnswer, for a consultation answered on the spot, closes the
	// order at intake (直接办结) with this text as its reply.
	DirectAnswer string `json:"direct_answer,omitempty"`
	// MergeInto, when set, merges the new order into that master at once
	// (the operator accepted a duplicate offer).
	MergeInto int64 `json:"merge_into,omitempty"`
}

// Field limits.
const (
	maxTitle   = 100
	maxContent = 4000
	maxName    = 50
	maxAddress = 200
	maxReply   = 4000
	maxRef     = 64
)

// normalize trims the input's text fields.
func (n *NewOrder) normalize() {
	n.CategoryCode = strings.TrimSpace(n.CategoryCode)
	n.Title = strings.TrimSpace(n.Title)
	n.Content = strings.TrimSpace(n.Content)
	n.CallerName = strings.TrimSpace(n.CallerName)
	n.CallerPhone = normalizePhone(n.CallerPhone)
	n.USCC = ids.NormalizeUSCC(n.USCC)
	n.RegionCode = strings.TrimSpace(n.RegionCode)
	n.Address = strings.TrimSpace(n.Address)
	n.SourceRef = strings.TrimSpace(n.SourceRef)
	n.DirectAnswer = strings.TrimSpace(n.DirectAnswer)
	if n.Title == "" {
		n.Title = summary(n.Content, 30)
	}
}

// normalizePhone drops spaces and dashes.
func normalizePhone(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
}

// validPhone accepts a mainland mobile number or a fixed-line number of 7
// to 12 digits (with area code).
func validPhone(s string) bool {
	if ids.ValidateMobile(s) == nil {
		return true
	}
	if len(s) < 7 || len(s) > 12 || s[0] == '1' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func summary(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// validate checks every field and returns all problems at once.
func (n *NewOrder) validate(categoryExists func(string) bool) error {
	var p problems
	if !n.Channel.Valid() {
		p.add("channel", "受理渠道无效 (unknown channel)")
	}
	if !n.Type.Valid() {
		p.add("type", "诉求类型无效 (unknown request type)")
	}
	if len(n.CategoryCode) != 6 || !digits(n.CategoryCode) || !categoryExists(n.CategoryCode) {
		p.add("category_code", "诉求分类无效，请从分类目录中选择 (unknown category)")
	}
	switch c := utf8.RuneCountInString(n.Content); {
	case c == 0:
		p.add("content", "请填写诉求内容 (content is required)")
	case c < 5:
		p.add("content", "诉求内容过短，至少5个字 (content must be at least 5 characters)")
	case c > maxContent:
		p.add("content", fmt.Sprintf("诉求内容不超过%d字 (content too long)", maxContent))
	}
	if utf8.RuneCountInString(n.Title) > maxTitle {
		p.add("title", fmt.Sprintf("标题不超过%d字 (title too long)", maxTitle))
	}
	if utf8.RuneCountInString(n.CallerName) > maxName {
		p.add("caller_name", fmt.Sprintf("姓名不超过%d字 (name too long)", maxName))
	}
	if n.CallerPhone == "" {
		p.add("caller_phone", "请填写联系电话 (phone number is required)")
	} else if !validPhone(n.CallerPhone) {
		p.add("caller_phone", "联系电话格式不正确，须为11位手机号或带区号的固定电话 (invalid phone number)")
	}
	if n.Type.Appeal() {
		if n.USCC == "" {
			p.add("uscc", "涉企诉求须填写统一社会信用代码 (an enterprise appeal needs the USCC)")
		} else if ids.ValidateUSCC(n.USCC) != nil {
			p.add("uscc", "统一社会信用代码无效（校验位不符）(invalid unified social credit code)")
		}
	} else if n.USCC != "" && ids.ValidateUSCC(n.USCC) != nil {
		p.add("uscc", "统一社会信用代码无效（校验位不符）(invalid unified social credit code)")
	}
	if ids.ValidateRegionCode(n.RegionCode) != nil {
		p.add("region_code", "行政区划代码须为6位数字 (region code must be 6 digits)")
	}
	switch c := utf8.RuneCountInString(n.Address); {
	case c == 0:
		p.add("address", "请填写事发地址 (address is required)")
	case c > maxAddress:
		p.add("address", fmt.Sprintf("地址不超过%d字 (address too long)", maxAddress))
	}
	if (n.Lat == nil) != (n.Lng == nil) {
		p.add("lat", "经纬度须同时填写 (give both latitude and longitude)")
	}
	if n.Lat != nil && (math.IsNaN(*n.Lat) || *n.Lat < -90 || *n.Lat > 90) {
		p.add("lat", "纬度须在 -90 至 90 之间 (latitude out of range)")
	}
	if n.Lng != nil && (math.IsNaN(*n.Lng) || *n.Lng < -180 || *n.Lng > 180) {
		p.add("lng", "经度须在 -180 至 180 之间 (longitude out of range)")
	}
	if len(n.SourceRef) > maxRef {
		p.add("source_ref", "来源编号过长 (source reference too long)")
	}
	if n.Channel == ChannelFrom110 && n.SourceRef == "" {
		p.add("source_ref", "110转入须填写110警情编号 (a 110 transfer needs its 110 id)")
	}
	if n.DirectAnswer != "" {
		if n.Type != TypeConsult {
			p.add("direct_answer", "仅咨询类诉求可直接办结 (only consultations may be closed at intake)")
		}
		if utf8.RuneCountInString(n.DirectAnswer) > maxReply {
			p.add("direct_answer", "答复过长 (answer too long)")
		}
		if n.MergeInto != 0 {
			p.add("merge_into", "直接办结的工单不能合并 (a directly closed order cannot be merged)")
		}
	}
	if n.Urgent && n.DirectAnswer != "" {
		p.add("urgent", "紧急诉求不能直接办结 (an urgent order cannot be closed at intake)")
	}
	return p.err()
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
