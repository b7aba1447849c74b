package inbox

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/i18n"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
)

type inboxInput struct {
	Q       string `query:"q" maxLength:"100" doc:"Part of the case number or subject"`
	Overdue bool   `query:"overdue" doc:"Only cases past a running deadline"`
	Limit   int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Offset  int    `query:"offset" minimum:"0" default:"0"`
}

// CaseList is one page of cases with the total for paging.
type CaseList struct {
	Items []Row `json:"items"`
	Total int   `json:"total"`
}

type listOutput struct{ Body CaseList }

type caseInput struct {
	ID int64 `path:"id" minimum:"1"`
}

// CaseView is the API view of one case.
type CaseView struct {
	Case    Row                 `json:"case"`
	Version int64               `json:"version" doc:"Row version; send it back with an action"`
	History []flow.HistoryEntry `json:"history"`
	Actions []string            `json:"actions" doc:"Actions the caller may take now"`
}

type caseOutput struct{ Body CaseView }

// ActionRequest asks for one workflow action on a case.
type ActionRequest struct {
	Action  string            `json:"action" minLength:"1" maxLength:"64"`
	Version int64             `json:"version,omitempty" doc:"Row version the caller saw; 0 skips the check"`
	Inputs  map[string]string `json:"inputs,omitempty"`
	Comment string            `json:"comment,omitempty" maxLength:"2000"`
}

type actInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body ActionRequest
}

func (m *Module) registerAPI(s *web.Server) {
	huma.Register(s.API(), huma.Operation{
		OperationID: "list-inbox", Method: http.MethodGet, Path: web.APIPrefix + "/inbox",
		Summary: "My inbox", Description: "Open cases the caller may act on now, within their scope, soonest deadline first.",
		Tags: []string{"inbox"}, Security: web.Secured(), Errors: []int{401, 403},
	}, func(ctx context.Context, in *inboxInput) (*listOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		items, total, err := m.d.Flow.Inbox(ctx, m.d.DB, a, flow.InboxQuery{Limit: in.Limit, Offset: in.Offset, Overdue: in.Overdue, Q: in.Q})
		if err != nil {
			return nil, m.apiError(ctx, err)
		}
		out := &listOutput{}
		out.Body.Items, out.Body.Total = m.rows(ctx, i18n.LangFrom(ctx), items), total
		return out, nil
	})

	huma.Register(s.API(), huma.Operation{
		OperationID: "list-overdue", Method: http.MethodGet, Path: web.APIPrefix + "/supervision/overdue",
		Summary: "Overdue and due-soon cases", Description: "Running cases in the caller's region past a deadline or due within three days (supervisors and administrators).",
		Tags: []string{"inbox"}, Security: web.Secured(), Errors: []int{401, 403},
	}, func(ctx context.Context, _ *struct{}) (*listOutput, error) {
		a, err := s.Actor(ctx, auth.RoleSupervisor, auth.RoleAdmin)
		if err != nil {
			return nil, err
		}
		items, err := m.d.Flow.Overdue(ctx, a.RegionCode, 72*time.Hour)
		if err != nil {
			return nil, m.apiError(ctx, err)
		}
		out := &listOutput{}
		out.Body.Items, out.Body.Total = m.rows(ctx, i18n.LangFrom(ctx), items), len(items)
		return out, nil
	})

	huma.Register(s.API(), huma.Operation{
		OperationID: "get-case", Method: http.MethodGet, Path: web.APIPrefix + "/cases/{id}",
		Summary: "A case", Description: "The case, its history and the actions the caller may take. Cases outside the caller's scope are reported as not found.",
		Tags: []string{"inbox"}, Security: web.Secured(), Errors: []int{401, 404},
	}, func(ctx context.Context, in *caseInput) (*caseOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		v, err := m.caseView(ctx, a, in.ID)
		if err != nil {
			return nil, m.apiError(ctx, err)
		}
		return &caseOutput{Body: *v}, nil
	})

	huma.Register(s.API(), huma.Operation{
		OperationID: "act-on-case", Method: http.MethodPost, Path: web.APIPrefix + "/cases/{id}/actions",
		Summary: "Take an action on a case", Description: "Applies one workflow action in one transaction (state, history, deadlines, event and audit entry).",
		Tags: []string{"inbox"}, Security: web.Secured(), Errors: []int{401, 403, 404, 409, 422},
	}, func(ctx context.Context, in *actInput) (*caseOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		inst, _, err := m.loadOpenCase(ctx, a, idString(in.ID))
		if err != nil {
			return nil, m.apiError(ctx, err)
		}
		err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			_, err := m.d.Flow.Apply(ctx, tx, flow.Transition{InstanceID: inst.ID, Version: in.Body.Version,
				Action: in.Body.Action, Actor: a, Inputs: in.Body.Inputs, Comment: in.Body.Comment})
			return err
		})
		if err != nil {
			return nil, m.apiError(ctx, err)
		}
		v, err := m.caseView(ctx, a, inst.ID)
		if err != nil {
			return nil, m.apiError(ctx, err)
		}
		return &caseOutput{Body: *v}, nil
	})
}

func (m *Module) caseView(ctx context.Context, a *auth.Actor, id int64) (*CaseView, error) {
	in, def, err := m.loadCase(ctx, a, idString(id))
	if err != nil {
		return nil, err
	}
	hist, err := m.d.Flow.History(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	v := &CaseView{Case: m.rows(ctx, i18n.LangFrom(ctx), []flow.InboxItem{m.item(in)})[0],
		Version: in.Version, History: hist, Actions: []string{}}
	if in.Status != flow.StatusDone && m.authorize(ctx, a, auth.ActAct, in) == nil {
		for _, act := range def.ActionsFrom(in.State) {
			if act.Allows(a.Roles) {
				v.Actions = append(v.Actions, act.Key)
			}
		}
	}
	return v, nil
}

// apiError turns workflow errors into problem details with the right status.
func (m *Module) apiError(ctx context.Context, err error) error {
	var ie *flow.InputError
	switch {
	case errors.As(err, &ie):
		details := make([]error, 0, len(ie.Problems))
		for _, p := range ie.Problems {
			details = append(details, &huma.ErrorDetail{Location: "body.inputs." + p.Key, Message: p.Message})
		}
		return huma.Error422UnprocessableEntity("输入不完整或格式不正确 (invalid inputs)", details...)
	case errors.Is(err, flow.ErrNotFound):
		return huma.Error404NotFound("办件不存在 (case not found)")
	case errors.Is(err, ErrOwned):
		return huma.Error409Conflict("该办件请在所属业务模块中办理 (act on this case through its module's API)")
	case errors.Is(err, flow.ErrConflict):
		return huma.Error409Conflict("办件已被他人处理，请刷新后重试 (the case changed; reload and retry)")
	case errors.Is(err, flow.ErrFinished):
		return huma.Error409Conflict("办件已办结 (the case is finished)")
	case errors.Is(err, flow.ErrNoSuchAction):
		return huma.Error422UnprocessableEntity("当前环节不能进行该操作 (action not available at this step)")
	case errors.Is(err, flow.ErrExtensionNotAllowed):
		return huma.Error422UnprocessableEntity("不能申请延期 (extension not allowed)")
	case errors.Is(err, flow.ErrForbidden):
		return m.s.Problem(ctx, auth.ErrForbidden)
	}
	return m.s.Problem(ctx, err)
}

func idString(id int64) string { return strconv.FormatInt(id, 10) }
