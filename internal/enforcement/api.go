package enforcement

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/discretion"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/i18n"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
)

type caseOutput struct{ Body *Case }

type caseInput struct {
	Case int64 `path:"case" minimum:"1"`
}

type listInput struct {
	Status    string `query:"status" enum:"lead,not_opened,open,decided,closed,"`
	Procedure string `query:"procedure" enum:"ordinary,simple,"`
	Q         string `query:"q" maxLength:"60"`
	Cursor    string `query:"cursor" maxLength:"60"`
	Limit     int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

type listOutput struct {
	Body struct {
		Items      []*Case `json:"items"`
		NextCursor string  `json:"next_cursor,omitempty"`
	}
}

type leadInput struct{ Body LeadInput }

type simpleInput struct{ Body SimpleInput }

type commentInput struct {
	Case int64 `path:"case" minimum:"1"`
	Body struct {
		Comment string `json:"comment,omitempty" maxLength:"2000"`
	}
}

type intendInput struct {
	Case int64 `path:"case" minimum:"1"`
	Body IntendedInput
}

type actInput struct {
	Case int64 `path:"case" minimum:"1"`
	Body struct {
		Action  string `json:"action" enum:"request_hearing,hearing_held,to_review,to_decision,legal_pass,legal_return,to_collective,collective_done,delivered,paid,enforce,executed"`
		Comment string `json:"comment,omitempty" maxLength:"4000"`
		Waived  bool   `json:"waived,omitempty" doc:"The party waived 陈述申辩 in writing"`
	}
}

type statementInput struct {
	Case int64 `path:"case" minimum:"1"`
	Body StatementInput
}

type revisionInput struct {
	Case int64 `path:"case" minimum:"1"`
	Body RevisionInput
}

type decideInput struct {
	Case int64 `path:"case" minimum:"1"`
	Body DecideInput
}

type proposalOutput struct{ Body discretion.Proposal }

type extensionInput struct {
	Case int64 `path:"case" minimum:"1"`
	Body struct {
		Days       int    `json:"days" minimum:"1" maximum:"365"`
		Reason     string `json:"reason" maxLength:"2000"`
		Collective string `json:"collective,omitempty" maxLength:"500" doc:"The collective decision allowing more than 30 days"`
	}
}

type extensionDecisionInput struct {
	Case int64 `path:"case" minimum:"1"`
	Body struct {
		Extension int64  `json:"extension_id" minimum:"1"`
		Grant     bool   `json:"grant"`
		Days      int    `json:"days,omitempty" minimum:"0" maximum:"365"`
		Reason    string `json:"reason,omitempty" maxLength:"2000"`
	}
}

type extensionOutput struct{ Body *flow.Extension }

type historyOutput struct {
	Body struct {
		Steps      []Step           `json:"steps"`
		Evidence   []Evidence       `json:"evidence"`
		Extensions []flow.Extension `json:"extensions"`
	}
}

type evidenceInput struct {
	Case int64 `path:"case" minimum:"1"`
	Body struct {
		Name    string `json:"name" maxLength:"200"`
		MIME    string `json:"mime" maxLength:"60"`
		Note    string `json:"note,omitempty" maxLength:"500"`
		Content []byte `json:"content" doc:"The file, base64" maxLength:"28000000"`
	}
}

type evidenceOutput struct{ Body *Evidence }

var officers = []auth.Role{auth.RoleInspector, auth.RoleHandler, auth.RoleApprover, auth.RoleLegal}

func (m *Module) registerAPI(s *web.Server) {
	api := s.API()
	base := web.APIPrefix + "/enforcement"
	tags := []string{"enforcement"}
	lang := func(ctx context.Context) string { return i18n.LangFrom(ctx) }
	op := func(id, method, path, summary string, status int) huma.Operation {
		return huma.Operation{OperationID: id, Method: method, Path: base + path, Summary: summary, Tags: tags,
			Security: web.Secured(), DefaultStatus: status, Errors: []int{401, 403, 404, 409, 422}}
	}
	huma.Register(api, op("list-enforcement-cases", http.MethodGet, "/cases", "Penalty cases in scope, newest first (keyset paging)", 0),
		func(ctx context.Context, in *listInput) (*listOutput, error) {
			a, err := s.Actor(ctx)
			if err != nil {
				return nil, err
			}
			c, err := store.ParseCursor(in.Cursor)
			if err != nil {
				return nil, huma.Error422UnprocessableEntity("cursor: invalid")
			}
			items, next, err := m.List(ctx, a, ListFilter{Status: Status(in.Status), Procedure: Procedure(in.Procedure), Query: in.Q,
				Cursor: c, Limit: in.Limit})
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			m.decorate(ctx, lang(ctx), items...)
			out := &listOutput{}
			out.Body.Items = items
			if out.Body.Items == nil {
				out.Body.Items = []*Case{}
			}
			if !next.IsZero() {
				out.Body.NextCursor = next.String()
			}
			return out, nil
		})
	huma.Register(api, op("create-enforcement-lead", http.MethodPost, "/leads", "Record a lead (线索); its check runs 15 working days. "+
		"The answer says whether the violation is past the limitation period (time_barred).", http.StatusCreated),
		func(ctx context.Context, in *leadInput) (*caseOutput, error) {
			a, err := s.Actor(ctx, auth.RoleInspector, auth.RoleHandler)
			if err != nil {
				return nil, err
			}
			c, err := m.CreateLead(ctx, a, in.Body)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &caseOutput{Body: c}, nil
		})
	huma.Register(api, op("create-enforcement-simple", http.MethodPost, "/simple", "Decide on the spot (简易程序): a warning, or a fine "+
		"up to 200 yuan for a person and 3,000 yuan for an organisation", http.StatusCreated),
		func(ctx context.Context, in *simpleInput) (*caseOutput, error) {
			a, err := s.Actor(ctx, auth.RoleInspector, auth.RoleHandler)
			if err != nil {
				return nil, err
			}
			c, err := m.Simple(ctx, a, in.Body)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &caseOutput{Body: c}, nil
		})
	huma.Register(api, op("get-enforcement-case", http.MethodGet, "/cases/{case}", "A penalty case with its time left", 0),
		func(ctx context.Context, in *caseInput) (*caseOutput, error) {
			a, err := s.Actor(ctx)
			if err != nil {
				return nil, err
			}
			c, err := m.Get(ctx, a, in.Case, lang(ctx))
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &caseOutput{Body: c}, nil
		})
	huma.Register(api, op("get-enforcement-history", http.MethodGet, "/cases/{case}/history", "The steps, evidence and extensions of a case", 0),
		func(ctx context.Context, in *caseInput) (*historyOutput, error) {
			a, err := s.Actor(ctx, officers...)
			if err != nil {
				return nil, err
			}
			out := &historyOutput{}
			if out.Body.Steps, err = m.History(ctx, a, in.Case, lang(ctx)); err != nil {
				return nil, s.Problem(ctx, err)
			}
			if out.Body.Evidence, err = m.EvidenceOf(ctx, a, in.Case); err != nil {
				return nil, s.Problem(ctx, err)
			}
			if out.Body.Extensions, err = m.Extensions(ctx, a, in.Case); err != nil {
				return nil, s.Problem(ctx, err)
			}
			return out, nil
		})
	huma.Register(api, op("get-enforcement-proposal", http.MethodGet, "/cases/{case}/proposal", "The discretion engine's proposal "+
		"(level, range in fen, trace) for the case's facts", 0),
		func(ctx context.Context, in *caseInput) (*proposalOutput, error) {
			a, err := s.Actor(ctx, officers...)
			if err != nil {
				return nil, err
			}
			p, err := m.Propose(ctx, a, in.Case, nil)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &proposalOutput{Body: p}, nil
		})
	huma.Register(api, op("open-enforcement-case", http.MethodPost, "/cases/{case}/open", "Approve opening the case (立案); the 90 days start", 0),
		func(ctx context.Context, in *commentInput) (*caseOutput, error) {
			a, err := s.Actor(ctx, auth.RoleApprover)
			if err != nil {
				return nil, err
			}
			c, err := m.OpenCase(ctx, a, in.Case, in.Body.Comment)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &caseOutput{Body: c}, nil
		})
	huma.Register(api, op("decline-enforcement-case", http.MethodPost, "/cases/{case}/decline", "Do not open a case (不予立案), with the reason", 0),
		func(ctx context.Context, in *commentInput) (*caseOutput, error) {
			a, err := s.Actor(ctx, auth.RoleApprover)
			if err != nil {
				return nil, err
			}
			c, err := m.Decline(ctx, a, in.Case, in.Body.Comment)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &caseOutput{Body: c}, nil
		})
	huma.Register(api, op("intend-enforcement-penalty", http.MethodPost, "/cases/{case}/intended", "Settle the intended penalty "+
		"against the proposal (a departure needs departure_reason; 不予处罚 needs education) and give notice", 0),
		func(ctx context.Context, in *intendInput) (*caseOutput, error) {
			a, err := s.Actor(ctx, auth.RoleInspector, auth.RoleHandler)
			if err != nil {
				return nil, err
			}
			c, err := m.Intend(ctx, a, in.Case, in.Body)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &caseOutput{Body: c}, nil
		})
	huma.Register(api, op("record-enforcement-statement", http.MethodPost, "/cases/{case}/statements", "Record the party's "+
		"statement and defence (陈述、申辩) after prior notice", 0),
		func(ctx context.Context, in *statementInput) (*caseOutput, error) {
			a, err := s.Actor(ctx, auth.RoleInspector, auth.RoleHandler)
			if err != nil {
				return nil, err
			}
			c, err := m.RecordStatement(ctx, a, in.Case, in.Body)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &caseOutput{Body: c}, nil
		})
	huma.Register(api, op("revise-enforcement-penalty", http.MethodPost, "/cases/{case}/revision", "Revise the intended penalty "+
		"after reviewing the party's statement and defence; never heavier (行政处罚法第四十五条第二款: 422 and nothing stored); "+
		"the notice of the result to the party is recorded", 0),
		func(ctx context.Context, in *revisionInput) (*caseOutput, error) {
			a, err := s.Actor(ctx, auth.RoleInspector, auth.RoleHandler)
			if err != nil {
				return nil, err
			}
			c, err := m.Revise(ctx, a, in.Case, in.Body)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &caseOutput{Body: c}, nil
		})
	huma.Register(api, op("act-enforcement-case", http.MethodPost, "/cases/{case}/actions", "Take a step of the procedure", 0),
		func(ctx context.Context, in *actInput) (*caseOutput, error) {
			a, err := s.Actor(ctx, officers...)
			if err != nil {
				return nil, err
			}
			c, err := m.Act(ctx, a, in.Case, in.Body.Action, in.Body.Comment, in.Body.Waived)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &caseOutput{Body: c}, nil
		})
	huma.Register(api, op("decide-enforcement-case", http.MethodPost, "/cases/{case}/decision", "Decide (heavy decisions after legal "+
		"review and, where required, collective discussion)", 0),
		func(ctx context.Context, in *decideInput) (*caseOutput, error) {
			a, err := s.Actor(ctx, auth.RoleApprover)
			if err != nil {
				return nil, err
			}
			c, err := m.Decide(ctx, a, in.Case, in.Body)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &caseOutput{Body: c}, nil
		})
	huma.Register(api, op("add-enforcement-evidence", http.MethodPost, "/cases/{case}/evidence", "Add evidence, stored by SHA-256 "+
		"and entered in the audit log", http.StatusCreated),
		func(ctx context.Context, in *evidenceInput) (*evidenceOutput, error) {
			a, err := s.Actor(ctx, auth.RoleInspector, auth.RoleHandler)
			if err != nil {
				return nil, err
			}
			e, err := m.AddEvidence(ctx, a, in.Case, in.Body.Name, in.Body.MIME, in.Body.Note, in.Body.Content)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &evidenceOutput{Body: e}, nil
		})
	huma.Register(api, op("request-enforcement-extension", http.MethodPost, "/cases/{case}/extensions", "Ask for more time: a "+
		"lead's check (working days) or the decision (days; past 30 only with a collective decision)", http.StatusCreated),
		func(ctx context.Context, in *extensionInput) (*extensionOutput, error) {
			a, err := s.Actor(ctx, auth.RoleInspector, auth.RoleHandler)
			if err != nil {
				return nil, err
			}
			x, err := m.RequestExtension(ctx, a, in.Case, in.Body.Days, in.Body.Reason, in.Body.Collective)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &extensionOutput{Body: x}, nil
		})
	huma.Register(api, op("decide-enforcement-extension", http.MethodPost, "/cases/{case}/extension-decisions", "Grant or refuse an extension", 0),
		func(ctx context.Context, in *extensionDecisionInput) (*extensionOutput, error) {
			a, err := s.Actor(ctx, auth.RoleApprover)
			if err != nil {
				return nil, err
			}
			x, err := m.DecideExtension(ctx, a, in.Case, in.Body.Extension, in.Body.Grant, in.Body.Days, in.Body.Reason)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &extensionOutput{Body: x}, nil
		})
}
