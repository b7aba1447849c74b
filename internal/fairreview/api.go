package fairreview

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/web"
)

// ActorOf maps the authenticated caller to a review actor: the first
// department they act for, the review office when Deps.IsOffice says that
// department is a market-regulation department, the legal department for
// auth.RoleLegal, supervisors and administrators for the region.
func (m *Module) ActorOf(ctx context.Context, a *auth.Actor) Actor {
	out := Actor{UserID: a.UserID, Name: a.Name, Region: a.RegionCode}
	if len(a.DepartmentIDs) > 0 {
		out.DepartmentID = a.DepartmentIDs[0]
	}
	out.Legal = a.Has(auth.RoleLegal)
	out.Supervisor = a.HasAny(auth.RoleSupervisor, auth.RoleAdmin)
	if m.d.IsOffice != nil && out.DepartmentID != 0 && a.HasAny(auth.RoleHandler, auth.RoleApprover) {
		out.Office = m.d.IsOffice(ctx, out.DepartmentID)
	}
	return out
}

var staff = []auth.Role{auth.RoleHandler, auth.RoleApprover, auth.RoleLegal, auth.RoleSupervisor, auth.RoleAdmin}

type idInput struct {
	ID int64 `path:"id" minimum:"1"`
}

type measureOutput struct{ Body *Measure }

type listInput struct {
	Q      string `query:"q" maxLength:"100"`
	Before int64  `query:"before" minimum:"0" doc:"keyset cursor: the last id of the previous page"`
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"50"`
}

type listOutput struct {
	Body struct {
		Items      []*Measure `json:"items"`
		NextBefore int64      `json:"next_before,omitempty"`
	}
}

type textInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Text string `json:"text" maxLength:"200000"`
	}
}

type opinionInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Opinion    string `json:"opinion" maxLength:"5000"`
		Conclusion string `json:"conclusion,omitempty" enum:"allow,exception,amend,forbid,"`
	}
}

type reportInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Body  string `json:"body" maxLength:"5000"`
		Phone string `json:"phone" maxLength:"20"`
	}
}

type reportOutput struct{ Body *Report }

type trackInput struct {
	Token string `path:"token" pattern:"^[0-9a-f]{32}$"`
}

// mountAPI registers the JSON API.
func (m *Module) mountAPI(s *web.Server) error {
	api := s.API()
	base := web.APIPrefix + "/fair-review"
	tags := []string{"fairreview"}
	op := func(id, method, path, summary string, public bool) huma.Operation {
		o := huma.Operation{OperationID: id, Method: method, Path: base + path, Summary: summary, Tags: tags,
			Errors: []int{404, 409, 422}}
		if !public {
			o.Security = web.Secured()
			o.Errors = append(o.Errors, 401, 403)
		}
		return o
	}
	actor := func(ctx context.Context) (Actor, error) {
		a, err := s.Actor(ctx, staff...)
		if err != nil {
			return Actor{}, err
		}
		return m.ActorOf(ctx, a), nil
	}
	wrap := func(ms *Measure, err error) (*measureOutput, error) {
		if err != nil {
			return nil, s.Problem(context.Background(), err)
		}
		return &measureOutput{Body: ms}, nil
	}
	huma.Register(api, op("fairreview-register", http.MethodPost, "/measures", "Register a draft measure (登记待审查政策措施)", false),
		func(ctx context.Context, in *struct{ Body Draft }) (*measureOutput, error) {
			a, err := actor(ctx)
			if err != nil {
				return nil, err
			}
			return wrap(m.Register(ctx, a, in.Body))
		})
	huma.Register(api, op("fairreview-list", http.MethodGet, "/measures", "Measures the caller may see, newest first", false),
		func(ctx context.Context, in *listInput) (*listOutput, error) {
			a, err := actor(ctx)
			if err != nil {
				return nil, err
			}
			items, err := m.List(ctx, a, in.Q, in.Before, in.Limit)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			out := &listOutput{}
			out.Body.Items = items
			if len(items) == in.Limit {
				out.Body.NextBefore = items[len(items)-1].ID
			}
			return out, nil
		})
	huma.Register(api, op("fairreview-get", http.MethodGet, "/measures/{id}", "One measure with its screening findings", false),
		func(ctx context.Context, in *idInput) (*measureOutput, error) {
			a, err := actor(ctx)
			if err != nil {
				return nil, err
			}
			return wrap(m.Get(ctx, a, in.ID))
		})
	huma.Register(api, op("fairreview-self-review", http.MethodPost, "/measures/{id}/self-review", "Self-review (第十三条)", false),
		func(ctx context.Context, in *struct {
			ID   int64 `path:"id" minimum:"1"`
			Body SelfReview
		}) (*measureOutput, error) {
			a, err := actor(ctx)
			if err != nil {
				return nil, err
			}
			return wrap(m.SubmitSelfReview(ctx, a, in.ID, in.Body))
		})
	huma.Register(api, op("fairreview-amend", http.MethodPost, "/measures/{id}/amend", "Amend the text; back to self-review", false),
		func(ctx context.Context, in *textInput) (*measureOutput, error) {
			a, err := actor(ctx)
			if err != nil {
				return nil, err
			}
			return wrap(m.Amend(ctx, a, in.ID, in.Body.Text))
		})
	huma.Register(api, op("fairreview-joint-review", http.MethodPost, "/measures/{id}/joint-review", "会同审查 opinion (第十四条)", false),
		func(ctx context.Context, in *opinionInput) (*measureOutput, error) {
			a, err := actor(ctx)
			if err != nil {
				return nil, err
			}
			return wrap(m.JointReview(ctx, a, in.ID, in.Body.Opinion))
		})
	huma.Register(api, op("fairreview-legal-review", http.MethodPost, "/measures/{id}/legal-review", "Legal re-review and conclusion (双审制)", false),
		func(ctx context.Context, in *opinionInput) (*measureOutput, error) {
			a, err := actor(ctx)
			if err != nil {
				return nil, err
			}
			return wrap(m.LegalReview(ctx, a, in.ID, in.Body.Opinion, in.Body.Conclusion))
		})
	huma.Register(api, op("fairreview-issue", http.MethodPost, "/measures/{id}/issue", "Mark issued (第十八条); a differing text is refused", false),
		func(ctx context.Context, in *textInput) (*measureOutput, error) {
			a, err := actor(ctx)
			if err != nil {
				return nil, err
			}
			return wrap(m.Issue(ctx, a, in.ID, in.Body.Text))
		})
	huma.Register(api, op("fairreview-report", http.MethodPost, "/measures/{id}/reports", "Public report on an issued measure (第二十二条)", true),
		func(ctx context.Context, in *reportInput) (*reportOutput, error) {
			r, err := m.SubmitReport(ctx, in.ID, in.Body.Body, in.Body.Phone)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &reportOutput{Body: r}, nil
		})
	huma.Register(api, op("fairreview-track", http.MethodGet, "/tracking/{token}", "The reporter's view of a report", true),
		func(ctx context.Context, in *trackInput) (*reportOutput, error) {
			r, err := m.Track(ctx, in.Token)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &reportOutput{Body: r}, nil
		})
	m.mountMoreAPI(s, op, actor, wrap)
	return nil
}
