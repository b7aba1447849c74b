package visit

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
)

// APIVisit is a visit as the API shows it.
type APIVisit struct {
	ID               int64         `json:"id"`
	USCC             string        `json:"uscc"`
	Name             string        `json:"name,omitempty"`
	LeadDepartmentID int64         `json:"lead_department_id"`
	Joint            bool          `json:"joint"`
	WindowFrom       string        `json:"window_from" doc:"YYYY-MM-DD"`
	WindowTo         string        `json:"window_to" doc:"YYYY-MM-DD: the visit is due by this day"`
	Status           string        `json:"status" enum:"assigned,completed,published,overdue"`
	CompletedOn      string        `json:"completed_on,omitempty"`
	PublishDueOn     string        `json:"publish_due_on,omitempty" doc:"The results must be published by this day (20 working days after completion by default)"`
	PublishedOn      string        `json:"published_on,omitempty"`
	Items            []APIItem     `json:"items"`
	Evidence         []APIEvidence `json:"evidence,omitempty"`
}

// APIItem is one item of a visit.
type APIItem struct {
	ID           int64    `json:"id"`
	ItemCode     string   `json:"item_code"`
	ItemName     string   `json:"item_name"`
	DepartmentID int64    `json:"department_id"`
	Department   string   `json:"department"`
	Key          bool     `json:"key_item"`
	Checklist    []string `json:"checklist"`
	Result       string   `json:"result,omitempty" doc:"A standard result code"`
	Note         string   `json:"note,omitempty"`
}

// APIEvidence is one piece of evidence, by hash.
type APIEvidence struct {
	Kind   string `json:"kind"`
	SHA256 string `json:"sha256"`
	Size   int    `json:"size"`
}

type visitIn struct {
	ID int64 `path:"visit" minimum:"1"`
}

type listIn struct {
	Cursor string `query:"cursor" maxLength:"42" doc:"The next_cursor of the previous page"`
	Limit  int    `query:"limit" minimum:"0" maximum:"200"`
	Status string `query:"status" maxLength:"20" doc:"Only visits in this status: assigned, completed, published or overdue"`
}

type listOut struct {
	Body struct {
		Items      []APIVisit `json:"items"`
		NextCursor string     `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last"`
	}
}

type visitOut struct{ Body APIVisit }

type resultIn struct {
	ID   int64 `path:"visit" minimum:"1"`
	Body struct {
		IdempotencyKey string `json:"idempotency_key" maxLength:"100" doc:"Chosen by the client per submission; sending it again changes nothing"`
		ItemID         int64  `json:"item_id" minimum:"1"`
		Result         string `json:"result" enum:"ok,corrected,followup,undisclosed,uncooperative,unreachable,closed"`
		Note           string `json:"note,omitempty" maxLength:"2000"`
	}
}

type completeIn struct {
	ID   int64 `path:"visit" minimum:"1"`
	Body struct {
		IdempotencyKey string `json:"idempotency_key" maxLength:"100"`
	}
}

type outcomeOut struct {
	Body struct {
		Replayed    bool `json:"replayed" doc:"The key was seen before: nothing changed"`
		Unreachable bool `json:"unreachable,omitempty"`
	}
}

func (m *Module) apiVisit(ctx context.Context, v *Visit) APIVisit {
	out := APIVisit{ID: v.ID, USCC: v.USCC, LeadDepartmentID: v.LeadDepartmentID, Joint: v.Joint,
		WindowFrom: v.WindowFrom.In(calendar.CST).Format(calendar.DateLayout), WindowTo: v.WindowTo.In(calendar.CST).Format(calendar.DateLayout), Status: v.Status,
		CompletedOn: v.CompletedOn, PublishDueOn: v.PublishDueOn, PublishedOn: v.PublishedOn, Items: []APIItem{}}
	if e, err := m.d.Register.Get(ctx, auth.System(), v.USCC); err == nil {
		out.Name = e.Name
	}
	for _, it := range v.Items {
		out.Items = append(out.Items, APIItem{ID: it.ID, ItemCode: it.ItemCode, ItemName: it.ItemName, DepartmentID: it.DepartmentID,
			Department: m.d.Org.DepartmentName(ctx, it.DepartmentID), Key: it.Key, Checklist: append([]string{}, it.Checklist...),
			Result: it.Result, Note: it.Note})
	}
	if ev, err := m.d.Service.EvidenceOf(ctx, m.d.DB, v.ID); err == nil {
		for _, e := range ev {
			out.Evidence = append(out.Evidence, APIEvidence{Kind: e.Kind, SHA256: e.SHA256, Size: e.Size})
		}
	}
	return out
}

func (m *Module) registerAPI(s *web.Server) {
	api := s.API()
	base := web.APIPrefix + "/visits"
	tags := []string{"visit"}
	op := func(id, method, path, summary, desc string, errs ...int) huma.Operation {
		return huma.Operation{OperationID: id, Method: method, Path: base + path, Summary: summary, Description: desc, Tags: tags,
			Errors: errs, Security: web.Secured()}
	}
	huma.Register(api, op("list-visits", http.MethodGet, "", "The caller's inspection visits (我的检查任务)",
		"An inspector's own visits, a head's or legal reviewer's departments' visits, ordered by due date; keyset-paginated.", 401, 422),
		func(ctx context.Context, in *listIn) (*listOut, error) {
			a, err := s.Actor(ctx)
			if err != nil {
				return nil, err
			}
			c, err := store.ParseCursor(in.Cursor)
			if err != nil {
				return nil, huma.Error422UnprocessableEntity("bad cursor")
			}
			list, pg, err := m.List(ctx, a, in.Status, c, in.Limit)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			out := &listOut{}
			out.Body.Items = []APIVisit{}
			for _, l := range list {
				v, err := m.Get(ctx, a, l.ID)
				if err != nil {
					return nil, s.Problem(ctx, err)
				}
				out.Body.Items = append(out.Body.Items, m.apiVisit(ctx, v))
			}
			out.Body.NextCursor = pg.Next.String()
			return out, nil
		})
	huma.Register(api, op("get-visit", http.MethodGet, "/{visit}", "A visit with its items, results and evidence hashes",
		"To its inspectors and its departments' heads and legal reviewers; 404 otherwise.", 401, 404),
		func(ctx context.Context, in *visitIn) (*visitOut, error) {
			a, err := s.Actor(ctx)
			if err != nil {
				return nil, err
			}
			v, err := m.Get(ctx, a, in.ID)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &visitOut{Body: m.apiVisit(ctx, v)}, nil
		})
	huma.Register(api, op("record-visit-result", http.MethodPost, "/{visit}/results", "Record one item's result",
		"By one of the visit's inspectors, while it is open. A key seen before changes nothing (replayed: true), so a phone may "+
			"re-send its queue.", 401, 404, 422),
		func(ctx context.Context, in *resultIn) (*outcomeOut, error) {
			a, err := s.Actor(ctx)
			if err != nil {
				return nil, err
			}
			o, err := m.RecordResult(ctx, a, in.ID, in.Body.IdempotencyKey, ItemResult{ItemID: in.Body.ItemID, Result: in.Body.Result, Note: in.Body.Note})
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			out := &outcomeOut{}
			out.Body.Replayed, out.Body.Unreachable = o.Replayed, o.Unreachable
			return out, nil
		})
	huma.Register(api, op("complete-visit", http.MethodPost, "/{visit}/completion", "Complete a visit",
		"With the results recorded for every item; starts the publication limit. A key seen before changes nothing.", 401, 404, 422),
		func(ctx context.Context, in *completeIn) (*outcomeOut, error) {
			a, err := s.Actor(ctx)
			if err != nil {
				return nil, err
			}
			o, err := m.Complete(ctx, a, in.ID, in.Body.IdempotencyKey)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			out := &outcomeOut{}
			out.Body.Replayed, out.Body.Unreachable = o.Replayed, o.Unreachable
			return out, nil
		})
	huma.Register(api, op("publish-visit", http.MethodPost, "/{visit}/publication", "Publish a completed visit's results",
		"By a head or legal reviewer of the lead department: the results go into the business's public and credit file "+
			"(an unreachable business onto the abnormal list).", 401, 404, 409),
		func(ctx context.Context, in *visitIn) (*visitOut, error) {
			a, err := s.Actor(ctx)
			if err != nil {
				return nil, err
			}
			v, err := m.Publish(ctx, a, in.ID)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &visitOut{Body: m.apiVisit(ctx, v)}, nil
		})
}
