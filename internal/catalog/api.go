package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/web"
)

type listInput struct {
	Q            string `query:"q" maxLength:"100" doc:"Words in the name, code, department, legal basis, conditions or materials"`
	DepartmentID int64  `query:"department_id" minimum:"0"`
	Type         string `query:"type" enum:"licensing,confirmation,payment,adjudication,reward,collection,filing,other_power,public_service,"`
	Region       string `query:"region" pattern:"^([0-9]{6})?$" doc:"GB/T 2260 code; items owned within it"`
	Online       string `query:"online" enum:"true,false," doc:"Only items that may (true) or may not (false) be applied for online"`
	Instant      string `query:"instant" enum:"true,false," doc:"Only on-the-spot items (true) or promised-limit items (false)"`
	Limit        int    `query:"limit" minimum:"1" maximum:"200" default:"20"`
	Offset       int    `query:"offset" minimum:"0" default:"0"`
}

type listOutput struct {
	Body struct {
		Items []*Item `json:"items"`
		Total int     `json:"total"`
	}
}

type codeInput struct {
	Code    string `path:"code" maxLength:"40"`
	Version int    `query:"version" minimum:"0" doc:"A published version; 0 means the current one"`
}

type itemOutput struct{ Body *Item }

type createInput struct {
	Body Draft
}

type updateInput struct {
	Code   string `path:"code" maxLength:"40"`
	DryRun bool   `query:"dry_run" doc:"Only compute the changes: nothing is saved"`
	Body   struct {
		Item       Draft `json:"item" doc:"The whole working copy: materials and fields must be listed, those left out are removed"`
		RowVersion int64 `json:"row_version,omitempty" doc:"The row_version read; a stale one is refused with 409"`
		// Emptying a list must be said, so that a client leaving it out
		// (or sending null) never removes every material by accident.
		ClearMaterials bool `json:"clear_materials,omitempty" doc:"Must be true for an empty materials list to remove every material"`
		ClearFields    bool `json:"clear_fields,omitempty" doc:"Must be true for an empty fields list to remove every form field"`
	}
	RawBody []byte
}

type updateOutput struct {
	Body struct {
		Item
		Changes []Change `json:"changes" doc:"What the update changes (or would, with dry_run), field by field"`
		Saved   bool     `json:"saved"`
	}
}

// checkSets refuses an update whose body leaves out the materials or the
// fields of the item, or empties one without saying so.
func checkSets(raw []byte, d *Draft, clearMaterials, clearFields bool) error {
	var body struct {
		Item map[string]json.RawMessage `json:"item"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		return &FieldError{Path: "item", Message: "请求体不是有效的 JSON (the body is not valid JSON)"}
	}
	var p problems
	for _, c := range []struct {
		name  string
		n     int
		clear bool
	}{{"materials", len(d.Materials), clearMaterials}, {"fields", len(d.Fields), clearFields}} {
		v, ok := body.Item[c.name]
		switch {
		case !ok || string(v) == "null":
			p.Add("item."+c.name, "须列出全部%s，未列出的将被删除 (list every one of item.%s: those left out would be removed)",
				map[string]string{"materials": "材料", "fields": "表单字段"}[c.name], c.name)
		case c.n == 0 && !c.clear:
			p.Add("item."+c.name, "列表为空；如确要全部删除，请同时设置 clear_%s (an empty list needs clear_%s: true)", c.name, c.name)
		case c.n > 0 && c.clear:
			p.Add("clear_"+c.name, "clear_%s 与非空列表矛盾 (clear_%s contradicts a non-empty list)", c.name, c.name)
		}
	}
	return p.Err()
}

type publishInput struct {
	Code string `path:"code" maxLength:"40"`
	Body struct {
		RowVersion int64 `json:"row_version,omitempty"`
	}
}

type withdrawInput struct {
	Code string `path:"code" maxLength:"40"`
	Body struct {
		Reason string `json:"reason" minLength:"1" maxLength:"500"`
	}
}

func boolParam(s string) *bool {
	switch s {
	case "true":
		b := true
		return &b
	case "false":
		b := false
		return &b
	}
	return nil
}

func (m *Module) registerAPI(s *web.Server) {
	api := s.API()
	base := web.APIPrefix + "/catalog/items"
	huma.Register(api, huma.Operation{
		OperationID: "list-catalog-items", Method: http.MethodGet, Path: base,
		Summary: "Search the service-item catalogue", Tags: []string{"catalog"},
		Description: "Published items only, current versions, with optional filters. No sign-in needed.",
	}, func(ctx context.Context, in *listInput) (*listOutput, error) {
		items, total, err := m.List(ctx, Query{Q: in.Q, DepartmentID: in.DepartmentID, Type: ItemType(in.Type),
			RegionCode: in.Region, Online: boolParam(in.Online), Instant: boolParam(in.Instant), Limit: in.Limit, Offset: in.Offset})
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		out := &listOutput{}
		out.Body.Items, out.Body.Total = items, total
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-catalog-item", Method: http.MethodGet, Path: base + "/{code}",
		Summary: "A published service item", Tags: []string{"catalog"}, Errors: []int{404},
		Description: "The current published version, or the version asked for. Drafts and withdrawn items are not found.",
	}, func(ctx context.Context, in *codeInput) (*itemOutput, error) {
		var it *Item
		var err error
		if in.Version > 0 {
			it, err = m.Version(ctx, in.Code, in.Version)
		} else {
			it, err = m.Published(ctx, in.Code)
		}
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &itemOutput{Body: it}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-catalog-draft", Method: http.MethodGet, Path: web.APIPrefix + "/catalog/drafts/{code}",
		Summary: "The working copy of an item", Tags: []string{"catalog"}, Security: web.Secured(), Errors: []int{401, 404},
		Description: "With unpublished edits; staff within the item's scope only.",
	}, func(ctx context.Context, in *codeInput) (*itemOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		it, err := m.WorkingByCode(ctx, a, in.Code)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &itemOutput{Body: it}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "create-catalog-item", Method: http.MethodPost, Path: base, DefaultStatus: http.StatusCreated,
		Summary: "Create a draft item", Tags: []string{"catalog"}, Security: web.Secured(), Errors: []int{401, 403, 409, 422},
		Description: "Administrators of the department's region or the department's approvers.",
	}, func(ctx context.Context, in *createInput) (*web.Created[*Item], error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		it, err := m.Create(ctx, a, in.Body)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &web.Created[*Item]{Location: web.Location("/catalog/drafts", it.Code), Body: it}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "update-catalog-item", Method: http.MethodPut, Path: base + "/{code}",
		Summary: "Replace an item's working copy", Tags: []string{"catalog"}, Security: web.Secured(), Errors: []int{401, 403, 404, 409, 422},
		Description: "Materials and form fields are replaced as given: both lists must be present (an empty one needs clear_materials or clear_fields). " +
			"With dry_run the changes are returned and nothing is saved. The working copy replaced is kept as a revision and can be restored. " +
			"The public see the change only after publishing.",
	}, func(ctx context.Context, in *updateInput) (*updateOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		id, err := m.idOf(ctx, in.Code)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		old, err := m.Working(ctx, a, id)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		d := in.Body.Item
		if err := checkSets(in.RawBody, &d, in.Body.ClearMaterials, in.Body.ClearFields); err != nil {
			return nil, s.Problem(ctx, err)
		}
		out := &updateOutput{}
		if in.DryRun {
			if err := m.d.Policy.Authorize(a, auth.ActAct, object(old.RegionCode, old.DepartmentID)); err != nil {
				return nil, s.Problem(ctx, err)
			}
			if in.Body.RowVersion != 0 && in.Body.RowVersion != old.RowVersion {
				return nil, s.Problem(ctx, fmt.Errorf("%w: item %d changed since it was read", ErrConflict, id))
			}
			next := *old
			next.Draft = d
			next.DepartmentName = m.departmentName(ctx, d.DepartmentID)
			out.Body.Item, out.Body.Changes = *old, Diff(old, &next)
			return out, nil
		}
		it, err := m.Update(ctx, a, id, d, in.Body.RowVersion)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		out.Body.Item, out.Body.Changes, out.Body.Saved = *it, Diff(old, it), true
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "publish-catalog-item", Method: http.MethodPost, Path: base + "/{code}/publish",
		Summary: "Publish an item", Tags: []string{"catalog"}, Security: web.Secured(), Errors: []int{401, 403, 404, 409, 422},
		Description: "Freezes the working copy as the next immutable version.",
	}, func(ctx context.Context, in *publishInput) (*itemOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		id, err := m.idOf(ctx, in.Code)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		it, err := m.Publish(ctx, a, id, in.Body.RowVersion)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &itemOutput{Body: it}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "withdraw-catalog-item", Method: http.MethodPost, Path: base + "/{code}/withdraw",
		Summary: "Withdraw an item", Tags: []string{"catalog"}, Security: web.Secured(), Errors: []int{401, 403, 404, 409, 422},
		DefaultStatus: http.StatusNoContent,
		Description:   "Stops offering a published item; its versions stay readable.",
	}, func(ctx context.Context, in *withdrawInput) (*struct{}, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		id, err := m.idOf(ctx, in.Code)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		if err := m.Withdraw(ctx, a, id, in.Body.Reason); err != nil {
			return nil, s.Problem(ctx, err)
		}
		return nil, nil
	})
}
