package risk

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/web"
)

type classInput struct {
	USCC string `path:"uscc" maxLength:"18"`
}

type classOutput struct{ Body Class }

type distributionOutput struct{ Body Distribution }

type movesInput struct {
	Month  string `query:"month" pattern:"^([0-9]{4}-[0-9]{2})?$" doc:"YYYY-MM; empty for every month"`
	Offset int    `query:"offset" minimum:"0" doc:"Rows to skip"`
	Limit  int    `query:"limit" minimum:"0" maximum:"1000" doc:"Rows of this page; 0 means 1000"`
}

type movesOutput struct {
	Body struct {
		Items   []Move        `json:"items"`
		Total   int           `json:"total" doc:"Rows in all; page with offset and limit"`
		Summary []MoveSummary `json:"summary" doc:"Up, down and first classifications by month, over all rows"`
	}
}

type versionsOutput struct {
	Body struct {
		Items []Version `json:"items"`
	}
}

// VersionBody is a version with its model.
type VersionBody struct {
	Version
	Model map[string]any `json:"model" doc:"The indicator model (see the national default)"`
}

type versionOutput struct {
	Location string `header:"Location"`
	Body     VersionBody
}

type versionInput struct {
	Version int64 `path:"version" minimum:"1"`
}

type draftInput struct {
	Body struct {
		Model map[string]any `json:"model" doc:"The indicator model: name, thresholds {B, C, D}, root {key, name, children | formula, bands | map, else, missing, at_least_class}"`
	}
}

type trialInput struct {
	Version int64 `path:"version" minimum:"1"`
	Body    *struct {
		Sample int `json:"sample,omitempty" minimum:"0" maximum:"100000" doc:"Businesses to score; 0 means 2000"`
	} `required:"false"`
}

func versionBody(v *Version) VersionBody {
	out := VersionBody{Version: *v}
	_ = json.Unmarshal(v.Content, &out.Model)
	return out
}

func (m *Module) registerAPI(s *web.Server) {
	api := s.API()
	base := web.APIPrefix + "/risk"
	tags := []string{"risk"}
	huma.Register(api, huma.Operation{OperationID: "get-risk-class", Method: http.MethodGet, Path: base + "/classes/{uscc}",
		Summary: "A business's credit risk class, explained",
		Description: "The class (A 低, B 一般, C 较高, D 高), the root score, the model version it was computed with and each " +
			"indicator's value, score, weight and contribution. Supervision staff of the business's region only: the class " +
			"is an internal reference and never public; anyone else is answered 404.",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 404},
	}, func(ctx context.Context, in *classInput) (*classOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		c, err := m.Explain(ctx, a, in.USCC)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &classOutput{Body: *c}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "get-risk-distribution", Method: http.MethodGet, Path: base + "/distribution",
		Summary: "Classes by region, industry and month", Description: "Of the businesses in the caller's region.",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 404},
	}, func(ctx context.Context, _ *struct{}) (*distributionOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		d, err := m.Distribution(ctx, a)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &distributionOutput{Body: *d}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "list-risk-moves", Method: http.MethodGet, Path: base + "/moves",
		Summary: "Movements between classes", Description: "By month, region and industry, in the caller's region, paged (offset, limit); the summary covers every row.",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 404},
	}, func(ctx context.Context, in *movesInput) (*movesOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		list, total, err := m.Moves(ctx, a, in.Month, in.Offset, in.Limit)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		sum, err := m.MovesSummary(ctx, a, in.Month)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		out := &movesOutput{}
		out.Body.Items, out.Body.Total, out.Body.Summary = list, total, sum
		return out, nil
	})
	huma.Register(api, huma.Operation{OperationID: "list-risk-models", Method: http.MethodGet, Path: base + "/models",
		Summary: "Versions of the indicator model", Description: "Administrators of the root region.",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 404},
	}, func(ctx context.Context, _ *struct{}) (*versionsOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		list, err := m.Versions(ctx, a)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		out := &versionsOutput{}
		out.Body.Items = list
		return out, nil
	})
	huma.Register(api, huma.Operation{OperationID: "create-risk-model", Method: http.MethodPost, Path: base + "/models",
		Summary: "Store a draft of the indicator model",
		Description: "The next version, a draft: validated (every problem named by its node's path, e.g. " +
			"model.root.supervision.penalty.formula.months), then tried on a sample before it may be published.",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 404, 422}, DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *draftInput) (*versionOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(in.Body.Model)
		if err != nil {
			return nil, s.Problem(ctx, &valid.FieldError{Path: "model", Message: "模型不是有效的 JSON (invalid model)"})
		}
		v, err := m.CreateDraft(ctx, a, b)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &versionOutput{Location: base + "/models/" + strconv.FormatInt(v.Version, 10), Body: versionBody(v)}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "get-risk-model", Method: http.MethodGet, Path: base + "/models/{version}",
		Summary: "A version of the indicator model", Tags: tags, Security: web.Secured(), Errors: []int{401, 404},
	}, func(ctx context.Context, in *versionInput) (*versionOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		v, err := m.GetVersion(ctx, a, in.Version)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &versionOutput{Body: versionBody(v)}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "try-risk-model", Method: http.MethodPost, Path: base + "/models/{version}/trial",
		Summary: "Try a draft on a sample",
		Description: "Scores a sample of businesses spread over the register with the draft and with the published model: " +
			"the distribution under each and how many would change class (up, down, from→to). Writes no class; the version " +
			"becomes tried.",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 404, 409},
	}, func(ctx context.Context, in *trialInput) (*versionOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		sample := 0
		if in.Body != nil {
			sample = in.Body.Sample
		}
		v, err := m.Try(ctx, a, in.Version, sample)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &versionOutput{Body: versionBody(v)}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "publish-risk-model", Method: http.MethodPost, Path: base + "/models/{version}/publication",
		Summary: "Publish a tried version",
		Description: "It replaces the model in force (which is retired and kept); the classes follow in the next full run, " +
			"started within minutes.",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 404, 409},
	}, func(ctx context.Context, in *versionInput) (*versionOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		v, err := m.Publish(ctx, a, in.Version)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &versionOutput{Body: versionBody(v)}, nil
	})
}
