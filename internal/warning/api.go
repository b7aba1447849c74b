package warning

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
)

type listInput struct {
	Status string `query:"status" enum:"open,verifying,confirmed,excluded," doc:"empty: all"`
	USCC   string `query:"uscc" pattern:"^([0-9A-HJ-NPQRTUWXY]{18})?$" doc:"one business's warnings only (统一社会信用代码); empty: all"`
	Cursor string `query:"cursor" pattern:"^[0-9]*$" maxLength:"20"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

type listOutput struct {
	Body struct {
		Items []*Warning `json:"items"`
		// Total counts the list up to 1001: 1001 means more than 1000.
		Total      int    `json:"total" doc:"Warnings in the whole list, counted up to 1001 (1001 means more than 1000)"`
		NextCursor string `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page"`
	}
}

type idInput struct {
	ID int64 `path:"id" minimum:"1"`
}

type warningOutput struct{ Body *Warning }

type decisionInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Confirm bool   `json:"confirm" doc:"true: 确认 (the risk is real); false: 排除"`
		Note    string `json:"note" maxLength:"2000" doc:"What the verification found (核实情况)"`
	}
}

type figuresInput struct {
	From string `query:"from" pattern:"^[0-9]{4}-(0[1-9]|1[0-2])$" required:"true" doc:"YYYY-MM"`
	To   string `query:"to" pattern:"^[0-9]{4}-(0[1-9]|1[0-2])$" required:"true" doc:"YYYY-MM"`
}

type figuresOutput struct {
	Body struct {
		Items []Figure `json:"items"`
	}
}

type rulesOutput struct{ Body *Rules }

// Mount registers the API operations and pages.
func (m *Module) Mount(s *web.Server) error {
	m.registerAPI(s)
	return m.mountPages(s)
}

func (m *Module) registerAPI(s *web.Server) {
	api := s.API()
	base := web.APIPrefix + "/warnings"
	tags := []string{"warning"}
	huma.Register(api, huma.Operation{OperationID: "list-warnings", Method: http.MethodGet, Path: base,
		Summary: "Warnings (预警) the caller may see", Description: "A department's staff see their departments' warnings, " +
			"supervisors and administrators their region's, a business its own risk prompts (风险提示), newest first.",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 422},
	}, func(ctx context.Context, in *listInput) (*listOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		after, err := store.ParseCursor(in.Cursor)
		if err != nil {
			return nil, huma.Error400BadRequest("cursor 无效 (malformed cursor)")
		}
		ws, pg, err := m.ListPage(ctx, a, Filter{Status: in.Status, USCC: in.USCC, After: after.ID, Limit: in.Limit})
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		out := &listOutput{}
		out.Body.Items, out.Body.Total, out.Body.NextCursor = ws, pg.Count, pg.Next.String()
		if out.Body.Items == nil {
			out.Body.Items = []*Warning{}
		}
		return out, nil
	})
	huma.Register(api, huma.Operation{OperationID: "warning-rules", Method: http.MethodGet, Path: base + "/rules",
		Summary: "The warning rules in force", Tags: tags, Security: web.Secured(), Errors: []int{401, 403},
	}, func(ctx context.Context, _ *struct{}) (*rulesOutput, error) {
		if _, err := s.Actor(ctx, staffRoles...); err != nil {
			return nil, err
		}
		return &rulesOutput{Body: m.d.Rules}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "warning-figures", Method: http.MethodGet, Path: base + "/figures",
		Summary: "Warnings raised, handled, confirmed and late, by month, rule and department",
		Tags:    tags, Security: web.Secured(), Errors: []int{401, 403, 422},
	}, func(ctx context.Context, in *figuresInput) (*figuresOutput, error) {
		a, err := s.Actor(ctx, staffRoles...)
		if err != nil {
			return nil, err
		}
		figs, err := m.Figures(ctx, a, in.From, in.To)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		out := &figuresOutput{}
		out.Body.Items = append([]Figure{}, figs...)
		return out, nil
	})
	huma.Register(api, huma.Operation{OperationID: "get-warning", Method: http.MethodGet, Path: base + "/{id}",
		Summary: "A warning", Tags: tags, Security: web.Secured(), Errors: []int{401, 404},
	}, func(ctx context.Context, in *idInput) (*warningOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		w, err := m.Get(ctx, a, in.ID)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &warningOutput{Body: w}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "verify-warning", Method: http.MethodPost, Path: base + "/{id}/verification",
		Summary: "Start verifying a warning (核实)", Description: "Only the warning's department; only an open warning.",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 403, 404, 409},
	}, func(ctx context.Context, in *idInput) (*warningOutput, error) {
		a, err := s.Actor(ctx, auth.RoleHandler, auth.RoleApprover)
		if err != nil {
			return nil, err
		}
		w, err := m.Verify(ctx, a, in.ID)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &warningOutput{Body: w}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "decide-warning", Method: http.MethodPost, Path: base + "/{id}/decision",
		Summary: "Confirm (确认) or exclude (排除) a warning under verification, with a note",
		Tags:    tags, Security: web.Secured(), Errors: []int{401, 403, 404, 409, 422},
	}, func(ctx context.Context, in *decisionInput) (*warningOutput, error) {
		a, err := s.Actor(ctx, auth.RoleHandler, auth.RoleApprover)
		if err != nil {
			return nil, err
		}
		w, err := m.Decide(ctx, a, in.ID, in.Body.Confirm, in.Body.Note)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &warningOutput{Body: w}, nil
	})
}

// staffRoles may see warning lists and figures.
var staffRoles = []auth.Role{auth.RoleClerk, auth.RoleHandler, auth.RoleApprover, auth.RoleSupervisor, auth.RoleAdmin}

// Run sweeps every interval until ctx ends; the sweep is idempotent, so a
// restart or a second node sweeping does no harm.
func (m *Module) Run(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := m.Sweep(ctx); err != nil && ctx.Err() == nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
