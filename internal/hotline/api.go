package hotline

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
)

// apiPrefix is where the hotline's operations live.
const apiPrefix = web.APIPrefix + "/hotline"

type idInput struct {
	ID int64 `path:"id" minimum:"1"`
}

type orderOutput struct{ Body *Order }

type intakeInput struct{ Body NewOrder }

type listInput struct {
	Status   []string `query:"status" doc:"new, dispatched, handling, replied, closed, visited, transferred, merged"`
	Type     string   `query:"type"`
	Category string   `query:"category" maxLength:"6"`
	Region   string   `query:"region" maxLength:"6"`
	Dept     int64    `query:"department_id"`
	Channel  string   `query:"channel"`
	Urgent   bool     `query:"urgent"`
	Overdue  bool     `query:"overdue"`
	From     string   `query:"from" doc:"YYYY-MM-DD (China time), inclusive"`
	To       string   `query:"to" doc:"YYYY-MM-DD (China time), exclusive"`
	Q        string   `query:"q" maxLength:"100"`
	Limit    int      `query:"limit" minimum:"1" maximum:"500" default:"20"`
	Cursor   string   `query:"cursor" maxLength:"42" doc:"next_cursor of the page before; empty for the first page"`
}

type listOutput struct {
	Body struct {
		Items      []Order `json:"items"`
		Total      int     `json:"total" doc:"Orders in the whole list, counted up to 1001 (1001 means more than 1000)"`
		NextCursor string  `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page"`
	}
}

type reasonInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Reason string `json:"reason" maxLength:"1000"`
	}
}

type replyInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Reply string `json:"reply" maxLength:"4000"`
	}
}

type dispatchInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body DispatchInput
}

type visitInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body VisitInput
}

type visitAttemptInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Note string `json:"note,omitempty" maxLength:"1000"`
	}
}

type threeWayAPIInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body ThreeWayInput
}

type jurisdictionInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body DecideInput
}

type disputesOutput struct {
	Body struct {
		Items []Dispute `json:"items"`
	}
}

type mergeInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		MasterID int64 `json:"master_id" minimum:"1"`
	}
}

type extInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Days   int    `json:"days" minimum:"1" maximum:"60"`
		Reason string `json:"reason" maxLength:"1000"`
	}
}

type decideInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Ext  int64 `path:"ext" minimum:"1"`
	Body struct {
		Grant  bool   `json:"grant"`
		Days   int    `json:"days,omitempty" minimum:"0" maximum:"60" doc:"0: as requested"`
		Reason string `json:"reason,omitempty" maxLength:"1000"`
	}
}

type extOutput struct{ Body *flow.Extension }

type outcomeInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Outcome string `json:"outcome" maxLength:"1000"`
	}
}

type suggestInput struct {
	Category string `query:"category" maxLength:"6"`
	Region   string `query:"region" maxLength:"6"`
	Text     string `query:"text" maxLength:"4000"`
}

type suggestOutput struct {
	Body struct {
		Items []Suggestion `json:"items"`
	}
}

func (m *Module) registerAPI(s *web.Server) {
	api := s.API()
	op := func(id, method, path, summary, desc string, errs ...int) huma.Operation {
		return huma.Operation{OperationID: id, Method: method, Path: apiPrefix + path, Summary: summary,
			Description: desc, Tags: []string{"hotline"}, Security: web.Secured(), Errors: append([]int{401, 403}, errs...)}
	}
	fail := func(ctx context.Context, err error) error { return s.Problem(ctx, err) }

	created := func(o huma.Operation) huma.Operation {
		o.DefaultStatus = http.StatusCreated
		return o
	}
	createdOrder := func(res *IntakeResult) *web.Created[*IntakeResult] {
		return &web.Created[*IntakeResult]{Location: web.Location("/hotline/orders", res.Order.ID), Body: res}
	}
	huma.Register(api, created(op("hotline-intake", http.MethodPost, "/orders", "Take in a work order",
		"Validates every field (nothing is stored on a refusal), stores the order and starts its workflow, and returns it (201, with its address in Location) with the duplicates found (same caller or same place with similar text within N days) and the likeliest departments. Citizens and enterprises file their own orders.",
		422)), func(ctx context.Context, in *intakeInput) (*web.Created[*IntakeResult], error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		n := in.Body
		if !a.HasAny(auth.RoleOperator, auth.RoleDispatcher) {
			n.CallerUserID, n.DirectAnswer, n.MergeInto = a.UserID, "", 0
			if n.Channel != ChannelMobile {
				n.Channel = ChannelWeb
			}
		}
		res, err := m.Intake(ctx, a, n)
		if err != nil {
			return nil, fail(ctx, err)
		}
		return createdOrder(res), nil
	})

	huma.Register(api, created(op("hotline-from-110", http.MethodPost, "/from-110", "Take in an order transferred from 110",
		"110 hands over a non-emergency matter; source_ref carries the 110 incident id. Needs the hotline_operator role (an API token of a machine user). Answers 201 with the order's address in Location.",
		422)), func(ctx context.Context, in *intakeInput) (*web.Created[*IntakeResult], error) {
		a, err := s.Actor(ctx, auth.RoleOperator)
		if err != nil {
			return nil, err
		}
		n := in.Body
		n.Channel, n.DirectAnswer, n.MergeInto = ChannelFrom110, "", 0
		res, err := m.Intake(ctx, a, n)
		if err != nil {
			return nil, fail(ctx, err)
		}
		return createdOrder(res), nil
	})

	huma.Register(api, op("hotline-list", http.MethodGet, "/orders", "List work orders",
		"Orders the caller may read, newest first (most overdue first with overdue), with filters; paged by cursor."),
		func(ctx context.Context, in *listInput) (*listOutput, error) {
			a, err := s.Actor(ctx)
			if err != nil {
				return nil, err
			}
			f := Filter{Type: Type(in.Type), CategoryCode: in.Category, RegionCode: in.Region, DepartmentID: in.Dept,
				Channel: Channel(in.Channel), Urgent: in.Urgent, Overdue: in.Overdue, Q: in.Q, Limit: in.Limit}
			if f.After, err = store.ParseCursor(in.Cursor); err != nil {
				return nil, huma.Error400BadRequest("cursor 无效 (malformed cursor)")
			}
			for _, st := range in.Status {
				f.Status = append(f.Status, Status(st))
			}
			if in.From != "" {
				if f.From, err = time.ParseInLocation("2006-01-02", in.From, cst); err != nil {
					return nil, fail(ctx, &FieldError{Name: "from", Message: "日期格式须为 YYYY-MM-DD (date must be YYYY-MM-DD)"})
				}
			}
			if in.To != "" {
				if f.To, err = time.ParseInLocation("2006-01-02", in.To, cst); err != nil {
					return nil, fail(ctx, &FieldError{Name: "to", Message: "日期格式须为 YYYY-MM-DD (date must be YYYY-MM-DD)"})
				}
			}
			items, pg, err := m.List(ctx, a, f)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &listOutput{}
			out.Body.Items, out.Body.Total, out.Body.NextCursor = items, pg.Count, pg.Next.String()
			if out.Body.Items == nil {
				out.Body.Items = []Order{}
			}
			return out, nil
		})

	huma.Register(api, op("hotline-get", http.MethodGet, "/orders/{id}", "A work order",
		"Orders outside the caller's scope are reported as not found.", 404),
		func(ctx context.Context, in *idInput) (*orderOutput, error) {
			a, err := s.Actor(ctx)
			if err != nil {
				return nil, err
			}
			o, err := m.Get(ctx, a, in.ID)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &orderOutput{Body: o}, nil
		})

	huma.Register(api, op("hotline-dispatch", http.MethodPost, "/orders/{id}/dispatch", "Dispatch (派单)",
		"Sends the order to a lead department and optional assisting departments.", 404, 409, 422),
		func(ctx context.Context, in *dispatchInput) (*orderOutput, error) {
			return m.apiAct(ctx, s, func(a *auth.Actor) (*Order, error) { return m.Dispatch(ctx, a, in.ID, in.Body) })
		})
	huma.Register(api, op("hotline-sign", http.MethodPost, "/orders/{id}/sign", "Sign for (签收)",
		"The lead department accepts the order; the handling limit starts.", 404, 409),
		func(ctx context.Context, in *idInput) (*orderOutput, error) {
			return m.apiAct(ctx, s, func(a *auth.Actor) (*Order, error) { return m.SignFor(ctx, a, in.ID) })
		})
	huma.Register(api, op("hotline-send-back", http.MethodPost, "/orders/{id}/send-back", "Send back (退单)",
		"Returns a misrouted order to the dispatcher with a standard reason (code, from the hotline settings) and/or words, and optionally the department it belongs to, within 24 hours of dispatch (409 after).", 404, 409, 422),
		func(ctx context.Context, in *sendBackAPIInput) (*orderOutput, error) {
			return m.apiAct(ctx, s, func(a *auth.Actor) (*Order, error) { return m.SendBackWith(ctx, a, in.ID, in.Body) })
		})
	huma.Register(api, op("hotline-reply", http.MethodPost, "/orders/{id}/reply", "Reply (答复)",
		"The lead department's answer; orders merged into this one receive it too.", 404, 409, 422),
		func(ctx context.Context, in *replyInput) (*orderOutput, error) {
			return m.apiAct(ctx, s, func(a *auth.Actor) (*Order, error) { return m.Reply(ctx, a, in.ID, in.Body.Reply) })
		})
	huma.Register(api, op("hotline-close", http.MethodPost, "/orders/{id}/close", "Close (办结)",
		"Closes a replied order; the return visit follows.", 404, 409, 422),
		func(ctx context.Context, in *reasonInput) (*orderOutput, error) {
			return m.apiAct(ctx, s, func(a *auth.Actor) (*Order, error) { return m.Close(ctx, a, in.ID, in.Body.Reason) })
		})
	huma.Register(api, op("hotline-visit", http.MethodPost, "/orders/{id}/visit", "Return visit (回访)",
		"Records solved / satisfaction; dissatisfied for a reasonable cause reopens the order to the same department.", 404, 409, 422),
		func(ctx context.Context, in *visitInput) (*orderOutput, error) {
			return m.apiAct(ctx, s, func(a *auth.Actor) (*Order, error) { return m.Visit(ctx, a, in.ID, in.Body) })
		})
	huma.Register(api, op("hotline-decide-jurisdiction", http.MethodPost, "/orders/{id}/jurisdiction", "Decide a jurisdiction dispute (管辖争议)",
		"The hotline centre (dispatchers, operators) decides which department an order sent back by two departments belongs to; the order is dispatched to it and it may not send it back. 409 when the order has no open dispute.", 404, 409, 422),
		func(ctx context.Context, in *jurisdictionInput) (*orderOutput, error) {
			return m.apiAct(ctx, s, func(a *auth.Actor) (*Order, error) { return m.DecideJurisdiction(ctx, a, in.ID, in.Body) })
		})
	huma.Register(api, op("hotline-three-way-call", http.MethodPost, "/orders/{id}/three-way-call", "Record a three-way call with 110",
		"For a matter unclear between 12345 and 110 (国办发〔2022〕12号): to_110 transfers the order to 110; hotline keeps it for dispatch; undecided keeps it with 12345, which took the call first, unless it is urgent (danger to life or property), when it goes to 110. Operators and dispatchers, on a new order.", 404, 409, 422),
		func(ctx context.Context, in *threeWayAPIInput) (*orderOutput, error) {
			return m.apiAct(ctx, s, func(a *auth.Actor) (*Order, error) { return m.RecordThreeWayCall(ctx, a, in.ID, in.Body) })
		})
	huma.Register(api, op("hotline-disputes", http.MethodGet, "/disputes", "Open jurisdiction disputes",
		"The open disputes of the caller's region, the one due first first, with the refusing departments, the first-receiving department (首接部门) and the limit.", 403),
		func(ctx context.Context, _ *struct{}) (*disputesOutput, error) {
			a, err := s.Actor(ctx)
			if err != nil {
				return nil, err
			}
			items, err := m.Disputes(ctx, a)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &disputesOutput{}
			out.Body.Items = items
			if out.Body.Items == nil {
				out.Body.Items = []Dispute{}
			}
			return out, nil
		})
	huma.Register(api, op("hotline-visit-attempt", http.MethodPost, "/orders/{id}/visit-attempts", "Record a failed return-visit call",
		"The centre's call for the return visit did not get through; the attempt that reaches the set number (3 by default) ends the visit as unreachable (无法联系), counted in neither the resolution nor the satisfaction rate.", 404, 409, 422),
		func(ctx context.Context, in *visitAttemptInput) (*orderOutput, error) {
			return m.apiAct(ctx, s, func(a *auth.Actor) (*Order, error) {
				o, _, err := m.VisitAttempt(ctx, a, in.ID, in.Body.Note)
				return o, err
			})
		})
	huma.Register(api, op("hotline-merge", http.MethodPost, "/orders/{id}/merge", "Merge into a master order",
		"The order is handled once, as the master; its caller gets the master's reply.", 404, 409, 422),
		func(ctx context.Context, in *mergeInput) (*orderOutput, error) {
			return m.apiAct(ctx, s, func(a *auth.Actor) (*Order, error) { return m.Merge(ctx, a, in.ID, in.Body.MasterID) })
		})
	huma.Register(api, op("hotline-transfer-110", http.MethodPost, "/orders/{id}/transfer-110", "Transfer to 110",
		"Ends the order here and sends it to 110 through the signed webhook.", 404, 409, 422),
		func(ctx context.Context, in *reasonInput) (*orderOutput, error) {
			return m.apiAct(ctx, s, func(a *auth.Actor) (*Order, error) { return m.TransferTo110(ctx, a, in.ID, in.Body.Reason) })
		})
	huma.Register(api, op("hotline-transfer-outcome", http.MethodPost, "/orders/{id}/transfer-outcome", "Record 110's outcome",
		"110 reports what it did with a transferred order.", 404, 409, 422),
		func(ctx context.Context, in *outcomeInput) (*orderOutput, error) {
			return m.apiAct(ctx, s, func(a *auth.Actor) (*Order, error) { return m.RecordTransferOutcome(ctx, a, in.ID, in.Body.Outcome) })
		})
	huma.Register(api, op("hotline-request-extension", http.MethodPost, "/orders/{id}/extensions", "Ask for an extension (延期)",
		"The lead department asks, before the deadline, for more working days.", 404, 409, 422),
		func(ctx context.Context, in *extInput) (*extOutput, error) {
			a, err := s.Actor(ctx)
			if err != nil {
				return nil, err
			}
			x, err := m.RequestExtension(ctx, a, in.ID, in.Body.Days, in.Body.Reason)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &extOutput{Body: x}, nil
		})
	huma.Register(api, op("hotline-decide-extension", http.MethodPost, "/orders/{id}/extensions/{ext}", "Grant or refuse an extension",
		"The dispatcher decides; a grant moves the deadline and the citizen is told.", 404, 409, 422),
		func(ctx context.Context, in *decideInput) (*extOutput, error) {
			a, err := s.Actor(ctx)
			if err != nil {
				return nil, err
			}
			x, err := m.DecideExtension(ctx, a, in.ID, in.Ext, in.Body.Grant, in.Body.Days, in.Body.Reason)
			if err != nil {
				return nil, fail(ctx, err)
			}
			return &extOutput{Body: x}, nil
		})
	m.registerStaffAPI(s, op, fail)
	huma.Register(api, op("hotline-suggest", http.MethodGet, "/suggest", "Dispatch suggestion",
		"The likeliest departments for a category, region and text, with the reason."),
		func(ctx context.Context, in *suggestInput) (*suggestOutput, error) {
			if _, err := s.Actor(ctx, auth.RoleOperator, auth.RoleDispatcher); err != nil {
				return nil, err
			}
			items, err := m.Suggest(ctx, in.Category, in.Region, in.Text)
			if err != nil {
				return nil, fail(ctx, err)
			}
			out := &suggestOutput{}
			out.Body.Items = items
			if items == nil {
				out.Body.Items = []Suggestion{}
			}
			return out, nil
		})
}

func (m *Module) apiAct(ctx context.Context, s *web.Server, fn func(a *auth.Actor) (*Order, error)) (*orderOutput, error) {
	a, err := s.Actor(ctx)
	if err != nil {
		return nil, err
	}
	o, err := fn(a)
	if err != nil {
		return nil, s.Problem(ctx, err)
	}
	return &orderOutput{Body: o}, nil
}
