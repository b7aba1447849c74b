package annualreport

import (
	"context"
	"fmt"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
)

type fileInput struct {
	Body struct {
		USCC    string  `json:"uscc" maxLength:"18" doc:"The business: an enterprise user's own"`
		Year    int     `json:"year" doc:"The year reported on: the previous calendar year"`
		Content Content `json:"content"`
	}
}

type reportOutput struct {
	Location string `header:"Location"`
	Body     Report
}

type reportInput struct {
	USCC string `path:"uscc" maxLength:"18"`
	Year int    `path:"year" minimum:"1900" maximum:"9999"`
}

type correctInput struct {
	USCC string `path:"uscc" maxLength:"18"`
	Year int    `path:"year" minimum:"1900" maximum:"9999"`
	Body struct {
		Content Content `json:"content"`
		Version int64   `json:"version,omitempty" doc:"Row version read; 0 skips the check"`
	}
}

type publicOutput struct{ Body PublicReport }

type listInput struct {
	Year   int    `query:"year" minimum:"1900" maximum:"9999" required:"true"`
	Filed  bool   `query:"filed" doc:"true: reports filed; false: businesses that owe one and have not filed"`
	Cursor string `query:"cursor" maxLength:"60"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

type listOutput struct {
	Body struct {
		Items      []Status `json:"items"`
		NextCursor string   `json:"next_cursor,omitempty"`
	}
}

type applyInput struct {
	Year int `path:"year" minimum:"1900" maximum:"9999"`
}

type listingOutput struct{ Body Listing }

type decideInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body RemovalDecision
}

func (m *Module) registerAPI(s *web.Server) {
	api := s.API()
	base := web.APIPrefix + "/annual-reports"
	tags := []string{"annual-reports"}
	huma.Register(api, huma.Operation{OperationID: "file-annual-report", Method: http.MethodPost, Path: base,
		Summary: "File an annual report (年度报告)", Description: "A business files its own report for the previous year between " +
			"the window's first and last day (1 January to 30 June by default); afterwards only while listed as abnormal for that " +
			"year (补报). 409 when filed already (correct it) or outside the window.",
		Tags: tags, Security: web.Secured(), DefaultStatus: http.StatusCreated, Errors: []int{401, 403, 404, 409, 422},
	}, func(ctx context.Context, in *fileInput) (*reportOutput, error) {
		a, err := s.Actor(ctx, auth.RoleEnterprise)
		if err != nil {
			return nil, err
		}
		r, err := m.File(ctx, a, in.Body.USCC, in.Body.Year, in.Body.Content)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &reportOutput{Location: fmt.Sprintf("%s/%s/%d", base, r.USCC, r.Year), Body: *r}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "get-annual-report", Method: http.MethodGet, Path: base + "/{uscc}/{year}",
		Summary: "An annual report, whole", Description: "The business itself and staff read every field; the phone is masked " +
			"for staff.", Tags: tags, Security: web.Secured(), Errors: []int{401, 404},
	}, func(ctx context.Context, in *reportInput) (*reportOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		r, err := m.Get(ctx, a, in.USCC, in.Year)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &reportOutput{Body: *r}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "correct-annual-report", Method: http.MethodPut, Path: base + "/{uscc}/{year}",
		Summary: "Correct an annual report (更正)", Description: "The business replaces the content of its filed report; the number " +
			"of corrections is public.", Tags: tags, Security: web.Secured(), Errors: []int{401, 404, 409, 422},
	}, func(ctx context.Context, in *correctInput) (*reportOutput, error) {
		a, err := s.Actor(ctx, auth.RoleEnterprise)
		if err != nil {
			return nil, err
		}
		r, err := m.Correct(ctx, a, in.USCC, in.Year, in.Body.Content, in.Body.Version)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &reportOutput{Body: *r}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "public-annual-report", Method: http.MethodGet, Path: base + "/public/{uscc}/{year}",
		Summary: "An annual report as published", Description: "Anyone: 第九条 第一至六项 and the 第七项 figures the business chose " +
			"to publish; the phone masked.", Tags: tags, Errors: []int{404},
	}, func(ctx context.Context, in *reportInput) (*publicOutput, error) {
		p, err := m.GetPublic(ctx, in.USCC, in.Year)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &publicOutput{Body: *p}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "list-annual-reports", Method: http.MethodGet, Path: base,
		Summary: "Filed, or not filed, for a year", Description: "Staff. filed=true lists reports in filing order; filed=false the " +
			"businesses that owe the year's report and have not filed, in code order. Paged by cursor.",
		Tags: tags, Security: web.Secured(), Errors: []int{400, 401, 403},
	}, func(ctx context.Context, in *listInput) (*listOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		out := &listOutput{}
		if in.Filed {
			c, err := store.ParseCursor(in.Cursor)
			if err != nil {
				return nil, huma.Error400BadRequest("bad cursor")
			}
			items, pg, err := m.Filed(ctx, a, in.Year, c, in.Limit)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			out.Body.Items, out.Body.NextCursor = items, pg.Next.String()
		} else {
			items, next, err := m.NotFiled(ctx, a, in.Year, in.Cursor, in.Limit)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			out.Body.Items, out.Body.NextCursor = items, next
		}
		if out.Body.Items == nil {
			out.Body.Items = []Status{}
		}
		return out, nil
	})
	huma.Register(api, huma.Operation{OperationID: "apply-annual-report-removal", Method: http.MethodPost,
		Path: base + "/removals/{year}", Summary: "Apply to be removed from the abnormal list",
		Description: "The business, after filing the year's report it was listed for.",
		Tags:        tags, Security: web.Secured(), Errors: []int{401, 404, 409, 422},
	}, func(ctx context.Context, in *applyInput) (*listingOutput, error) {
		a, err := s.Actor(ctx, auth.RoleEnterprise)
		if err != nil {
			return nil, err
		}
		l, err := m.ApplyRemoval(ctx, a, in.Year)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &listingOutput{Body: *l}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "decide-annual-report-removal", Method: http.MethodPost,
		Path: base + "/listings/{id}/decision", Summary: "Decide an application for removal",
		Description: "Handlers and approvers of the department that listed the business: remove (with the decision number) or refuse " +
			"(with reasons).", Tags: tags, Security: web.Secured(), Errors: []int{401, 404, 409, 422},
	}, func(ctx context.Context, in *decideInput) (*listingOutput, error) {
		a, err := s.Actor(ctx, auth.RoleHandler, auth.RoleApprover, auth.RoleAdmin)
		if err != nil {
			return nil, err
		}
		l, err := m.DecideRemoval(ctx, a, in.ID, in.Body)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &listingOutput{Body: *l}, nil
	})
}
