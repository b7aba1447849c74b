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

type creditRecordInput struct{ Body RecordInput }

type recordOutput struct {
	Location string `header:"Location"`
	Body     Record
}

type idInput struct {
	ID int64 `path:"id" minimum:"1"`
}

type recordWithdrawInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		WithdrawnOn string `json:"withdrawn_on" doc:"YYYY-MM-DD the decision was changed or revoked"`
	}
}

type abnormalListInput struct{ Body AbnormalInput }

type abnormalOutput struct {
	Location string `header:"Location"`
	Body     Abnormal
}

type abnormalRemovalInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		RemovedOn  string `json:"removed_on" doc:"YYYY-MM-DD of the removal decision"`
		DecisionNo string `json:"decision_no,omitempty" maxLength:"100"`
	}
}

type creditStateInput struct {
	USCC string `path:"uscc" maxLength:"18"`
	AsOf string `query:"as_of" doc:"YYYY-MM-DD; empty means today"`
}

type stateOutput struct{ Body State }

type checkInput struct {
	USCC    string `path:"uscc" maxLength:"18"`
	Purpose string `query:"purpose" maxLength:"40" doc:"commitment, licensing, procurement, honour, subsidy, inspection; a business asking about itself is a self-check"`
}

type checkOutput struct{ Body CheckResult }

type checksInput struct {
	USCC   string `path:"uscc" maxLength:"18"`
	Cursor string `query:"cursor" pattern:"^[0-9]*$" maxLength:"20"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

type checksOutput struct {
	Body struct {
		Items      []CheckEntry `json:"items"`
		NextCursor string       `json:"next_cursor,omitempty"`
	}
}

// Mount registers the module's API operations.
func (m *Module) Mount(s *web.Server) error {
	m.s = s
	m.registerAPI(s)
	return m.mountPages(s)
}

func (m *Module) registerAPI(s *web.Server) {
	api := s.API()
	base := web.APIPrefix + "/credit"
	tags := []string{"credit"}
	huma.Register(api, huma.Operation{OperationID: "add-credit-record", Method: http.MethodPost, Path: base + "/records",
		Summary: "Add a credit record", Description: "A record of any kind about a business, written for the caller's department, " +
			"which must be granted the kind. Public kinds are published on published_on, or today when it is empty; the answer " +
			"gives the computed public_until (the last day shown) and repairable_from (the first day repair may be applied " +
			"for), counted as 民法典 第二百零一条、第二百零二条 count periods. A penalty under the simple procedure, or a " +
			"warning alone, is never shown; 通报批评 or a low fine (the province's threshold, inclusive) for 3 months; others " +
			"for 3 years.",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 403, 409, 422}, DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *creditRecordInput) (*recordOutput, error) {
		a, err := s.Actor(ctx, auth.RoleHandler, auth.RoleApprover)
		if err != nil {
			return nil, err
		}
		rec, err := m.AddRecord(ctx, a, in.Body)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &recordOutput{Location: base + "/records/" + strconv.FormatInt(rec.ID, 10), Body: *rec}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "get-credit-record", Method: http.MethodGet, Path: base + "/records/{id}",
		Summary: "A credit record", Tags: tags, Security: web.Secured(), Errors: []int{401, 404},
	}, func(ctx context.Context, in *idInput) (*recordOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		rec, err := m.GetRecord(ctx, a, in.ID, m.today())
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &recordOutput{Body: *rec}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "withdraw-credit-record", Method: http.MethodPost,
		Path: base + "/records/{id}/withdrawal", Summary: "Withdraw a record whose decision was changed or revoked",
		Description: "It is shown up to the day before withdrawn_on. Only the department that wrote it; once.",
		Tags:        tags, Security: web.Secured(), Errors: []int{401, 404, 409, 422},
	}, func(ctx context.Context, in *recordWithdrawInput) (*recordOutput, error) {
		a, err := s.Actor(ctx, auth.RoleHandler, auth.RoleApprover)
		if err != nil {
			return nil, err
		}
		rec, err := m.Withdraw(ctx, a, in.ID, in.Body.WithdrawnOn)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &recordOutput{Body: *rec}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "list-abnormal", Method: http.MethodPost, Path: base + "/abnormal",
		Summary: "List a business as abnormal (经营异常名录)", Description: "For the caller's department, which must be granted " +
			"the abnormal list. listed_on may be in the past (loading a city's history); a listing not removed within three " +
			"years puts the business on the serious list from the day after.",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 403, 422}, DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *abnormalListInput) (*abnormalOutput, error) {
		a, err := s.Actor(ctx, auth.RoleHandler, auth.RoleApprover)
		if err != nil {
			return nil, err
		}
		ab, err := m.ListAsAbnormal(ctx, a, in.Body)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &abnormalOutput{Location: base + "/abnormal/" + strconv.FormatInt(ab.ID, 10), Body: *ab}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "remove-abnormal", Method: http.MethodPost, Path: base + "/abnormal/{id}/removal",
		Summary: "Remove an abnormal listing", Description: "The obligation was met. A removal within three years of the listing " +
			"also takes back the serious listing that would have followed.",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 404, 409, 422},
	}, func(ctx context.Context, in *abnormalRemovalInput) (*abnormalOutput, error) {
		a, err := s.Actor(ctx, auth.RoleHandler, auth.RoleApprover)
		if err != nil {
			return nil, err
		}
		ab, err := m.RemoveAbnormal(ctx, a, in.ID, in.Body.RemovedOn, in.Body.DecisionNo)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &abnormalOutput{Body: *ab}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "get-credit-entity", Method: http.MethodGet, Path: base + "/entities/{uscc}",
		Summary: "A business's credit state on a date", Description: "Its abnormal and serious listings (active on as_of) and " +
			"its records (public on as_of), as known then. Staff of any department read it; a business reads its own.",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 404, 422},
	}, func(ctx context.Context, in *creditStateInput) (*stateOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		var asOf calendar.Date
		if in.AsOf != "" {
			if asOf, err = calendar.ParseDate(in.AsOf); err != nil {
				return nil, s.Problem(ctx, &valid.FieldError{Path: "as_of", Message: "日期格式为 YYYY-MM-DD (date as YYYY-MM-DD)"})
			}
		}
		st, err := m.StateOf(ctx, a, in.USCC, asOf)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &stateOutput{Body: *st}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "credit-check", Method: http.MethodGet, Path: base + "/check/{uscc}",
		Summary: "信用核查: may this business get it", Description: "Before deciding, any module or department asks with the " +
			"purpose; the answer is allow, weigh (decide with the reasons shown) or deny, with the listings behind it. Every " +
			"check is logged with who asked and why; the business lists them at /credit/checks/{uscc}. A business asking " +
			"about itself makes a self-check (信用自查).",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 404, 422},
	}, func(ctx context.Context, in *checkInput) (*checkOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		res, err := m.Check(ctx, a, in.USCC, in.Purpose)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &checkOutput{Body: *res}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "list-credit-checks", Method: http.MethodGet, Path: base + "/checks/{uscc}",
		Summary: "Who checked this business", Description: "Newest first, by cursor. The business sees the departments; staff also the person.",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 404},
	}, func(ctx context.Context, in *checksInput) (*checksOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		before, _ := strconv.ParseInt(in.Cursor, 10, 64)
		list, err := m.Checks(ctx, a, in.USCC, before, in.Limit+1)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		out := &checksOutput{}
		if len(list) > in.Limit {
			list = list[:in.Limit]
			out.Body.NextCursor = strconv.FormatInt(list[len(list)-1].ID, 10)
		}
		out.Body.Items = list
		return out, nil
	})
}
