package policy

import (
	"context"
	"net/http"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/web"
)

type listInput struct {
	Status string `query:"status" enum:"draft,published,expired," doc:"empty: all"`
	Q      string `query:"q" maxLength:"100" doc:"Search in code and title"`
	Cursor string `query:"cursor" pattern:"^[0-9]*$" maxLength:"20"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

type listOutput struct {
	Body struct {
		Items      []*Policy `json:"items"`
		NextCursor string    `json:"next_cursor,omitempty"`
	}
}

type idInput struct {
	ID int64 `path:"id" minimum:"1"`
}

type policyOutput struct{ Body *Policy }

type createInput struct {
	Body Input
}

type updateInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body Input
}

type publishOutput struct {
	Body struct {
		Policy *Policy   `json:"policy"`
		Run    *RunStats `json:"run,omitempty"`
	}
}

type explainInput struct {
	ID   int64  `path:"id" minimum:"1"`
	USCC string `path:"uscc" maxLength:"18"`
}

type explanationOutput struct{ Body *Explanation }

type mineOutput struct {
	Body struct {
		Items []*Explanation `json:"items"`
	}
}

type matchesInput struct {
	ID     int64  `path:"id" minimum:"1"`
	Cursor string `query:"cursor" maxLength:"18" pattern:"^[0-9A-Z]*$"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

type matchesOutput struct {
	Body struct {
		Items      []Match `json:"items"`
		NextCursor string  `json:"next_cursor,omitempty"`
	}
}

type grantsInput struct {
	PolicyID int64  `query:"policy_id" minimum:"0"`
	Status   string `query:"status" enum:"publicity,granted,paid,refused,declined,"`
	Cursor   string `query:"cursor" pattern:"^[0-9]*$" maxLength:"20"`
	Limit    int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

type grantsOutput struct {
	Body struct {
		Items      []*Grant `json:"items"`
		NextCursor string   `json:"next_cursor,omitempty"`
	}
}

type grantOutput struct{ Body *Grant }

type applyOutput struct {
	Body struct {
		Grant       *Grant       `json:"grant,omitempty" doc:"Absent when the business does not qualify"`
		Explanation *Explanation `json:"explanation"`
	}
}

type objectInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Text string `json:"text" maxLength:"2000" doc:"The objection (异议)"`
	}
}

type answerInput struct {
	ID   int64 `path:"id" minimum:"1"`
	OID  int64 `path:"oid" minimum:"1"`
	Body struct {
		Answer string `json:"answer" maxLength:"2000"`
		Upheld bool   `json:"upheld" doc:"true: the objection stands and the grant is refused"`
	}
}

type payInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		PaidOn string `json:"paid_on,omitempty" doc:"YYYY-MM-DD; empty: today"`
	}
}

type declineInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Reason string `json:"reason,omitempty" maxLength:"500"`
	}
}

type accountInput struct {
	Body struct {
		Bank    string `json:"bank" maxLength:"100"`
		Account string `json:"account" maxLength:"40"`
	}
}

type accountOutput struct {
	Body struct {
		Bank    string `json:"bank"`
		Account string `json:"account" doc:"Masked"`
	}
}

type figuresOutput struct {
	Body struct {
		Items []Figure `json:"items"`
	}
}

type variablesOutput struct {
	Body struct {
		Items []VariableInfo `json:"items"`
	}
}

// Mount registers the API operations and pages.
func (m *Module) Mount(s *web.Server) error {
	m.registerAPI(s)
	return m.mountPages(s)
}

func (m *Module) registerAPI(s *web.Server) {
	api := s.API()
	base := web.APIPrefix + "/policies"
	gbase := web.APIPrefix + "/policy-grants"
	tags := []string{"policy"}
	reg := func(op huma.Operation) huma.Operation {
		op.Tags, op.Security = tags, web.Secured()
		return op
	}
	staff := append([]auth.Role{}, staffRoles...)
	issuers := []auth.Role{auth.RoleHandler, auth.RoleApprover}
	huma.Register(api, reg(huma.Operation{OperationID: "list-policies", Method: http.MethodGet, Path: base,
		Summary: "The policy library (惠企政策库)", Description: "Published policies for everyone signed in; drafts for their department. Newest first, keyset paging.",
		Errors: []int{401, 422}}), func(ctx context.Context, in *listInput) (*listOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		before, _ := strconv.ParseInt(in.Cursor, 10, 64)
		ps, err := m.List(ctx, a, Filter{Status: in.Status, Search: in.Q, Before: before, Limit: in.Limit})
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		out := &listOutput{}
		out.Body.Items = ps
		if len(ps) == in.Limit {
			out.Body.NextCursor = strconv.FormatInt(ps[len(ps)-1].ID, 10)
		}
		return out, nil
	})
	huma.Register(api, reg(huma.Operation{OperationID: "create-policy", Method: http.MethodPost, Path: base,
		Summary: "Create a draft policy", Description: "Each clause's rule is type-checked against the register's fact catalogue; a refused rule is a 422 naming the clause.",
		Errors: []int{401, 403, 422}}), func(ctx context.Context, in *createInput) (*policyOutput, error) {
		a, err := s.Actor(ctx, issuers...)
		if err != nil {
			return nil, err
		}
		p, err := m.Create(ctx, a, 0, in.Body)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &policyOutput{Body: p}, nil
	})
	huma.Register(api, reg(huma.Operation{OperationID: "policy-variables", Method: http.MethodGet, Path: base + "/variables",
		Summary: "What rules may read: the register's fields, facts, credit, certificates, grants", Errors: []int{401}}),
		func(ctx context.Context, _ *struct{}) (*variablesOutput, error) {
			if _, err := s.Actor(ctx); err != nil {
				return nil, err
			}
			vs, err := m.Variables()
			if err != nil {
				return nil, err
			}
			out := &variablesOutput{}
			out.Body.Items = vs
			return out, nil
		})
	huma.Register(api, reg(huma.Operation{OperationID: "policy-figures", Method: http.MethodGet, Path: base + "/figures",
		Summary: "Businesses reached, granted, amounts and days from publication to payment, per policy", Errors: []int{401, 403}}),
		func(ctx context.Context, _ *struct{}) (*figuresOutput, error) {
			a, err := s.Actor(ctx, staff...)
			if err != nil {
				return nil, err
			}
			figs, err := m.Figures(ctx, a)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			out := &figuresOutput{}
			out.Body.Items = figs
			return out, nil
		})
	huma.Register(api, reg(huma.Operation{OperationID: "my-policies", Method: http.MethodGet, Path: base + "/mine",
		Summary: "The policy calculator (政策计算器): every published policy for the caller's business, with its explanation",
		Errors:  []int{401, 403}}), func(ctx context.Context, _ *struct{}) (*mineOutput, error) {
		a, err := s.Actor(ctx, auth.RoleEnterprise)
		if err != nil {
			return nil, err
		}
		xs, err := m.Mine(ctx, a)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		out := &mineOutput{}
		out.Body.Items = xs
		return out, nil
	})
	huma.Register(api, reg(huma.Operation{OperationID: "get-policy-account", Method: http.MethodGet, Path: base + "/account",
		Summary: "The bank account on file of the caller's business (masked)", Errors: []int{401, 403}}),
		func(ctx context.Context, _ *struct{}) (*accountOutput, error) {
			a, err := s.Actor(ctx, auth.RoleEnterprise)
			if err != nil {
				return nil, err
			}
			out := &accountOutput{}
			if out.Body.Bank, out.Body.Account, err = m.Account(ctx, a); err != nil {
				return nil, s.Problem(ctx, err)
			}
			return out, nil
		})
	huma.Register(api, reg(huma.Operation{OperationID: "put-policy-account", Method: http.MethodPut, Path: base + "/account",
		Summary: "Record the bank account grants are paid to", Errors: []int{401, 403, 422}}),
		func(ctx context.Context, in *accountInput) (*accountOutput, error) {
			a, err := s.Actor(ctx, auth.RoleEnterprise)
			if err != nil {
				return nil, err
			}
			if err := m.SetAccount(ctx, a, in.Body.Bank, in.Body.Account); err != nil {
				return nil, s.Problem(ctx, err)
			}
			out := &accountOutput{}
			out.Body.Bank, out.Body.Account, _ = m.Account(ctx, a)
			return out, nil
		})
	huma.Register(api, reg(huma.Operation{OperationID: "get-policy", Method: http.MethodGet, Path: base + "/{id}",
		Summary: "A policy", Errors: []int{401, 404}}), func(ctx context.Context, in *idInput) (*policyOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		p, err := m.Get(ctx, a, in.ID)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &policyOutput{Body: p}, nil
	})
	huma.Register(api, reg(huma.Operation{OperationID: "update-policy", Method: http.MethodPut, Path: base + "/{id}",
		Summary: "Replace a draft (audited); a published policy never changes", Errors: []int{401, 403, 404, 409, 422}}),
		func(ctx context.Context, in *updateInput) (*policyOutput, error) {
			a, err := s.Actor(ctx, issuers...)
			if err != nil {
				return nil, err
			}
			p, err := m.Update(ctx, a, in.ID, in.Body)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &policyOutput{Body: p}, nil
		})
	huma.Register(api, reg(huma.Operation{OperationID: "publish-policy", Method: http.MethodPost, Path: base + "/{id}/publication",
		Summary: "Publish a draft: every business is matched, the eligible told; for 免申即享 their grants enter publicity",
		Errors:  []int{401, 403, 404, 409}}), func(ctx context.Context, in *idInput) (*publishOutput, error) {
		a, err := s.Actor(ctx, issuers...)
		if err != nil {
			return nil, err
		}
		p, st, err := m.Publish(ctx, a, in.ID)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		out := &publishOutput{}
		out.Body.Policy, out.Body.Run = p, st
		return out, nil
	})
	huma.Register(api, reg(huma.Operation{OperationID: "expire-policy", Method: http.MethodPost, Path: base + "/{id}/expiry",
		Summary: "End a published policy", Errors: []int{401, 403, 404, 409}}), func(ctx context.Context, in *idInput) (*policyOutput, error) {
		a, err := s.Actor(ctx, issuers...)
		if err != nil {
			return nil, err
		}
		p, err := m.Expire(ctx, a, in.ID)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &policyOutput{Body: p}, nil
	})
	huma.Register(api, reg(huma.Operation{OperationID: "explain-policy", Method: http.MethodGet, Path: base + "/{id}/explain/{uscc}",
		Summary: "Why a business does or does not qualify", Description: "Each clause's rule, the values it read (source department, as-of date) and whether it held; for a miss, what the business lacks. A business reads its own only.",
		Errors: []int{401, 404}}), func(ctx context.Context, in *explainInput) (*explanationOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		x, err := m.Explain(ctx, a, in.ID, in.USCC)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &explanationOutput{Body: x}, nil
	})
	huma.Register(api, reg(huma.Operation{OperationID: "policy-matches", Method: http.MethodGet, Path: base + "/{id}/matches",
		Summary: "The eligible and refused businesses of a policy, by code (keyset)", Errors: []int{401, 404}}),
		func(ctx context.Context, in *matchesInput) (*matchesOutput, error) {
			a, err := s.Actor(ctx, staff...)
			if err != nil {
				return nil, err
			}
			xs, err := m.Matches(ctx, a, in.ID, in.Cursor, in.Limit)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			out := &matchesOutput{}
			out.Body.Items = xs
			if len(xs) == in.Limit {
				out.Body.NextCursor = xs[len(xs)-1].USCC
			}
			return out, nil
		})
	huma.Register(api, reg(huma.Operation{OperationID: "apply-policy", Method: http.MethodPost, Path: base + "/{id}/application",
		Summary: "即申即享: apply in one step; decided by the rule at once", Errors: []int{401, 403, 404, 409}}),
		func(ctx context.Context, in *idInput) (*applyOutput, error) {
			a, err := s.Actor(ctx, auth.RoleEnterprise)
			if err != nil {
				return nil, err
			}
			g, x, err := m.Apply(ctx, a, in.ID)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			out := &applyOutput{}
			out.Body.Grant, out.Body.Explanation = g, x
			return out, nil
		})
	huma.Register(api, reg(huma.Operation{OperationID: "list-policy-grants", Method: http.MethodGet, Path: gbase,
		Summary: "Grants the caller may see: on publicity for everyone; a department its policies'; a business its own",
		Errors:  []int{401, 422}}), func(ctx context.Context, in *grantsInput) (*grantsOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		after, _ := strconv.ParseInt(in.Cursor, 10, 64)
		gs, err := m.Grants(ctx, a, GrantFilter{PolicyID: in.PolicyID, Status: in.Status, After: after, Limit: in.Limit})
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		out := &grantsOutput{}
		out.Body.Items = append([]*Grant{}, gs...)
		if len(gs) == in.Limit {
			out.Body.NextCursor = strconv.FormatInt(gs[len(gs)-1].ID, 10)
		}
		return out, nil
	})
	huma.Register(api, reg(huma.Operation{OperationID: "get-policy-grant", Method: http.MethodGet, Path: gbase + "/{id}",
		Summary: "A grant with its publicity and objections", Errors: []int{401, 404}}),
		func(ctx context.Context, in *idInput) (*grantOutput, error) {
			a, err := s.Actor(ctx)
			if err != nil {
				return nil, err
			}
			g, err := m.GetGrant(ctx, a, in.ID)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &grantOutput{Body: g}, nil
		})
	huma.Register(api, reg(huma.Operation{OperationID: "object-policy-grant", Method: http.MethodPost, Path: gbase + "/{id}/objections",
		Summary: "Object to a grant on publicity (异议); anyone signed in", Errors: []int{401, 404, 409, 422}}),
		func(ctx context.Context, in *objectInput) (*grantOutput, error) {
			a, err := s.Actor(ctx)
			if err != nil {
				return nil, err
			}
			g, err := m.Object(ctx, a, in.ID, in.Body.Text)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &grantOutput{Body: g}, nil
		})
	huma.Register(api, reg(huma.Operation{OperationID: "answer-policy-objection", Method: http.MethodPost,
		Path: gbase + "/{id}/objections/{oid}/answer", Summary: "Answer an objection; upheld refuses the grant",
		Errors: []int{401, 403, 404, 409, 422}}), func(ctx context.Context, in *answerInput) (*grantOutput, error) {
		a, err := s.Actor(ctx, issuers...)
		if err != nil {
			return nil, err
		}
		g, err := m.Answer(ctx, a, in.ID, in.OID, in.Body.Answer, in.Body.Upheld)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &grantOutput{Body: g}, nil
	})
	huma.Register(api, reg(huma.Operation{OperationID: "decide-policy-grant", Method: http.MethodPost, Path: gbase + "/{id}/decision",
		Summary: "Decide a grant after its publicity (信用核查 first); refused while an objection awaits its answer",
		Errors:  []int{401, 403, 404, 409}}), func(ctx context.Context, in *idInput) (*grantOutput, error) {
		a, err := s.Actor(ctx, issuers...)
		if err != nil {
			return nil, err
		}
		g, err := m.Decide(ctx, a, in.ID)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &grantOutput{Body: g}, nil
	})
	huma.Register(api, reg(huma.Operation{OperationID: "pay-policy-grant", Method: http.MethodPost, Path: gbase + "/{id}/payment",
		Summary: "Record the payment to the account on file", Errors: []int{401, 403, 404, 409, 422}}),
		func(ctx context.Context, in *payInput) (*grantOutput, error) {
			a, err := s.Actor(ctx, issuers...)
			if err != nil {
				return nil, err
			}
			g, err := m.Pay(ctx, a, in.ID, in.Body.PaidOn)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &grantOutput{Body: g}, nil
		})
	huma.Register(api, reg(huma.Operation{OperationID: "decline-policy-grant", Method: http.MethodPost, Path: gbase + "/{id}/declination",
		Summary: "The business declines a grant not yet paid", Errors: []int{401, 403, 404, 409, 422}}),
		func(ctx context.Context, in *declineInput) (*grantOutput, error) {
			a, err := s.Actor(ctx, auth.RoleEnterprise)
			if err != nil {
				return nil, err
			}
			g, err := m.Decline(ctx, a, in.ID, in.Body.Reason)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &grantOutput{Body: g}, nil
		})
}
