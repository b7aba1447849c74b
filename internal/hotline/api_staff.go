package hotline

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
)

type sendBackAPIInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body SendBackInput
}

type contributeAPIInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Opinion   string `json:"opinion" maxLength:"2000"`
		ReplyPart string `json:"reply_part,omitempty" maxLength:"2000"`
	}
}

type contributionsOutput struct {
	Body struct {
		Items []Contribution `json:"items"`
	}
}

type revealAPIInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Purpose string `json:"purpose" minLength:"2" maxLength:"200" doc:"Why the full number is needed; recorded in the audit log"`
	}
}

type relayOutput struct{ Body RelayBinding }

type revealOutput struct {
	Body struct {
		CallerPhone string `json:"caller_phone"`
	}
}

type pendingInput struct {
	Cursor string `query:"cursor" maxLength:"42" doc:"next_cursor of the page before; empty for the first page"`
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
}

// PendingExtensionItem is one request of the extension queue.
type PendingExtensionItem struct {
	ExtensionID int64  `json:"extension_id"`
	Days        int    `json:"days"`
	Reason      string `json:"reason"`
	RequestedBy string `json:"requested_by"`
	Status      string `json:"status" doc:"Always pending in this queue"`
	StatusName  string `json:"status_name" doc:"待审核"`
	TimeLeft    string `json:"time_left" doc:"Time left on the order's current deadline, as the pages say it"`
	Order       Order  `json:"order"`
}

type pendingOutput struct {
	Body struct {
		Items      []PendingExtensionItem `json:"items"`
		Total      int                    `json:"total"`
		NextCursor string                 `json:"next_cursor,omitempty"`
	}
}

// registerStaffAPI registers the operations of the co-handling parts, the
// extension queue and the administrator's reveal.
func (m *Module) registerStaffAPI(s *web.Server, op func(id, method, path, summary, desc string, errs ...int) huma.Operation,
	fail func(ctx context.Context, err error) error) {
	api := s.API()
	huma.Register(api, op("hotline-contributions", http.MethodGet, "/orders/{id}/contributions", "Co-handling parts (协办意见)",
		"The assisting departments' opinions, reply parts and attachments, oldest first.", 404),
		func(ctx context.Context, in *idInput) (*contributionsOutput, error) {
			a, err := s.Actor(ctx)
			if err != nil {
				return nil, err
			}
			cs, err := m.Contributions(ctx, a, in.ID)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &contributionsOutput{}
			out.Body.Items = cs
			if cs == nil {
				out.Body.Items = []Contribution{}
			}
			return out, nil
		})
	add := op("hotline-contribute", http.MethodPost, "/orders/{id}/contributions", "Add a co-handling part",
		"An assisting department's handler adds its opinion and a part of the reply within the co-handling limit (409 after; 403 for anyone else). Attachments are added on the order page.", 404, 409, 422)
	add.DefaultStatus = http.StatusCreated
	huma.Register(api, add, func(ctx context.Context, in *contributeAPIInput) (*web.Created[*Contribution], error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		c, err := m.Contribute(ctx, a, in.ID, ContributionInput{Opinion: in.Body.Opinion, ReplyPart: in.Body.ReplyPart})
		if err != nil {
			return nil, fail(ctx, err)
		}
		return &web.Created[*Contribution]{Location: web.Location("/hotline/orders", in.ID), Body: c}, nil
	})
	huma.Register(api, op("hotline-extension-queue", http.MethodGet, "/extensions", "Extension requests to decide",
		"The dispatcher's queue: pending extension requests of the caller's region, oldest first; paged by cursor."),
		func(ctx context.Context, in *pendingInput) (*pendingOutput, error) {
			a, err := s.Actor(ctx, auth.RoleDispatcher)
			if err != nil {
				return nil, err
			}
			after, err := store.ParseCursor(in.Cursor)
			if err != nil {
				return nil, huma.Error400BadRequest("cursor 无效 (malformed cursor)")
			}
			items, pg, err := m.PendingExtensions(ctx, a, after, in.Limit)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &pendingOutput{}
			out.Body.Items, out.Body.Total, out.Body.NextCursor = []PendingExtensionItem{}, pg.Count, pg.Next.String()
			for _, p := range items {
				out.Body.Items = append(out.Body.Items, PendingExtensionItem{ExtensionID: p.Extension.ID, Days: p.Extension.Days,
					Reason: p.Extension.Reason, RequestedBy: p.Extension.RequestedByName, Status: string(p.Extension.Status),
					StatusName: extensionStatusName(p.Extension.Status, "zh-CN"), TimeLeft: p.Left.Text("zh-CN"), Order: p.Order})
			}
			return out, nil
		})
	huma.Register(api, op("hotline-relay-call", http.MethodPost, "/orders/{id}/call", "Call the caller through a privacy number",
		"Binds the handler's registered mobile and the caller's number to a temporary privacy number (隐私号) of the platform's "+
			"telephony and answers that number: dialling it reaches the caller, and neither side sees the other's number. For the "+
			"departments handling the order while it is open; never for a confidential reporter. 409 when no relay is configured.", 403, 404, 409, 422),
		func(ctx context.Context, in *idInput) (*relayOutput, error) {
			a, err := s.Actor(ctx)
			if err != nil {
				return nil, err
			}
			b, err := m.CallCaller(ctx, a, in.ID)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &relayOutput{Body: *b}, nil
		})
	huma.Register(api, op("hotline-reveal-phone", http.MethodPost, "/orders/{id}/reveal", "Reveal the caller's number",
		"An administrator reads the caller's full phone number, stating why; the read and its purpose are recorded in the audit log.", 404, 422),
		func(ctx context.Context, in *revealAPIInput) (*revealOutput, error) {
			a, err := s.Actor(ctx)
			if err != nil {
				return nil, err
			}
			phone, err := m.RevealPhone(ctx, a, in.ID, in.Body.Purpose)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &revealOutput{}
			out.Body.CallerPhone = phone
			return out, nil
		})
}
