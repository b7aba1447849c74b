package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/outbox"
)

// The topics notify listens to. They are spelled out here rather than
// imported so that notify does not depend on the modules it serves; a test
// keeps them equal to the modules' constants.
const (
	TopicHotlineReplied     = "hotline.replied"
	TopicHotlineFeedback    = "hotline.feedback"
	TopicHotlineNotify      = "hotline.notify"
	TopicHotlineTransfer110 = "hotline.transfer_110"
	TopicHotlineStaff       = "hotline.staff"
	TopicCaseSubmitted      = "casework.submitted"
	TopicCaseChanged        = "casework.changed"
	TopicCaseDecided        = "casework.decided"
	TopicBundleSubmitted    = "casework.bundle.submitted"
	TopicCertIssued         = "certificate.issued"
	TopicCertRevoked        = "certificate.revoked"
	TopicCertUsed           = "certificate.used"
	TopicCertVerification   = "certificate.verification_requested"
	TopicFlowEscalated      = "flow.escalated"
	TopicFlowSupervised     = "flow.supervised"
	TopicFlowTransition     = "flow.transition"
)

// hotlineKind is the subject type of hotline orders in the workflow engine
// (hotline.Kind).
const hotlineKind = "hotline_order"

// builder turns one event into the messages it causes.
type builder func(ctx context.Context, e outbox.Event) ([]Message, error)

// Register subscribes the service to every topic it turns into messages.
// The hotline topics and the closing of hotline orders need Deps.Hotline,
// escalations need Deps.Flow; without them those topics are left alone.
func (s *Service) Register(d *outbox.Dispatcher) {
	for topic, b := range s.builders() {
		d.Subscribe(topic, s.handler(b))
	}
}

// Handle turns event e into messages and sends the text messages among
// them, as a subscribed handler would; an event of a topic the service
// does not handle is ignored.
func (s *Service) Handle(ctx context.Context, e outbox.Event) error {
	b, ok := s.builders()[e.Topic]
	if !ok {
		return nil
	}
	return s.handler(b)(ctx, e)
}

func (s *Service) builders() map[string]builder {
	m := map[string]builder{
		TopicCaseSubmitted:    s.casework,
		TopicCaseChanged:      s.casework,
		TopicCaseDecided:      s.casework,
		TopicBundleSubmitted:  s.bundle,
		TopicCertIssued:       s.certificate,
		TopicCertRevoked:      s.certificate,
		TopicCertUsed:         s.certificateUsed,
		TopicCertVerification: s.verification,
		TopicCreditRepairable: s.creditRepair,
		TopicCreditDecided:    s.creditRepair,
		TopicVisitNotice:      s.visitNotice,
	}
	if s.d.Hotline != nil {
		m[TopicHotlineReplied] = s.hotlineReplied
		m[TopicHotlineFeedback] = s.hotlineFeedback
		m[TopicHotlineNotify] = s.hotlineNotify
		m[TopicHotlineTransfer110] = s.hotlineTransfer
		m[TopicHotlineStaff] = s.hotlineStaff
		m[TopicFlowTransition] = s.hotlineClosed
	}
	if s.d.Flow != nil {
		m[TopicFlowEscalated] = s.escalated
		m[TopicFlowSupervised] = s.supervised
	}
	return m
}

func (s *Service) handler(b builder) outbox.Handler {
	return func(ctx context.Context, e outbox.Event) error {
		msgs, err := b(ctx, e)
		if err != nil {
			return fmt.Errorf("notify: event %d (%s): %w", e.ID, e.Topic, err)
		}
		return s.deliver(ctx, e.ID, e.Topic, msgs)
	}
}

// ---- hotline ----

// toCaller addresses m to the caller of an order: in the app when they
// called signed in, else by text message to the phone they gave.
func toCaller(c Caller, m Message) []Message {
	switch {
	case c.UserID != 0:
		m.UserID, m.Channel = c.UserID, InApp
	case c.PhoneIndex != "" && c.PhoneSealed != "":
		m.PhoneIndex, m.PhoneSealed, m.Channel = c.PhoneIndex, c.PhoneSealed, SMS
	default:
		return nil
	}
	return []Message{m}
}

func orderLink(id int64) string { return "/hotline/orders/" + itoa(id) }

func (s *Service) hotlineReplied(ctx context.Context, e outbox.Event) ([]Message, error) {
	var p struct {
		OrderID int64   `json:"order_id"`
		Number  string  `json:"number"`
		Merged  []int64 `json:"merged_order_ids"`
	}
	if err := e.Decode(&p); err != nil {
		return nil, err
	}
	var out []Message
	for _, id := range append([]int64{p.OrderID}, p.Merged...) {
		c, err := s.d.Hotline.OrderCaller(ctx, id)
		if err != nil {
			return nil, err
		}
		number := c.Number
		if number == "" {
			number = p.Number
		}
		out = append(out, toCaller(c, Message{
			Title: "您的诉求已答复", TitleEn: "Your request has been answered",
			Body:   fmt.Sprintf("您反映的问题（工单号%s）承办部门已答复，请登录平台查看答复内容，或拨打12345查询。", number),
			BodyEn: fmt.Sprintf("The department has answered your request %s. Sign in to read the reply, or call 12345.", number),
			Link:   orderLink(id), ObjectType: hotlineKind, ObjectID: itoa(id),
		})...)
	}
	return out, nil
}

func (s *Service) hotlineFeedback(ctx context.Context, e outbox.Event) ([]Message, error) {
	var p struct {
		OrderID   int64    `json:"order_id"`
		Number    string   `json:"number"`
		USCC      string   `json:"uscc"`
		Audiences []string `json:"audiences"`
	}
	if err := e.Decode(&p); err != nil {
		return nil, err
	}
	c, err := s.d.Hotline.OrderCaller(ctx, p.OrderID)
	if err != nil {
		return nil, err
	}
	base := Message{Link: orderLink(p.OrderID), ObjectType: hotlineKind, ObjectID: itoa(p.OrderID), Channel: InApp}
	var out []Message
	for _, aud := range p.Audiences {
		switch aud {
		case "enterprise":
			users, err := s.enterpriseUsers(ctx, p.USCC)
			if err != nil {
				return nil, err
			}
			for _, u := range users {
				m := base
				m.UserID = u.ID
				m.Title, m.TitleEn = "涉企诉求办理结果反馈", "Outcome of your enterprise's appeal"
				m.Body = fmt.Sprintf("贵企业反映的诉求（工单号%s）已由承办部门答复，请查看办理结果；如不满意，可在回访时提出。", p.Number)
				m.BodyEn = fmt.Sprintf("Your enterprise's appeal %s has been answered. Read the outcome; tell us at the return visit if you are not satisfied.", p.Number)
				out = append(out, m)
			}
		case "supervisor":
			sups, err := s.supervisors(ctx, c.RegionCode)
			if err != nil {
				return nil, err
			}
			for _, u := range sups {
				m := base
				m.UserID = u.ID
				m.Title, m.TitleEn = "涉企诉求已答复（双反馈）", "Enterprise appeal answered (double feedback)"
				m.Body = fmt.Sprintf("涉企诉求（工单号%s，统一社会信用代码%s）承办部门已答复，请关注办理质量。", p.Number, p.USCC)
				m.BodyEn = fmt.Sprintf("The enterprise appeal %s (USCC %s) has been answered; please review how it was handled.", p.Number, p.USCC)
				out = append(out, m)
			}
		}
	}
	return out, nil
}

func (s *Service) hotlineNotify(ctx context.Context, e outbox.Event) ([]Message, error) {
	var p struct {
		OrderID int64     `json:"order_id"`
		Number  string    `json:"number"`
		Kind    string    `json:"kind"`
		Granted bool      `json:"granted"`
		Days    int       `json:"days"`
		DueAt   time.Time `json:"due_at"`
		Message string    `json:"message"`
	}
	if err := e.Decode(&p); err != nil {
		return nil, err
	}
	c, err := s.d.Hotline.OrderCaller(ctx, p.OrderID)
	if err != nil {
		return nil, err
	}
	m := Message{Title: "工单办理进度通知", TitleEn: "News of your request", Body: p.Message,
		Link: orderLink(p.OrderID), ObjectType: hotlineKind, ObjectID: itoa(p.OrderID)}
	if p.Kind == "extension" {
		m.Title, m.TitleEn = "工单办理期限通知", "Deadline of your request"
		if p.Granted {
			m.BodyEn = fmt.Sprintf("The time to handle your request %s was extended by %d working days; the new deadline is %s.",
				p.Number, p.Days, p.DueAt.In(cst).Format("2006-01-02"))
		} else {
			m.BodyEn = fmt.Sprintf("An extension of your request %s was refused; it is handled within the original time limit.", p.Number)
		}
	}
	if m.Body == "" {
		return nil, nil
	}
	return toCaller(c, m), nil
}

// hotlineStaff tells the dispatchers of an order's region what they must
// act on: an extension request to decide, an order sent back to dispatch.
func (s *Service) hotlineStaff(ctx context.Context, e outbox.Event) ([]Message, error) {
	var p struct {
		OrderID    int64  `json:"order_id"`
		RegionCode string `json:"region_code"`
		Kind       string `json:"kind"`
		Title      string `json:"title"`
		Message    string `json:"message"`
		Link       string `json:"link"`
	}
	if err := e.Decode(&p); err != nil {
		return nil, err
	}
	us, err := s.users(ctx, org.UserFilter{Role: auth.RoleDispatcher})
	if err != nil {
		return nil, err
	}
	titleEn := map[string]string{"extension_request": "An extension request to decide", "send_back": "An order was sent back"}[p.Kind]
	var out []Message
	for _, u := range us {
		if u.RegionCode == p.RegionCode || ids.RegionContains(u.RegionCode, p.RegionCode) {
			out = append(out, Message{UserID: u.ID, Channel: InApp, Title: p.Title, TitleEn: titleEn, Body: p.Message,
				Link: p.Link, ObjectType: hotlineKind, ObjectID: itoa(p.OrderID)})
		}
	}
	return out, nil
}

func (s *Service) hotlineTransfer(ctx context.Context, e outbox.Event) ([]Message, error) {
	var p struct {
		OrderID int64 `json:"order_id"`
	}
	if err := e.Decode(&p); err != nil {
		return nil, err
	}
	c, err := s.d.Hotline.OrderCaller(ctx, p.OrderID)
	if err != nil {
		return nil, err
	}
	return toCaller(c, Message{
		Title: "您的诉求已移交110", TitleEn: "Your request was passed to 110",
		Body:   fmt.Sprintf("您反映的问题（工单号%s）需由公安机关处置，已移交110办理。", c.Number),
		BodyEn: fmt.Sprintf("Your request %s needs the police and was passed to 110.", c.Number),
		Link:   orderLink(p.OrderID), ObjectType: hotlineKind, ObjectID: itoa(p.OrderID),
	}), nil
}

// hotlineClosed sends the caller the return-visit link when an order is
// closed (办结), whether after a reply or directly at intake.
func (s *Service) hotlineClosed(ctx context.Context, e outbox.Event) ([]Message, error) {
	var p struct {
		SubjectType string `json:"subject_type"`
		SubjectID   int64  `json:"subject_id"`
		To          string `json:"to"`
	}
	if err := e.Decode(&p); err != nil {
		return nil, err
	}
	if p.SubjectType != hotlineKind {
		return nil, nil
	}
	if p.To != "closed" {
		return s.hotlineStatus(ctx, p.SubjectID, p.To)
	}
	c, err := s.d.Hotline.OrderCaller(ctx, p.SubjectID)
	if err != nil {
		return nil, err
	}
	link := s.d.Hotline.VisitLink(p.SubjectID)
	if link == "" {
		return nil, nil
	}
	return toCaller(c, Message{
		Title: "请评价诉求办理情况", TitleEn: "Please rate how your request was handled",
		Body:   fmt.Sprintf("您反映的问题（工单号%s）已办结，请通过以下链接评价是否解决、是否满意：%s", c.Number, link),
		BodyEn: fmt.Sprintf("Your request %s is closed. Please tell us whether it was solved and whether you are satisfied: %s", c.Number, link),
		Link:   link, ObjectType: hotlineKind, ObjectID: itoa(p.SubjectID),
	}), nil
}

// hotlineStates are the steps of an order its caller is told about as
// they happen; the reply, the 110 transfer and the closing have messages
// of their own.
var hotlineStates = map[string][2]string{
	"dispatched": {"已派发至承办部门", "passed to the department that handles it"},
	"handling":   {"承办部门已签收，正在办理", "accepted by the department and being handled"},
	"new":        {"正由12345热线重新派发", "being passed on again by the 12345 hotline"},
	"merged":     {"已与相同诉求合并办理", "handled together with the same request of others"},
	"withdrawn":  {"已按您的要求撤回", "withdrawn as you asked"},
}

// hotlineStatus tells the caller of order id that it moved to state to:
// in the app, or by text message carrying the tracking link of a request
// filed on the web without an account.
func (s *Service) hotlineStatus(ctx context.Context, id int64, to string) ([]Message, error) {
	st, ok := hotlineStates[to]
	if !ok {
		return nil, nil
	}
	c, err := s.d.Hotline.OrderCaller(ctx, id)
	if err != nil {
		return nil, err
	}
	m := Message{Title: "工单办理进度通知", TitleEn: "News of your request",
		Body:   fmt.Sprintf("您的诉求（工单号%s）%s。", c.Number, st[0]),
		BodyEn: fmt.Sprintf("Your request %s was %s.", c.Number, st[1]),
		Link:   orderLink(id), ObjectType: hotlineKind, ObjectID: itoa(id)}
	if c.UserID == 0 && c.Track != "" {
		m.Link = c.Track
		m.Body += "查看进度：" + c.Track
		m.BodyEn += " Follow it at " + c.Track
	}
	return toCaller(c, m), nil
}

// ---- service hall ----

// caseStatus names the statuses of a service-hall application.
var caseStatus = map[string][2]string{
	"submitted":         {"已提交，待受理", "submitted, awaiting acceptance"},
	"intake_correction": {"材料需补正（受理前）", "materials to complete before acceptance"},
	"review":            {"已受理，审查中", "accepted, under review"},
	"correction":        {"材料需补正", "materials to complete"},
	"decision":          {"审查完毕，待决定", "reviewed, awaiting decision"},
	"approved":          {"准予许可", "approved"},
	"rejected":          {"不予许可", "rejected"},
	"refused":           {"不予受理", "not accepted"},
	"withdrawn":         {"已撤回", "withdrawn"},
	"revoked":           {"已撤销", "revoked"},
}

func (s *Service) casework(ctx context.Context, e outbox.Event) ([]Message, error) {
	var p struct {
		ID     int64  `json:"id"`
		Number string `json:"number"`
		Action string `json:"action"`
		Status string `json:"status"`
		UserID int64  `json:"applicant_user_id"`
		Notice string `json:"notice"` // a Chinese sentence casework adds (when a certificate comes)
	}
	if err := e.Decode(&p); err != nil {
		return nil, err
	}
	if p.UserID == 0 {
		return nil, nil // an applicant without an account follows the case at the window
	}

	st, ok := caseStatus[p.Status]
	if !ok {
		st = [2]string{p.Status, p.Status}
	}
	m := Message{UserID: p.UserID, Channel: InApp, Link: "/applications/" + itoa(p.ID),
		ObjectType: "casework_application", ObjectID: itoa(p.ID),
		Title: "申请办理进度更新", TitleEn: "Your application moved on",
		Body:   fmt.Sprintf("您的申请（%s）当前状态：%s。", p.Number, st[0]),
		BodyEn: fmt.Sprintf("Your application %s is now: %s.", p.Number, st[1])}
	switch e.Topic {
	case TopicCaseSubmitted:
		m.Title, m.TitleEn = "申请已提交", "Application submitted"
		m.Body = fmt.Sprintf("您的申请（%s）已提交，当前状态：%s。请留意后续通知。", p.Number, st[0])
	case TopicCaseDecided:
		m.Title, m.TitleEn = "申请已办结", "Decision on your application"
		m.Body = fmt.Sprintf("您的申请（%s）已作出决定：%s。", p.Number, st[0])
		m.BodyEn = fmt.Sprintf("A decision was made on your application %s: %s.", p.Number, st[1])
	}
	if p.Status == "correction" || p.Status == "intake_correction" {
		m.Body += "请在规定期限内补正材料。"
		m.BodyEn += " Please complete the materials within the time allowed."
	}
	if p.Notice != "" {
		m.Body += p.Notice
		m.BodyEn += " See the application page about its e-certificate."
	}
	return []Message{m}, nil
}

// bundle tells the applicant that a bundle application (一件事) was
// received. Its payload names the applicant only once casework adds
// applicant_user_id to BundleEvent; until then the messages of its child
// applications (casework.submitted) tell them.
func (s *Service) bundle(ctx context.Context, e outbox.Event) ([]Message, error) {
	var p struct {
		ID           int64   `json:"id"`
		Number       string  `json:"number"`
		Applications []int64 `json:"applications"`
		UserID       int64   `json:"applicant_user_id"`
	}
	if err := e.Decode(&p); err != nil {
		return nil, err
	}
	if p.UserID == 0 {
		return nil, nil
	}
	return []Message{{UserID: p.UserID, Channel: InApp, Link: "/bundle-applications/" + itoa(p.ID),
		ObjectType: "casework_bundle_application", ObjectID: itoa(p.ID),
		Title: "“一件事”申请已提交", TitleEn: "Bundle application submitted",
		Body:   fmt.Sprintf("您的“一件事”申请（%s）已提交，分为%d个事项并行办理。", p.Number, len(p.Applications)),
		BodyEn: fmt.Sprintf("Your bundle application %s was submitted as %d applications handled in parallel.", p.Number, len(p.Applications)),
	}}, nil
}

// ---- certificates ----

// toHolder addresses m to a certificate's holder: their account, or every
// account of the holding enterprise.
func (s *Service) toHolder(ctx context.Context, userID int64, uscc string, m Message) ([]Message, error) {
	m.Channel = InApp
	if userID != 0 {
		m.UserID = userID
		return []Message{m}, nil
	}
	if uscc == "" {
		return nil, nil
	}
	users, err := s.enterpriseUsers(ctx, uscc)
	if err != nil {
		return nil, err
	}
	out := make([]Message, 0, len(users))
	for _, u := range users {
		m.UserID = u.ID
		out = append(out, m)
	}
	return out, nil
}

func (s *Service) certificate(ctx context.Context, e outbox.Event) ([]Message, error) {
	var p struct {
		ID         int64  `json:"id"`
		Number     string `json:"number"`
		HolderUSCC string `json:"holder_uscc"`
		HolderUser int64  `json:"holder_user_id"`
		Reason     string `json:"reason"`
	}
	if err := e.Decode(&p); err != nil {
		return nil, err
	}
	m := Message{Link: "/my/certificates", ObjectType: "certificate", ObjectID: itoa(p.ID),
		Title: "电子证照已签发", TitleEn: "Certificate issued",
		Body:   fmt.Sprintf("您的电子证照（编号%s）已签发，可在“我的证照”中查看、出示和授权使用。", p.Number),
		BodyEn: fmt.Sprintf("Your electronic certificate %s was issued. See it under My certificates.", p.Number)}
	if e.Topic == TopicCertRevoked {
		m.Title, m.TitleEn = "电子证照已撤销", "Certificate revoked"
		m.Body = fmt.Sprintf("您的电子证照（编号%s）已被发证部门撤销。", p.Number)
		m.BodyEn = fmt.Sprintf("Your electronic certificate %s was revoked by the issuing department.", p.Number)
		if p.Reason != "" {
			m.Body += "原因：" + p.Reason
			m.BodyEn += " Reason: " + p.Reason
		}
	}
	return s.toHolder(ctx, p.HolderUser, p.HolderUSCC, m)
}

// certificateUsed tells the holder that a department used their
// certificate (the holder can see every use). It needs Deps.Certificates.
func (s *Service) certificateUsed(ctx context.Context, e outbox.Event) ([]Message, error) {
	var p struct {
		ID             int64  `json:"certificate_id"`
		DepartmentID   int64  `json:"department_id"`
		ApplicationRef string `json:"application_ref"`
		HolderUSCC     string `json:"holder_uscc"`
		HolderUser     int64  `json:"holder_user_id"`
	}
	if err := e.Decode(&p); err != nil {
		return nil, err
	}
	h := Holder{UserID: p.HolderUser, USCC: p.HolderUSCC}
	if h.UserID == 0 && h.USCC == "" {
		if s.d.Certificates == nil {
			return nil, nil
		}
		var err error
		if h, err = s.d.Certificates.CertificateHolder(ctx, p.ID); err != nil {
			return nil, err
		}
	}
	dept := s.departmentName(ctx, p.DepartmentID)
	what := "电子证照"
	if h.Number != "" {
		what += "（编号" + h.Number + "）"
	}
	m := Message{Link: "/my/certificates", ObjectType: "certificate", ObjectID: itoa(p.ID),
		Title: "电子证照被调用", TitleEn: "Your certificate was used",
		Body:   fmt.Sprintf("%s调用了您的%s。", dept, what),
		BodyEn: fmt.Sprintf("%s used your certificate %s.", dept, h.Number)}
	if p.ApplicationRef != "" {
		m.Body += "业务编号：" + p.ApplicationRef + "。"
		m.BodyEn += " Case: " + p.ApplicationRef + "."
	}
	m.Body += "如有疑问，可在“我的证照”中查看调用记录。"
	return s.toHolder(ctx, h.UserID, h.USCC, m)
}

// verification tells the department owning a certificate that another
// department asked it to verify one (部门核验).
func (s *Service) verification(ctx context.Context, e outbox.Event) ([]Message, error) {
	var p struct {
		ID    int64 `json:"id"`
		Owner int64 `json:"owner_department_id"`
	}
	if err := e.Decode(&p); err != nil {
		return nil, err
	}
	if p.Owner == 0 {
		return nil, nil
	}
	return []Message{{DepartmentID: p.Owner, Channel: InApp,
		Link: "/certificates/verifications/" + itoa(p.ID), ObjectType: "certificate_verification", ObjectID: itoa(p.ID),
		Title: "收到证照核验请求", TitleEn: "Verification request received",
		Body:   "有部门请求本部门核验一份证照，请在时限内答复。",
		BodyEn: "A department asks yours to verify a certificate; please answer in time.",
	}}, nil
}

// ---- escalations ----

var levelNamesEn = map[flow.Level]string{
	flow.LevelRemind:    "Reminder",
	flow.LevelSupervise: "Supervision order",
	flow.LevelTimeboxed: "Time-boxed supervision order",
	flow.LevelHandover:  "Referral letter",
}

// escalated sends an escalation order (提醒单, 督办单, 限时督办单, 移交函)
// to the departments handling the case and to the supervisors of its
// region.
func (s *Service) escalated(ctx context.Context, e outbox.Event) ([]Message, error) {
	var p struct {
		InstanceID int64  `json:"instance_id"`
		RegionCode string `json:"region_code"`
		Level      string `json:"level"`
	}
	if err := e.Decode(&p); err != nil {
		return nil, err
	}
	var level flow.Level
	if err := level.UnmarshalText([]byte(p.Level)); err != nil {
		return nil, err
	}
	in, err := s.d.Flow.Instance(ctx, p.InstanceID)
	if err != nil {
		return nil, err
	}
	ref := in.Reference
	if ref == "" {
		ref = "#" + itoa(in.ID)
	}
	region := in.RegionCode
	if region == "" {
		region = p.RegionCode
	}
	base := Message{Channel: InApp, Link: "/cases/" + itoa(in.ID), ObjectType: flow.ObjectType, ObjectID: itoa(in.ID),
		Title:   fmt.Sprintf("%s：%s", level.Name(), ref),
		TitleEn: fmt.Sprintf("%s: %s", levelNamesEn[level], ref)}
	var out []Message
	for _, d := range in.DepartmentIDs {
		m := base
		m.DepartmentID = d
		m.Body = fmt.Sprintf("办件“%s”（%s）已触发%s，请抓紧办理并按时答复。", in.Title, ref, level.Name())
		m.BodyEn = fmt.Sprintf("Case “%s” (%s) reached a %s; please handle it without delay.", in.Title, ref, levelNamesEn[level])
		out = append(out, m)
	}
	sups, err := s.supervisors(ctx, region)
	if err != nil {
		return nil, err
	}
	for _, u := range sups {
		m := base
		m.UserID = u.ID
		m.Body = fmt.Sprintf("办件“%s”（%s）已发出%s，请跟踪督办。", in.Title, ref, level.Name())
		m.BodyEn = fmt.Sprintf("A %s was issued on case “%s” (%s); please follow it up.", levelNamesEn[level], in.Title, ref)
		out = append(out, m)
	}
	return out, nil
}

// supervised tells the department a supervisor addressed by hand (催办, a
// supervision order, a comment or an interview record) what was asked of
// it, as an automatic escalation does, and tells the supervisor who issued
// an order that the department has answered it.
func (s *Service) supervised(ctx context.Context, e outbox.Event) ([]Message, error) {
	var p struct {
		InstanceID int64  `json:"instance_id"`
		Action     string `json:"action"`
		Record     struct {
			ID           int64  `json:"record_id"`
			Kind         string `json:"kind"`
			DepartmentID int64  `json:"department_id"`
			Number       string `json:"number"`
			AnswerDue    string `json:"answer_due"`
			CreatedBy    int64  `json:"created_by"`
		} `json:"record"`
	}
	if err := e.Decode(&p); err != nil {
		return nil, err
	}
	in, err := s.d.Flow.Instance(ctx, p.InstanceID)
	if err != nil {
		return nil, err
	}
	ref := in.Reference
	if ref == "" {
		ref = "第" + itoa(in.ID) + "号办件"
	}
	r := p.Record
	base := Message{Channel: InApp, Link: "/cases/" + itoa(in.ID), ObjectType: flow.ObjectType, ObjectID: itoa(in.ID)}
	if r.Kind == "order" {
		base.Link, base.ObjectType, base.ObjectID = "/supervision/records/"+itoa(r.ID), "supervision_record", itoa(r.ID)
	}
	depts := in.DepartmentIDs
	if r.DepartmentID != 0 {
		depts = []int64{r.DepartmentID}
	}
	var title, titleEn, body, bodyEn string
	switch {
	case p.Action == flow.ActionAnswer:
		if r.CreatedBy == 0 {
			return nil, nil
		}
		m := base
		m.UserID = r.CreatedBy
		m.Title, m.TitleEn = fmt.Sprintf("督办单已反馈：%s", r.Number), fmt.Sprintf("Supervision order answered: %s", r.Number)
		m.Body = fmt.Sprintf("办件“%s”（%s）的督办单%s已由承办部门反馈，请查看并跟踪。", in.Title, ref, r.Number)
		m.BodyEn = fmt.Sprintf("The department answered supervision order %s on case “%s” (%s).", r.Number, in.Title, ref)
		return []Message{m}, nil
	case r.Kind == "urge":
		title, titleEn = "催办："+ref, "Reminder: "+ref
		body = fmt.Sprintf("督办人员对办件“%s”（%s）催办，请抓紧办理并按时答复。", in.Title, ref)
		bodyEn = fmt.Sprintf("A supervisor reminds you of case “%s” (%s); please handle it without delay.", in.Title, ref)
	case r.Kind == "order":
		title, titleEn = fmt.Sprintf("督办单%s：%s", r.Number, ref), fmt.Sprintf("Supervision order %s: %s", r.Number, ref)
		body = fmt.Sprintf("督办人员就办件“%s”（%s）发出督办单%s，请最迟于%s反馈办理情况。", in.Title, ref, r.Number, r.AnswerDue)
		bodyEn = fmt.Sprintf("A supervisor issued supervision order %s on case “%s” (%s); answer by %s.", r.Number, in.Title, ref, r.AnswerDue)
	case r.Kind == "comment":
		title, titleEn = "督办意见："+ref, "Supervisor's comment: "+ref
		body = fmt.Sprintf("督办人员对办件“%s”（%s）提出了督办意见，请查看办件记录。", in.Title, ref)
		bodyEn = fmt.Sprintf("A supervisor commented on case “%s” (%s); see its history.", in.Title, ref)
	case r.Kind == "interview":
		title, titleEn = "约谈记录："+ref, "Interview record: "+ref
		body = fmt.Sprintf("督办人员记录了就办件“%s”（%s）进行的约谈，请查看办件记录并落实约谈要求。", in.Title, ref)
		bodyEn = fmt.Sprintf("A supervisor recorded an interview on case “%s” (%s); see its history.", in.Title, ref)
	default:
		return nil, nil
	}
	var out []Message
	for _, d := range depts {
		m := base
		m.DepartmentID = d
		m.Title, m.TitleEn, m.Body, m.BodyEn = title, titleEn, body, bodyEn
		out = append(out, m)
	}
	return out, nil
}

// ---- people ----

// users returns every active user matching f.
func (s *Service) users(ctx context.Context, f org.UserFilter) ([]org.User, error) {
	f.Status = org.StatusActive
	var all []org.User
	for page := 1; ; page++ {
		f.Page = org.Page{Number: page, Size: 200}
		us, total, err := s.d.Org.ListUsers(ctx, f)
		if err != nil {
			return nil, err
		}
		all = append(all, us...)
		if len(us) == 0 || len(all) >= total {
			return all, nil
		}
	}
}

// enterpriseUsers returns the accounts acting for the enterprise uscc.
func (s *Service) enterpriseUsers(ctx context.Context, uscc string) ([]org.User, error) {
	if uscc == "" {
		return nil, nil
	}
	return s.users(ctx, org.UserFilter{Role: auth.RoleEnterprise, USCC: uscc})
}

// supervisors returns the supervisors whose region holds region: those of
// the district, of its city and of its province.
func (s *Service) supervisors(ctx context.Context, region string) ([]org.User, error) {
	us, err := s.users(ctx, org.UserFilter{Role: auth.RoleSupervisor})
	if err != nil {
		return nil, err
	}
	var out []org.User
	for _, u := range us {
		if u.RegionCode == region || ids.RegionContains(u.RegionCode, region) {
			out = append(out, u)
		}
	}
	return out, nil
}

// departmentName returns department id's name, or a neutral phrase when it
// cannot be read.
func (s *Service) departmentName(ctx context.Context, id int64) string {
	if id == 0 {
		return "有关部门"
	}
	d, err := s.d.Org.GetDepartment(ctx, id)
	if err != nil {
		return "有关部门"
	}
	return d.Name
}

var cst = time.FixedZone("CST", 8*3600)
