package credit

import (
	"context"
	"net/http"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/web"
)

type repairApplyInput struct{ Body RepairInput }

type repairOutput struct {
	Location string `header:"Location"`
	Body     Repair
}

type repairDecisionInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body RepairDecision
}

type reportIssueInput struct{ Body ReportInput }

type reportOutput struct {
	Location string `header:"Location"`
	Body     Report
}

type tokenInput struct {
	Token string `path:"token" maxLength:"32"`
}

type publicFileInput struct {
	USCC string `path:"uscc" maxLength:"18"`
	AsOf string `query:"as_of" doc:"YYYY-MM-DD, at most today; empty means today"`
}

type publicFileOutput struct {
	RetryAfter string `header:"Retry-After"`
	Body       PublicFile
}

// registerMoreAPI registers repair, report and public-query operations.
func (m *Module) registerMoreAPI(s *web.Server) {
	api := s.API()
	base := web.APIPrefix + "/credit"
	tags := []string{"credit"}
	op := huma.Operation{OperationID: "apply-credit-repair", Method: http.MethodPost, Path: base + "/repairs",
		Summary: "Apply to repair a credit record (信用修复)", Description: "A business, for its own penalty record, once " +
			"repairable_from has come (6 months of publication, 1 year for food, drugs and special equipment; the province's " +
			"rules): how the violation was corrected, the commitment, and at least one file of proof. The record's department " +
			"decides within the rules' working days (due_on).",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 404, 422}, DefaultStatus: http.StatusCreated}
	web.Upload(&op, MaxRepairFiles*MaxRepairFileSize*4/3+1<<20)
	huma.Register(api, op, func(ctx context.Context, in *repairApplyInput) (*repairOutput, error) {
		a, err := s.Actor(ctx, auth.RoleEnterprise)
		if err != nil {
			return nil, err
		}
		rp, err := m.ApplyRepair(ctx, a, in.Body)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &repairOutput{Location: base + "/repairs/" + strconv.FormatInt(rp.ID, 10), Body: *rp}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "get-credit-repair", Method: http.MethodGet, Path: base + "/repairs/{id}",
		Summary: "An application for credit repair", Tags: tags, Security: web.Secured(), Errors: []int{401, 404},
	}, func(ctx context.Context, in *idInput) (*repairOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		rp, err := m.GetRepair(ctx, a, in.ID)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &repairOutput{Body: *rp}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "decide-credit-repair", Method: http.MethodPost,
		Path: base + "/repairs/{id}/decision", Summary: "Decide an application for credit repair (准予/不予)",
		Description: "Only the record's department, with reasons. A grant ends the record's publication on the decision " +
			"date (public_until) and sends credit.repaired to other platforms.",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 404, 409, 422},
	}, func(ctx context.Context, in *repairDecisionInput) (*repairOutput, error) {
		a, err := s.Actor(ctx, auth.RoleHandler, auth.RoleApprover)
		if err != nil {
			return nil, err
		}
		rp, err := m.DecideRepair(ctx, a, in.ID, in.Body)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &repairOutput{Body: *rp}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "issue-credit-report", Method: http.MethodPost, Path: base + "/reports",
		Summary: "Issue a 专用信用报告", Description: "In place of 无违法违规记录证明 from many departments: for the period " +
			"(default the rules' report_period ending today), per record kind, per department's field and per list, how " +
			"many entries exist. Signed like the e-certificates; anyone verifies it at /credit/verify/{token}. A business " +
			"asks for its own code only; staff for any.",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 404, 422}, DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *reportIssueInput) (*reportOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		rep, err := m.IssueReport(ctx, a, in.Body)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &reportOutput{Location: base + "/reports/" + strconv.FormatInt(rep.ID, 10), Body: *rep}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "get-credit-report", Method: http.MethodGet, Path: base + "/reports/{id}",
		Summary: "A 专用信用报告", Tags: tags, Security: web.Secured(), Errors: []int{401, 404},
	}, func(ctx context.Context, in *idInput) (*reportOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		rep, err := m.GetReport(ctx, a, in.ID)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &reportOutput{Body: *rep}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "verify-credit-report", Method: http.MethodGet,
		Path: base + "/reports/verify/{token}", Summary: "Verify a 专用信用报告 (public)",
		Description: "The report the token names and genuine: whether its signature holds over the stored content. 404 for a token that names no report.",
		Tags:        tags, Errors: []int{404},
	}, func(ctx context.Context, in *tokenInput) (*reportOutput, error) {
		rep, err := m.VerifyReport(ctx, in.Token)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &reportOutput{Body: *rep}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "get-credit-public", Method: http.MethodGet, Path: base + "/public/{uscc}",
		Summary: "信用公示: what is public of a business (public)", Description: "Anonymous, limited per client address " +
			"(429 with Retry-After). Only the records public on as_of and the listings in force; never risk classes; " +
			"personal numbers in content masked.",
		Tags: tags, Errors: []int{404, 422, 429},
	}, func(ctx context.Context, in *publicFileInput) (*publicFileOutput, error) {
		if ok, wait := m.AllowPublic(ctx); !ok {
			return nil, huma.ErrorWithHeaders(huma.Error429TooManyRequests("too many queries from this address (查询过于频繁，请稍后再试)"),
				http.Header{"Retry-After": []string{strconv.Itoa(int(wait.Seconds()) + 1)}})
		}
		var asOf calendar.Date
		if in.AsOf != "" {
			d, err := calendar.ParseDate(in.AsOf)
			if err != nil || d.After(m.today()) {
				return nil, s.Problem(ctx, &valid.FieldError{Path: "as_of", Message: "日期格式为 YYYY-MM-DD，且不晚于今天 (a date not after today)"})
			}
			asOf = d
		}
		f, err := m.PublicFileOf(ctx, in.USCC, asOf)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		if !f.Known {
			return nil, s.Problem(ctx, ErrNotFound)
		}
		return &publicFileOutput{Body: *f}, nil
	})
}
