package casework

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
)

// View is the API view of an application: the application, its form as
// shown (personal numbers masked), its deadlines and what is missing.
type View struct {
	Application
	FormValues []FieldValue `json:"form"`
	StateDue   string       `json:"state_due,omitempty" doc:"RFC 3339 deadline of the current step"`
	Due        string       `json:"due,omitempty" doc:"RFC 3339 overall deadline"`
	Paused     bool         `json:"paused" doc:"The clock is paused (补正)"`
	// Provisional says the deadline is counted into a year whose holiday
	// arrangement is not entered yet (Monday to Friday): it moves when the
	// year is entered (暂定).
	Provisional bool     `json:"due_provisional" doc:"The overall deadline reaches into a year whose holidays are not entered yet, and may move"`
	Missing     []string `json:"missing" doc:"Promised materials not yet supplied"`
	// RuleInputList is what an instant-approval rule read, by label, masked.
	RuleInputList []FieldValue `json:"rule_input_list,omitempty"`
}

type viewOutput struct{ Body View }

type idInput struct {
	ID int64 `path:"id" minimum:"1"`
}

type submitInput struct{ Body SubmitInput }

type listInput struct {
	Q      string `query:"q" maxLength:"100"`
	Status string `query:"status" enum:"submitted,intake_correction,review,correction,decision,approved,rejected,refused,withdrawn,revoked,"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"20"`
	Cursor string `query:"cursor" maxLength:"42" doc:"next_cursor of the page before; empty for the first page"`
}

type listOutput struct {
	Body struct {
		Items      []Application `json:"items"`
		Total      int           `json:"total" doc:"Applications in the whole list, counted up to 1001 (1001 means more than 1000)"`
		NextCursor string        `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page"`
	}
}

// IntakeRequest is a window's intake decision.
type IntakeRequest struct {
	Action    string `json:"action" enum:"accept,accept_shortfall,refuse,correction"`
	Reason    string `json:"reason,omitempty" maxLength:"2000" doc:"Required to refuse"`
	Materials string `json:"materials,omitempty" maxLength:"2000" doc:"What to correct (correction)"`
	Due       string `json:"due,omitempty" doc:"Date promised materials are due (accept_shortfall); empty keeps the applicant's"`
}

type intakeInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body IntakeRequest
}

// ReviewRequest is a department's review step.
type ReviewRequest struct {
	Action    string `json:"action" enum:"pass,correction"`
	Opinion   string `json:"opinion,omitempty" maxLength:"2000"`
	Materials string `json:"materials,omitempty" maxLength:"2000"`
}

type reviewInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body ReviewRequest
}

// ProcedureRequest controls the course of a review: an excluded procedure
// of 行政许可法 第四十五条 (start_special, end_special), 中止 (suspend,
// resume) and 终止 (terminate).
type ProcedureRequest struct {
	Action    string `json:"action" enum:"start_special,end_special,suspend,resume,terminate"`
	Procedure string `json:"procedure,omitempty" enum:"听证,招标,拍卖,检验,检测,检疫,鉴定,专家评审," doc:"The excluded procedure (start_special)"`
	Days      int    `json:"days,omitempty" minimum:"0" maximum:"365" doc:"Days (日) the procedure takes (start_special)"`
	Reason    string `json:"reason,omitempty" maxLength:"2000" doc:"Reason or grounds; required except for end_special"`
}

type procedureInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body ProcedureRequest
}

type decideInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body Decision
}

func (m *Module) registerAPI(s *web.Server) {
	api := s.API()
	prefix := web.APIPrefix + "/applications"
	submitOp := huma.Operation{OperationID: "submit-application", Method: http.MethodPost, Path: prefix,
		Summary: "Apply for a service item", Description: "A citizen or enterprise applies for themselves; a window clerk on " +
			"an applicant's behalf (帮办代办). Materials are uploaded (base64), satisfied by the applicant's e-certificate with " +
			"consent, promised by a date (容缺) or replaced by the signed commitment (告知承诺). An item's rule may approve at once (秒批).",
		Tags: []string{"applications"}, Security: web.Secured(), Errors: []int{401, 403, 422}, DefaultStatus: http.StatusCreated,
	}
	web.Upload(&submitOp, 6*MaxFileSize)
	huma.Register(api, submitOp, func(ctx context.Context, in *submitInput) (*web.Created[View], error) {
		a, err := s.Actor(ctx, auth.RoleCitizen, auth.RoleEnterprise, auth.RoleClerk)
		if err != nil {
			return nil, err
		}
		app, err := m.Submit(ctx, a, in.Body)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		out, err := m.viewOut(ctx, app)
		if err != nil {
			return nil, err
		}
		return &web.Created[View]{Location: web.Location("/applications", app.ID), Body: out.Body}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "list-applications", Method: http.MethodGet, Path: prefix,
		Summary: "Applications", Description: "The caller's own applications, or, for staff, those within their scope; newest first.",
		Tags: []string{"applications"}, Security: web.Secured(), Errors: []int{401},
	}, func(ctx context.Context, in *listInput) (*listOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		after, err := store.ParseCursor(in.Cursor)
		if err != nil {
			return nil, huma.Error400BadRequest("cursor 无效 (malformed cursor)")
		}
		items, pg, err := m.List(ctx, a, Query{Q: in.Q, Status: Status(in.Status), Limit: in.Limit, After: after})
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		out := &listOutput{}
		out.Body.Items, out.Body.Total, out.Body.NextCursor = items, pg.Count, pg.Next.String()
		if out.Body.Items == nil {
			out.Body.Items = []Application{}
		}
		return out, nil
	})
	huma.Register(api, huma.Operation{OperationID: "get-application", Method: http.MethodGet, Path: prefix + "/{id}",
		Summary: "An application", Description: "Applications outside the caller's scope are reported as not found.",
		Tags: []string{"applications"}, Security: web.Secured(), Errors: []int{401, 404},
	}, func(ctx context.Context, in *idInput) (*viewOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		app, err := m.Get(ctx, a, in.ID)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return m.viewOut(ctx, app)
	})
	huma.Register(api, huma.Operation{OperationID: "intake-application", Method: http.MethodPost, Path: prefix + "/{id}/intake",
		Summary: "Intake decision", Description: "受理, 容缺受理, 不予受理 (with the reason) or 一次性告知补正 (the clock pauses).",
		Tags: []string{"applications"}, Security: web.Secured(), Errors: []int{401, 403, 404, 409, 422},
	}, func(ctx context.Context, in *intakeInput) (*viewOutput, error) {
		a, err := s.Actor(ctx, auth.RoleClerk, auth.RoleHandler)
		if err != nil {
			return nil, err
		}
		var app *Application
		switch in.Body.Action {
		case "accept":
			app, err = m.Accept(ctx, a, in.ID, in.Body.Reason)
		case "accept_shortfall":
			app, err = m.AcceptWithShortfall(ctx, a, in.ID, in.Body.Due, in.Body.Reason)
		case "refuse":
			app, err = m.Refuse(ctx, a, in.ID, in.Body.Reason)
		default:
			app, err = m.RequestCorrection(ctx, a, in.ID, in.Body.Materials, in.Body.Reason)
		}
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return m.viewOut(ctx, app)
	})
	huma.Register(api, huma.Operation{OperationID: "review-application", Method: http.MethodPost, Path: prefix + "/{id}/review",
		Summary: "Review step", Description: "Pass the review with an opinion, or ask for correction (the clock pauses).",
		Tags: []string{"applications"}, Security: web.Secured(), Errors: []int{401, 403, 404, 409, 422},
	}, func(ctx context.Context, in *reviewInput) (*viewOutput, error) {
		a, err := s.Actor(ctx, auth.RoleHandler)
		if err != nil {
			return nil, err
		}
		var app *Application
		if in.Body.Action == "pass" {
			app, err = m.Pass(ctx, a, in.ID, in.Body.Opinion)
		} else {
			app, err = m.RequestCorrection(ctx, a, in.ID, in.Body.Materials, in.Body.Opinion)
		}
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return m.viewOut(ctx, app)
	})
	huma.Register(api, huma.Operation{OperationID: "application-procedure", Method: http.MethodPost, Path: prefix + "/{id}/procedure",
		Summary: "Excluded procedure, suspension, termination",
		Description: "Start or end an excluded procedure (听证, 检验, 专家评审 …: its time is not counted, 行政许可法 第四十五条; " +
			"handlers), suspend or terminate the review on stated grounds (approvers), or resume it. Each tells the applicant " +
			"in a signed document.",
		Tags: []string{"applications"}, Security: web.Secured(), Errors: []int{401, 403, 404, 409, 422},
	}, func(ctx context.Context, in *procedureInput) (*viewOutput, error) {
		a, err := s.Actor(ctx, auth.RoleHandler, auth.RoleApprover)
		if err != nil {
			return nil, err
		}
		var app *Application
		switch b := in.Body; b.Action {
		case "start_special":
			app, err = m.StartSpecial(ctx, a, in.ID, b.Procedure, b.Days, b.Reason)
		case "end_special":
			app, err = m.EndSpecial(ctx, a, in.ID, b.Reason)
		case "suspend":
			app, err = m.Suspend(ctx, a, in.ID, b.Reason)
		case "resume":
			app, err = m.Resume(ctx, a, in.ID, b.Reason)
		default:
			app, err = m.Terminate(ctx, a, in.ID, b.Reason)
		}
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return m.viewOut(ctx, app)
	})
	huma.Register(api, huma.Operation{OperationID: "decide-application", Method: http.MethodPost, Path: prefix + "/{id}/decision",
		Summary: "Decide", Description: "Approve (issuing the item's e-certificate) or reject, with reasons. Approvers only.",
		Tags: []string{"applications"}, Security: web.Secured(), Errors: []int{401, 403, 404, 409, 422},
	}, func(ctx context.Context, in *decideInput) (*viewOutput, error) {
		a, err := s.Actor(ctx, auth.RoleApprover)
		if err != nil {
			return nil, err
		}
		app, err := m.Decide(ctx, a, in.ID, in.Body)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return m.viewOut(ctx, app)
	})
}

func (m *Module) viewOut(ctx context.Context, app *Application) (*viewOutput, error) {
	v, err := m.view(ctx, app)
	if err != nil {
		return nil, m.s.Problem(ctx, err)
	}
	return &viewOutput{Body: *v}, nil
}

// view resolves app for display.
func (m *Module) view(ctx context.Context, app *Application) (*View, error) {
	v := &View{Application: *app, Missing: []string{}}
	if it, err := m.d.Catalog.Version(ctx, app.ItemCode, app.ItemVersion); err == nil {
		v.FormValues = m.formView(it.Fields, app.Form)
		v.RuleInputList = RuleInputView(it.Fields, app.RuleInputs)
	}
	for _, mt := range app.Materials {
		if mt.Missing() {
			v.Missing = append(v.Missing, mt.Name)
		}
	}
	if in, err := m.d.Flow.Instance(ctx, app.InstanceID); err == nil {
		if !in.StateDueAt.IsZero() {
			v.StateDue = in.StateDueAt.Format("2006-01-02T15:04:05Z07:00")
		}
		if !in.DueAt.IsZero() {
			v.Due = in.DueAt.Format("2006-01-02T15:04:05Z07:00")
		}
		v.Paused = in.Status == "paused"
		v.Provisional = flow.Provisional(m.d.Calendar(), in.DueAt)
	}
	return v, nil
}
