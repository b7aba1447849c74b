package casework

import (
	"context"
	"net/http"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
)

// The JSON API of bundles (高效办成一件事) and cross-region handling (跨域通办):
// what the pages offer, for apps and for other systems of a province.

type bundleListOutput struct {
	Body struct {
		Items []Bundle `json:"items"`
	}
}

type bundleCodeInput struct {
	Code string `path:"code" maxLength:"40"`
}

// BundleGuideView is a published bundle with its merged form and
// materials. Merged is absent, and Problem says why, while an item of the
// bundle cannot be applied for (withdrawn or changed since publication).
type BundleGuideView struct {
	Bundle
	Merged  *Merged `json:"merged,omitempty"`
	Problem string  `json:"problem,omitempty"`
}

type bundleGuideOutput struct{ Body BundleGuideView }

type bundleApplyInput struct {
	Code string `path:"code" maxLength:"40"`
	Body BundleInput
}

type bundleAppOutput struct {
	Location string `header:"Location"`
	Body     BundleApplication
}

type cursorInput struct {
	Cursor string `query:"cursor" maxLength:"20" pattern:"^[0-9]*$" doc:"next_cursor of the previous page; empty for the first"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"20"`
}

type bundleAppsOutput struct {
	Body struct {
		Items      []BundleApplication `json:"items"`
		NextCursor string              `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last"`
	}
}

// CrossRegionView is a cross-region application as both sides follow it:
// the application, and its forwarding and acknowledgement once made.
type CrossRegionView struct {
	View
	Crossing *Crossing `json:"crossing,omitempty"`
}

type crossOutput struct{ Body CrossRegionView }

type crossListOutput struct {
	Body struct {
		Items      []CrossRegionView `json:"items"`
		Total      int               `json:"total" doc:"Applications in the whole list, counted up to 1001 (1001 means more than 1000)"`
		NextCursor string            `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last"`
	}
}

type crossListInput struct {
	Cursor string `query:"cursor" maxLength:"42" doc:"next_cursor of the page before; empty for the first page"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"20"`
}

type forwardInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body ForwardInput
}

type crossingOutput struct{ Body Crossing }

// cursorID reads a keyset cursor: the id the previous page ended at.
func cursorID(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return max(n, 0)
}

func (m *Module) registerBundleAPI(s *web.Server) {
	api := s.API()
	bundles := web.APIPrefix + "/bundles"
	huma.Register(api, huma.Operation{OperationID: "list-bundles", Method: http.MethodGet, Path: bundles,
		Summary: "Published bundles (一件事)", Description: "Anyone may read them, as the public guide pages.",
		Tags: []string{"bundles"}, Errors: []int{},
	}, func(ctx context.Context, _ *struct{}) (*bundleListOutput, error) {
		bs, err := m.Bundles(ctx, false)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		out := &bundleListOutput{}
		out.Body.Items = bs
		if out.Body.Items == nil {
			out.Body.Items = []Bundle{}
		}
		return out, nil
	})
	huma.Register(api, huma.Operation{OperationID: "get-bundle", Method: http.MethodGet, Path: bundles + "/{code}",
		Summary: "A bundle's guide", Description: "The bundle, its items' merged form fields and materials (each asked for once) " +
			"and the longest limits among the items.",
		Tags: []string{"bundles"}, Errors: []int{404},
	}, func(ctx context.Context, in *bundleCodeInput) (*bundleGuideOutput, error) {
		b, mg, err := m.BundleGuide(ctx, in.Code)
		if b == nil {
			return nil, s.Problem(ctx, err)
		}
		v := BundleGuideView{Bundle: *b, Merged: mg}
		if err != nil {
			fes := FieldErrors(err)
			if len(fes) == 0 {
				return nil, s.Problem(ctx, err)
			}
			v.Problem = fes[0].Message
		}
		return &bundleGuideOutput{Body: v}, nil
	})
	applyOp := huma.Operation{OperationID: "apply-bundle", Method: http.MethodPost, Path: bundles + "/{code}/applications",
		Summary: "Apply for a bundle", Description: "One form (the merged fields by key) and one set of materials (by the " +
			"merged material's key: a file in base64, consent to a held e-certificate, or a 容缺 promise); the platform " +
			"splits it into one application per item, each to its department. A window clerk applies on someone's behalf " +
			"with applicant. The bundle code of the path wins over bundle_code in the body.",
		Tags: []string{"bundles"}, Security: web.Secured(), Errors: []int{401, 403, 404, 409, 422},
		DefaultStatus: http.StatusCreated,
	}
	web.Upload(&applyOp, 6*MaxFileSize)
	huma.Register(api, applyOp, func(ctx context.Context, in *bundleApplyInput) (*bundleAppOutput, error) {
		a, err := s.Actor(ctx, applyRoles...)
		if err != nil {
			return nil, err
		}
		in.Body.BundleCode = in.Code
		if !a.Has(auth.RoleClerk) {
			in.Body.Applicant = nil
		}
		ba, err := m.SubmitBundle(ctx, a, in.Body)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		if ba, err = m.GetBundleApplication(ctx, a, ba.ID); err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &bundleAppOutput{Location: web.APIPrefix + "/bundle-applications/" + itoa(ba.ID), Body: *ba}, nil
	})
	apps := web.APIPrefix + "/bundle-applications"
	huma.Register(api, huma.Operation{OperationID: "list-bundle-applications", Method: http.MethodGet, Path: apps,
		Summary: "Bundle applications", Description: "Those the caller made, or, for window clerks, supervisors and " +
			"administrators, those taken in within their region; newest first, by cursor. Parts are not included: read one.",
		Tags: []string{"bundles"}, Security: web.Secured(), Errors: []int{401},
	}, func(ctx context.Context, in *cursorInput) (*bundleAppsOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		rows, err := m.BundleApplicationsAfter(ctx, a, cursorID(in.Cursor), in.Limit+1)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		out := &bundleAppsOutput{}
		if len(rows) > in.Limit {
			rows = rows[:in.Limit]
			out.Body.NextCursor = itoa(rows[len(rows)-1].ID)
		}
		out.Body.Items = rows
		if out.Body.Items == nil {
			out.Body.Items = []BundleApplication{}
		}
		return out, nil
	})
	huma.Register(api, huma.Operation{OperationID: "get-bundle-application", Method: http.MethodGet, Path: apps + "/{id}",
		Summary: "A bundle application and its parts", Description: "The applications it was split into, each with its " +
			"status and department, in the bundle's item order. Outside the caller's scope: not found.",
		Tags: []string{"bundles"}, Security: web.Secured(), Errors: []int{401, 404},
	}, func(ctx context.Context, in *idInput) (*bundleAppOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		ba, err := m.GetBundleApplication(ctx, a, in.ID)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &bundleAppOutput{Body: *ba}, nil
	})

	cross := web.APIPrefix + "/cross-region"
	huma.Register(api, huma.Operation{OperationID: "list-cross-region", Method: http.MethodGet, Path: cross,
		Summary: "Cross-region applications (跨域通办)", Description: "For a window clerk those taken in within their region, " +
			"for a department's staff those their departments own; newest first, a keyset page by cursor. A cross-region application " +
			"is made with POST /applications by the receiving window's clerk for an item that allows it.",
		Tags: []string{"cross-region"}, Security: web.Secured(), Errors: []int{401, 403},
	}, func(ctx context.Context, in *crossListInput) (*crossListOutput, error) {
		a, err := s.Actor(ctx, crossRoles...)
		if err != nil {
			return nil, err
		}
		after, err := store.ParseCursor(in.Cursor)
		if err != nil {
			return nil, huma.Error400BadRequest("cursor 无效 (malformed cursor)")
		}
		list, pg, err := m.CrossRegionPage(ctx, a, in.Limit, after, true)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		out := &crossListOutput{}
		out.Body.Total, out.Body.NextCursor = pg.Count, pg.Next.String()
		out.Body.Items = []CrossRegionView{}
		for i := range list {
			v, err := m.crossView(ctx, a, &list[i])
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			out.Body.Items = append(out.Body.Items, *v)
		}
		return out, nil
	})
	huma.Register(api, huma.Operation{OperationID: "get-cross-region", Method: http.MethodGet, Path: cross + "/{id}",
		Summary: "Follow a cross-region application", Description: "The application, its deadlines, and the forwarding and " +
			"acknowledgement records. Not found outside the caller's scope or when the application is not cross-region.",
		Tags: []string{"cross-region"}, Security: web.Secured(), Errors: []int{401, 404},
	}, func(ctx context.Context, in *idInput) (*crossOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		app, err := m.CrossRegionApp(ctx, a, in.ID)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		v, err := m.crossView(ctx, a, app)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &crossOutput{Body: *v}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "forward-cross-region", Method: http.MethodPost, Path: cross + "/{id}/forward",
		Summary: "Check and forward (代收转办)", Description: "The receiving window's clerk confirms the form and the applicant's " +
			"identity were checked and forwards the application to the owning department: the workflow's intake step " +
			"(容缺受理 when materials were promised). Once; the result goes by post or online.",
		Tags: []string{"cross-region"}, Security: web.Secured(), Errors: []int{401, 403, 404, 409, 422},
	}, func(ctx context.Context, in *forwardInput) (*crossOutput, error) {
		a, err := s.Actor(ctx, auth.RoleClerk)
		if err != nil {
			return nil, err
		}
		app, err := m.Forward(ctx, a, in.ID, in.Body)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		v, err := m.crossView(ctx, a, app)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &crossOutput{Body: *v}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "acknowledge-cross-region", Method: http.MethodPost,
		Path: cross + "/{id}/acknowledge", Summary: "Sign for a forwarded application (签收)",
		Description: "The owning department's handler or approver records that the forwarded application arrived. Once, " +
			"after forwarding (409 otherwise); review and decision then follow the application's own API.",
		Tags: []string{"cross-region"}, Security: web.Secured(), Errors: []int{401, 403, 404, 409},
	}, func(ctx context.Context, in *idInput) (*crossingOutput, error) {
		a, err := s.Actor(ctx, auth.RoleHandler, auth.RoleApprover)
		if err != nil {
			return nil, err
		}
		c, err := m.Acknowledge(ctx, a, in.ID)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &crossingOutput{Body: *c}, nil
	})
}

// crossView resolves a cross-region application for the API.
func (m *Module) crossView(ctx context.Context, a *auth.Actor, app *Application) (*CrossRegionView, error) {
	v, err := m.view(ctx, app)
	if err != nil {
		return nil, err
	}
	out := &CrossRegionView{View: *v}
	if c, err := m.Crossing(ctx, a, app.ID); err == nil {
		out.Crossing = c
	}
	return out, nil
}
