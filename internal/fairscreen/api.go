package fairscreen

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/web"
)

// ScreenRequest is the body of POST /api/v1/fair-review/screen.
type ScreenRequest struct {
	Text string `json:"text" minLength:"1" maxLength:"200000" doc:"The draft's text, pasted; at most 200,000 characters, no control characters other than tab and newline"`
}

// ScreenResponse is the answer: the clauses in order, each with its
// findings (an empty list when none). Spans are [start, end) in runes
// within the clause's text.
type ScreenResponse struct {
	Clauses []Clause `json:"clauses"`
}

type screenInput struct{ Body ScreenRequest }

type screenOutput struct{ Body ScreenResponse }

type feedbackInput struct {
	Body struct {
		Rule      string `json:"rule" minLength:"1" maxLength:"100"`
		Clause    string `json:"clause" minLength:"1" maxLength:"5000"`
		Confirmed bool   `json:"confirmed" doc:"true: the clause does break the standard; false: the finding is dismissed"`
		Reason    string `json:"reason,omitempty" maxLength:"2000" doc:"Required when dismissing"`
	}
}

type libraryVersionsOutput struct {
	Body struct {
		Items []Version `json:"items"`
	}
}

// VersionBody is a version with its library.
type VersionBody struct {
	Version
	Library map[string]any `json:"library" doc:"The rule library: name, lists, negators, negation_window, gap, rules [{id, article, category, title, explanation, triggers, context, unless, examples {flag, pass}}]"`
}

type libraryVersionOutput struct {
	Location string `header:"Location"`
	Body     VersionBody
}

type libraryVersionInput struct {
	Version int64 `path:"version" minimum:"1"`
}

type libraryDraftInput struct {
	Body struct {
		Library map[string]any `json:"library" doc:"The rule library (see the embedded national default)"`
	}
}

type statsOutput struct {
	Body struct {
		Items []RuleStat `json:"items"`
	}
}

func versionBody(v *Version) VersionBody {
	out := VersionBody{Version: *v}
	_ = json.Unmarshal(v.Content, &out.Library)
	return out
}

func (m *Module) registerAPI(s *web.Server) {
	api := s.API()
	base := web.APIPrefix + "/fair-review"
	tags := []string{"fair-review"}
	huma.Register(api, huma.Operation{OperationID: "screen-fair-review-text", Method: http.MethodPost, Path: base + "/screen",
		Summary: "Screen a draft's text against the fair-competition standards",
		Description: "Splits the text into clauses (第X条, items （一）, sentences) and screens each against the rule library in " +
			"force (公平竞争审查条例 第八条 to 第十一条 and the 实施办法). Each finding names the article and item, the category, " +
			"the span [start, end) in runes within the clause and a plain explanation; a clause without findings has an empty " +
			"list. Any signed-in staff member (drafting units are in every department). A text over 200,000 characters or " +
			"with control characters is refused with 422; a body over the server's limit with 413.",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 404, 413, 422},
	}, func(ctx context.Context, in *screenInput) (*screenOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		cs, err := m.Screen(ctx, a, in.Body.Text)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &screenOutput{Body: ScreenResponse{Clauses: cs}}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "create-fair-review-feedback", Method: http.MethodPost, Path: base + "/feedback",
		Summary:     "Confirm or dismiss a finding",
		Description: "Kept per rule (confirmed and dismissed counts) to improve the rules. A dismissal needs a reason. Any staff member.",
		Tags:        tags, Security: web.Secured(), Errors: []int{401, 404, 422}, DefaultStatus: http.StatusNoContent,
	}, func(ctx context.Context, in *feedbackInput) (*struct{}, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		if !canScreen(a) {
			return nil, s.Problem(ctx, ErrNotFound)
		}
		if err := m.Feedback(ctx, m.d.DB, in.Body.Rule, in.Body.Clause, in.Body.Confirmed, in.Body.Reason, a.UserID); err != nil {
			return nil, s.Problem(ctx, err)
		}
		return nil, nil
	})
	huma.Register(api, huma.Operation{OperationID: "list-fair-review-rule-stats", Method: http.MethodGet, Path: base + "/rules",
		Summary: "The rules in force with reviewers' decisions", Description: "Confirmed and dismissed counts per rule. Administrators.",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 404},
	}, func(ctx context.Context, _ *struct{}) (*statsOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		list, err := m.RuleStats(ctx, a)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		out := &statsOutput{}
		out.Body.Items = list
		return out, nil
	})
	huma.Register(api, huma.Operation{OperationID: "list-fair-review-libraries", Method: http.MethodGet, Path: base + "/libraries",
		Summary: "Versions of the rule library", Description: "Administrators.",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 404},
	}, func(ctx context.Context, _ *struct{}) (*libraryVersionsOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		list, err := m.Versions(ctx, a)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		out := &libraryVersionsOutput{}
		out.Body.Items = list
		return out, nil
	})
	huma.Register(api, huma.Operation{OperationID: "create-fair-review-library", Method: http.MethodPost, Path: base + "/libraries",
		Summary: "Store a draft of the rule library",
		Description: "The next version, a draft; validated (422 naming the problem), and every rule's examples run: the " +
			"failures are kept with the draft, which cannot be published while any remain.",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 404, 422}, DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *libraryDraftInput) (*libraryVersionOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(in.Body.Library)
		if err != nil {
			return nil, s.Problem(ctx, &valid.FieldError{Path: "library", Message: "规则库不是有效的 JSON (invalid library)"})
		}
		v, err := m.CreateDraft(ctx, a, b)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &libraryVersionOutput{Location: base + "/libraries/" + strconv.FormatInt(v.Version, 10), Body: versionBody(v)}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "get-fair-review-library", Method: http.MethodGet, Path: base + "/libraries/{version}",
		Summary: "A version of the rule library", Tags: tags, Security: web.Secured(), Errors: []int{401, 404},
	}, func(ctx context.Context, in *libraryVersionInput) (*libraryVersionOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		v, err := m.GetVersion(ctx, a, in.Version)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &libraryVersionOutput{Body: versionBody(v)}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "publish-fair-review-library", Method: http.MethodPost, Path: base + "/libraries/{version}/publication",
		Summary:     "Publish a draft of the rule library",
		Description: "Runs the examples again; 409 when any fails or the version is not a draft. The version in force is retired and kept.",
		Tags:        tags, Security: web.Secured(), Errors: []int{401, 404, 409},
	}, func(ctx context.Context, in *libraryVersionInput) (*libraryVersionOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		v, err := m.Publish(ctx, a, in.Version)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &libraryVersionOutput{Body: versionBody(v)}, nil
	})
}
