package inbox

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/web"
)

type newRecordInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body NewRecord
}

type recordOutput struct {
	Location string `header:"Location"`
	Body     Record
}

type recordInput struct {
	Record int64 `path:"record" minimum:"1"`
}

type recordsOutput struct {
	Body struct {
		Items []Record `json:"items"`
	}
}

// AnswerRequest is a department's answer (反馈) to a supervision order.
type AnswerRequest struct {
	Answer string `json:"answer" minLength:"1" maxLength:"2000" doc:"What was done and with what result"`
}

type answerInput struct {
	Record int64 `path:"record" minimum:"1"`
	Body   AnswerRequest
}

type ordersInput struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor string `query:"cursor" maxLength:"42" doc:"next_cursor of the page before; empty for the first page"`
}

// OrderList is one page of supervision orders.
type OrderList struct {
	Items      []Record `json:"items"`
	Total      int      `json:"total" doc:"Entries in the whole list, counted up to 1001 (1001 means more than 1000)"`
	NextCursor string   `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page"`
}

type ordersOutput struct{ Body OrderList }

func (m *Module) registerSupervisionAPI(s *web.Server) {
	tags := []string{"supervision"}
	huma.Register(s.API(), huma.Operation{
		OperationID: "add-supervision-record", Method: http.MethodPost, Path: web.APIPrefix + "/supervision/cases/{id}/records",
		Summary: "Supervise a case by hand", Description: "A supervisor of the case's region reminds the department (urge), issues a numbered supervision order answered by a working day (order), comments (comment) or records an interview (interview). The case's history, the department's messages and the audit log record it. Cases outside the caller's scope are not found.",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 403, 404, 409, 422}, DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *newRecordInput) (*recordOutput, error) {
		a, err := s.Actor(ctx, auth.RoleSupervisor)
		if err != nil {
			return nil, err
		}
		rec, err := m.Supervise(ctx, a, in.ID, in.Body)
		if err != nil {
			return nil, m.supervisionError(ctx, err)
		}
		return &recordOutput{Location: web.APIPrefix + "/supervision/records/" + strconv.FormatInt(rec.ID, 10), Body: *rec}, nil
	})
	huma.Register(s.API(), huma.Operation{
		OperationID: "list-supervision-records", Method: http.MethodGet, Path: web.APIPrefix + "/supervision/cases/{id}/records",
		Summary: "A case's supervision records", Description: "Every reminder, order, comment and interview record of the case, newest first (supervisors of its region).",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 403, 404},
	}, func(ctx context.Context, in *caseInput) (*recordsOutput, error) {
		a, err := s.Actor(ctx, auth.RoleSupervisor)
		if err != nil {
			return nil, err
		}
		inst, err := m.superviseCase(ctx, a, in.ID)
		if err != nil {
			return nil, m.supervisionError(ctx, err)
		}
		out := &recordsOutput{}
		if out.Body.Items, err = m.Records(ctx, inst); err != nil {
			return nil, m.supervisionError(ctx, err)
		}
		if out.Body.Items == nil {
			out.Body.Items = []Record{}
		}
		return out, nil
	})
	huma.Register(s.API(), huma.Operation{
		OperationID: "get-supervision-record", Method: http.MethodGet, Path: web.APIPrefix + "/supervision/records/{record}",
		Summary: "A supervision record", Description: "For the supervisors of the case's region and the department it is addressed to; otherwise not found.",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 404},
	}, func(ctx context.Context, in *recordInput) (*recordOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		rec, err := m.Record(ctx, a, in.Record)
		if err != nil {
			return nil, m.supervisionError(ctx, err)
		}
		return &recordOutput{Body: *rec}, nil
	})
	huma.Register(s.API(), huma.Operation{
		OperationID: "answer-supervision-order", Method: http.MethodPost, Path: web.APIPrefix + "/supervision/records/{record}/answer",
		Summary: "Answer a supervision order", Description: "The addressed department's answer (反馈), which closes the order; the case's history records it and the supervisor who issued it is told.",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 403, 404, 409, 422},
	}, func(ctx context.Context, in *answerInput) (*recordOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		rec, err := m.Answer(ctx, a, in.Record, in.Body.Answer)
		if err != nil {
			return nil, m.supervisionError(ctx, err)
		}
		return &recordOutput{Body: *rec}, nil
	})
	huma.Register(s.API(), huma.Operation{
		OperationID: "list-open-supervision-orders", Method: http.MethodGet, Path: web.APIPrefix + "/supervision/orders",
		Summary: "Supervision orders awaiting my department", Description: "Open supervision orders addressed to the caller's departments, soonest answer date first, by keyset.",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 400},
	}, func(ctx context.Context, in *ordersInput) (*ordersOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		after, err := store.ParseCursor(in.Cursor)
		if err != nil {
			return nil, huma.Error400BadRequest("cursor 无效 (malformed cursor)")
		}
		items, pg, err := m.OpenOrders(ctx, a, in.Limit, after)
		if err != nil {
			return nil, m.supervisionError(ctx, err)
		}
		if items == nil {
			items = []Record{}
		}
		return &ordersOutput{Body: OrderList{Items: items, Total: pg.Count, NextCursor: pg.Next.String()}}, nil
	})
}

func (m *Module) supervisionError(ctx context.Context, err error) error {
	if fs := valid.Fields(err); len(fs) > 0 {
		details := make([]error, 0, len(fs))
		for _, f := range fs {
			details = append(details, &huma.ErrorDetail{Location: "body." + f.Path, Message: f.Message})
		}
		return huma.Error422UnprocessableEntity("输入不完整或格式不正确 (invalid input)", details...)
	}
	switch {
	case errors.Is(err, ErrAnswered):
		return huma.Error409Conflict("该督办单已反馈 (the supervision order has been answered)")
	case errors.Is(err, flow.ErrFinished):
		return huma.Error409Conflict("办件已办结 (the case is finished)")
	case errors.Is(err, auth.ErrForbidden):
		return m.s.Problem(ctx, auth.ErrForbidden)
	}
	return m.apiError(ctx, err)
}
