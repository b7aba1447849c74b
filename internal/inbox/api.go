package inbox

import (
	"context"
	"errors"
	"net/http"
	"strconv"

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
	Cursor  string `query:"cursor" maxLength:"42" doc:"next_cursor of the page before; empty for the first page"`
}

type overdueInput struct {
	Soon   bool   `query:"soon" doc:"The cases due within three days instead of the overdue ones"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor string `query:"cursor" maxLength:"42" doc:"next_cursor of the page before; empty for the first page"`
}

// CaseList is one page of cases.
type CaseList struct {
	Items []Row `json:"items"`
	// Total counts the list up to 1001: a value of 1001 means "more than 1000".
	Total      int    `json:"total" doc:"Entries in the whole list, counted up to 1001 (1001 means more than 1000)"`
	NextCursor string `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page"`
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
		after, err := store.ParseCursor(in.Cursor)
		if err != nil {
			return nil, huma.Error400BadRequest("cursor 无效 (malformed cursor)")
		}
		items, pg, err := m.d.Flow.Inbox(ctx, m.d.DB, a, flow.InboxQuery{Limit: in.Limit, After: after, Overdue: in.Overdue, Q: in.Q})
		if err != nil {
			return nil, m.apiError(ctx, err)
		}
		return m.listOutput(ctx, items, pg), nil
	})

	huma.Register(s.API(), huma.Operation{
		OperationID: "list-overdue", Method: http.MethodGet, Path: web.APIPrefix + "/supervision/overdue",
		Summary: "Overdue and due-soon cases", Description: "Running cases in the caller's region past a deadline (or, with soon, due within three days), most overdue first (supervisors and administrators).",
		Tags: []string{"inbox"}, Security: web.Secured(), Errors: []int{401, 403},
	}, func(ctx context.Context, in *overdueInput) (*listOutput, error) {
		a, err := s.Actor(ctx, auth.RoleSupervisor, auth.RoleAdmin)
		if err != nil {
			return nil, err
		}
		after, err := store.ParseCursor(in.Cursor)
		if err != nil {
			return nil, huma.Error400BadRequest("cursor 无效 (malformed cursor)")
		}
		now := m.d.Flow.Now()
		q := flow.OverdueQuery{Region: a.RegionCode, Until: now, Limit: in.Limit, After: after}
		if in.Soon {
			q.From, q.Until = now, now.Add(soonWithin)
		}
		items, pg, err := m.d.Flow.Overdue(ctx, q)
		if err != nil {
			return nil, m.apiError(ctx, err)
		}
		return m.listOutput(ctx, items, pg), nil
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
// listOutput is one page of cases as the API answers it.
func (m *Module) listOutput(ctx context.Context, items []flow.InboxItem, pg flow.Page) *listOutput {
	out := &listOutput{}
	out.Body.Items, out.Body.Total, out.Body.NextCursor = m.rows(ctx, i18n.LangFrom(ctx), items), pg.Count, pg.Next.String()
	return out
}

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
