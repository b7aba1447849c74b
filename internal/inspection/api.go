package inspection

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/web"
)

type idInput struct {
	ID int64 `path:"id" minimum:"1"`
}

type pageInput struct {
	Cursor int64 `query:"cursor" minimum:"0" doc:"The next_cursor of the previous page"`
	Limit  int   `query:"limit" minimum:"0" maximum:"200"`
}

type listBody[T any] struct {
	Items      []T   `json:"items"`
	NextCursor int64 `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last"`
}

type listOutput[T any] struct{ Body listBody[T] }

type body[T any] struct{ Body T }

type itemInput struct {
	Body ItemInput
}

type itemUpdate struct {
	ID   int64 `path:"id" minimum:"1"`
	Body ItemInput
}

type inspectorInput struct{ Body InspectorInput }

type taskInput struct{ Body TaskInput }

type commitInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body CommitInput
}

type revealInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body RevealInput
}

type drawnOutput struct {
	Location string `header:"Location"`
	Body     struct {
		DrawID int64 `json:"draw_id"`
	}
}

func (m *Module) registerAPI(s *web.Server) {
	api := s.API()
	base := web.APIPrefix + "/inspections"
	tags := []string{"inspection"}
	staff := func(ctx context.Context) (*auth.Actor, error) { return s.Actor(ctx) }
	op := func(id, method, path, summary, desc string, public bool, errs ...int) huma.Operation {
		o := huma.Operation{OperationID: id, Method: method, Path: base + path, Summary: summary, Description: desc, Tags: tags,
			Errors: errs}
		if !public {
			o.Security = web.Secured()
		}
		return o
	}

	// Public: the draws and the published items.
	huma.Register(api, op("list-inspection-draws", http.MethodGet, "/draws", "Published 双随机 draws",
		"Newest first, keyset-paginated. Public.", true, 422),
		func(ctx context.Context, in *pageInput) (*listOutput[DrawSummary], error) {
			list, next, err := m.Draws(ctx, in.Cursor, in.Limit)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &listOutput[DrawSummary]{Body: listBody[DrawSummary]{Items: list, NextCursor: next}}, nil
		})
	huma.Register(api, op("get-inspection-draw", http.MethodGet, "/draws/{id}", "A published draw, to recompute",
		"task_id, pool [{code, class}] sorted by code, pool_hash, participants [{name, commitment, secret}], seed, ratios, "+
			"selected [{code, class, score, inspectors}]; alongside, for the inspector draw: department, joint_ref, "+
			"inspectors_per_business, inspector_pool [{code, department}], avoidance_conflicts [{inspector, code}] and "+
			"avoidance_previous [{code, inspectors}]. `yingshang inspection verify-draw FILE` recomputes it. Public.", true, 404),
		func(ctx context.Context, in *idInput) (*body[Draw], error) {
			d, err := m.GetDraw(ctx, in.ID)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &body[Draw]{Body: *d}, nil
		})
	huma.Register(api, op("list-inspection-commitments", http.MethodGet, "/commitments", "Commitments of draws to come",
		"Tasks not yet drawn with their participants' commitments and, once frozen, the pool hash. Public.", true),
		func(ctx context.Context, _ *struct{}) (*listOutput[Pending], error) {
			list, err := m.PendingDraws(ctx, 50)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &listOutput[Pending]{Body: listBody[Pending]{Items: list}}, nil
		})
	huma.Register(api, op("list-public-inspection-items", http.MethodGet, "/public-items", "The published inspection items (抽查事项清单)",
		"Of every department. Public.", true, 422),
		func(ctx context.Context, in *pageInput) (*listOutput[Item], error) {
			list, next, err := m.Items(ctx, nil, true, in.Cursor, in.Limit)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &listOutput[Item]{Body: listBody[Item]{Items: list, NextCursor: next}}, nil
		})

	// Staff: items.
	huma.Register(api, op("list-inspection-items", http.MethodGet, "/items", "Inspection items of the caller's departments",
		"Drafts and published.", false, 401, 422),
		func(ctx context.Context, in *pageInput) (*listOutput[Item], error) {
			a, err := staff(ctx)
			if err != nil {
				return nil, err
			}
			list, next, err := m.Items(ctx, a, false, in.Cursor, in.Limit)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &listOutput[Item]{Body: listBody[Item]{Items: list, NextCursor: next}}, nil
		})
	create := op("create-inspection-item", http.MethodPost, "/items", "Add a draft inspection item",
		"Handlers and approvers of the department.", false, 401, 404, 422)
	create.DefaultStatus = http.StatusCreated
	huma.Register(api, create, func(ctx context.Context, in *itemInput) (*web.Created[Item], error) {
		a, err := staff(ctx)
		if err != nil {
			return nil, err
		}
		it, err := m.CreateItem(ctx, a, in.Body)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &web.Created[Item]{Location: web.Location("/inspections/items", it.ID), Body: *it}, nil
	})
	huma.Register(api, op("get-inspection-item", http.MethodGet, "/items/{id}", "An inspection item",
		"A published item to anyone signed in, a draft to its department's staff.", false, 401, 404),
		func(ctx context.Context, in *idInput) (*body[Item], error) {
			a, err := staff(ctx)
			if err != nil {
				return nil, err
			}
			it, err := m.GetItem(ctx, a, in.ID)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &body[Item]{Body: *it}, nil
		})
	huma.Register(api, op("update-inspection-item", http.MethodPut, "/items/{id}", "Edit a draft item",
		"The code stays; a published item is not edited (409).", false, 401, 404, 409, 422),
		func(ctx context.Context, in *itemUpdate) (*body[Item], error) {
			a, err := staff(ctx)
			if err != nil {
				return nil, err
			}
			it, err := m.UpdateItem(ctx, a, in.ID, in.Body)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &body[Item]{Body: *it}, nil
		})
	huma.Register(api, op("publish-inspection-item", http.MethodPost, "/items/{id}/publication", "Publish a draft item",
		"", false, 401, 404, 409),
		func(ctx context.Context, in *idInput) (*body[Item], error) {
			a, err := staff(ctx)
			if err != nil {
				return nil, err
			}
			it, err := m.PublishItem(ctx, a, in.ID)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &body[Item]{Body: *it}, nil
		})

	// Staff: inspectors.
	huma.Register(api, op("list-inspection-inspectors", http.MethodGet, "/inspectors", "The inspector directory (执法检查人员名录库)",
		"Of the caller's departments.", false, 401, 422),
		func(ctx context.Context, in *pageInput) (*listOutput[Inspector], error) {
			a, err := staff(ctx)
			if err != nil {
				return nil, err
			}
			list, next, err := m.Inspectors(ctx, a, in.Cursor, in.Limit)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &listOutput[Inspector]{Body: listBody[Inspector]{Items: list, NextCursor: next}}, nil
		})
	huma.Register(api, op("put-inspection-inspector", http.MethodPost, "/inspectors", "Enter or replace an inspector",
		"By user account (an 执法人员 of the department): 执法证 number and validity, specialities, availability, declared "+
			"conflicts. An expired 执法证 or unavailability keeps the inspector out of draws.", false, 401, 404, 422),
		func(ctx context.Context, in *inspectorInput) (*body[Inspector], error) {
			a, err := staff(ctx)
			if err != nil {
				return nil, err
			}
			x, err := m.PutInspector(ctx, a, in.Body)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &body[Inspector]{Body: *x}, nil
		})
	huma.Register(api, op("get-inspection-inspector", http.MethodGet, "/inspectors/{id}", "An inspector's entry", "", false, 401, 404),
		func(ctx context.Context, in *idInput) (*body[Inspector], error) {
			a, err := staff(ctx)
			if err != nil {
				return nil, err
			}
			x, err := m.GetInspector(ctx, a, in.ID)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &body[Inspector]{Body: *x}, nil
		})

	// Staff: tasks and the draw.
	huma.Register(api, op("list-inspection-tasks", http.MethodGet, "/tasks", "Draw tasks", "Newest first.", false, 401, 422),
		func(ctx context.Context, in *pageInput) (*listOutput[Task], error) {
			a, err := staff(ctx)
			if err != nil {
				return nil, err
			}
			list, next, err := m.Tasks(ctx, a, in.Cursor, in.Limit)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &listOutput[Task]{Body: listBody[Task]{Items: list, NextCursor: next}}, nil
		})
	ct := op("create-inspection-task", http.MethodPost, "/tasks", "Plan a draw task",
		"Items (another department's only with a joint_ref), scope, window, ratios (the configured ones by default; above "+
			"them only when a 重点 item is included).", false, 401, 404, 422)
	ct.DefaultStatus = http.StatusCreated
	huma.Register(api, ct, func(ctx context.Context, in *taskInput) (*web.Created[Task], error) {
		a, err := staff(ctx)
		if err != nil {
			return nil, err
		}
		t, err := m.CreateTask(ctx, a, in.Body)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &web.Created[Task]{Location: web.Location("/inspections/tasks", t.ID), Body: *t}, nil
	})
	huma.Register(api, op("get-inspection-task", http.MethodGet, "/tasks/{id}", "A draw task", "", false, 401, 404),
		func(ctx context.Context, in *idInput) (*body[Task], error) {
			a, err := staff(ctx)
			if err != nil {
				return nil, err
			}
			t, err := m.GetTask(ctx, a, in.ID)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &body[Task]{Body: *t}, nil
		})
	huma.Register(api, op("commit-inspection-task", http.MethodPost, "/tasks/{id}/commitments", "Publish a commitment",
		"SHA-256 of the participant's secret, before the pool is frozen: the organiser's, a supervisor's, or (entered by the "+
			"organiser with witness and name) an outside witness's.", false, 401, 403, 404, 409, 422),
		func(ctx context.Context, in *commitInput) (*body[Task], error) {
			a, err := staff(ctx)
			if err != nil {
				return nil, err
			}
			t, err := m.Commit(ctx, a, in.ID, in.Body)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &body[Task]{Body: *t}, nil
		})
	huma.Register(api, op("freeze-inspection-task", http.MethodPost, "/tasks/{id}/freeze", "Freeze the pools",
		"The businesses in scope with their classes and the drawable inspectors are fixed and the pool hash published.",
		false, 401, 403, 404, 409, 422),
		func(ctx context.Context, in *idInput) (*body[Task], error) {
			a, err := staff(ctx)
			if err != nil {
				return nil, err
			}
			t, err := m.Freeze(ctx, a, in.ID)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &body[Task]{Body: *t}, nil
		})
	huma.Register(api, op("reveal-inspection-task", http.MethodPost, "/tasks/{id}/secrets", "Reveal a secret",
		"Refused (422 naming secret) when it does not match the commitment.", false, 401, 403, 404, 409, 422),
		func(ctx context.Context, in *revealInput) (*body[Task], error) {
			a, err := staff(ctx)
			if err != nil {
				return nil, err
			}
			t, err := m.Reveal(ctx, a, in.ID, in.Body)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &body[Task]{Body: *t}, nil
		})
	dr := op("draw-inspection-task", http.MethodPost, "/tasks/{id}/draw", "Draw and publish",
		"Once every secret is revealed: computes the draw, publishes it and hands the selection to the visit module.",
		false, 401, 403, 404, 409, 422)
	dr.DefaultStatus = http.StatusCreated
	huma.Register(api, dr, func(ctx context.Context, in *idInput) (*drawnOutput, error) {
		a, err := staff(ctx)
		if err != nil {
			return nil, err
		}
		id, err := m.RunDraw(ctx, a, in.ID)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		out := &drawnOutput{Location: web.Location("/inspections/draws", id)}
		out.Body.DrawID = id
		return out, nil
	})
}
