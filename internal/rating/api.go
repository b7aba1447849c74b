package rating

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
)

// RatingView is a rating as the API shows it.
type RatingView struct {
	ID          int64  `json:"id"`
	SubjectKind string `json:"subject_kind" enum:"case,hotline"`
	SubjectID   int64  `json:"subject_id"`
	Event       string `json:"event" doc:"The service event rated: decided (an application) or closed (an order)"`
	ItemCode    string `json:"item_code"`
	Level       int    `json:"level" minimum:"1" maximum:"5" doc:"5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意 (GB/T 39735)"`
	Channel     string `json:"channel" enum:"window,online,sms"`
	StaffID     int64  `json:"staff_id,omitempty" doc:"The window staff member who recorded it"`
	RatedOn     string `json:"rated_on" format:"date"`
	FollowUpID  int64  `json:"follow_up_id,omitempty" doc:"The follow-up a bad rating opened"`
	DueOn       string `json:"due_on,omitempty" doc:"The follow-up's limit on the working-day calendar"`
}

func ratingView(r *Rating) RatingView {
	return RatingView{ID: r.ID, SubjectKind: r.Subject.Kind, SubjectID: r.Subject.ID, Event: r.Subject.Event, ItemCode: r.ItemCode,
		Level: int(r.Level), Channel: string(r.Channel), StaffID: r.StaffID, RatedOn: r.RatedOn, FollowUpID: r.FollowUpID, DueOn: r.DueOn}
}

// FollowUpView is a follow-up (核实、整改、反馈) as the API shows it.
type FollowUpView struct {
	ID            int64  `json:"id"`
	RatingID      int64  `json:"rating_id"`
	SubjectKind   string `json:"subject_kind" enum:"case,hotline"`
	SubjectID     int64  `json:"subject_id"`
	ItemCode      string `json:"item_code"`
	DepartmentID  int64  `json:"department_id"`
	StaffID       int64  `json:"staff_id,omitempty"`
	Level         int    `json:"level"`
	Comment       string `json:"comment"`
	Status        string `json:"status" enum:"open,answered"`
	Overdue       bool   `json:"overdue" doc:"Open after its due date"`
	OpenedOn      string `json:"opened_on" format:"date"`
	DueOn         string `json:"due_on" format:"date"`
	Verification  string `json:"verification,omitempty" doc:"核实情况"`
	Rectification string `json:"rectification,omitempty" doc:"整改情况"`
	Feedback      string `json:"feedback,omitempty" doc:"The answer to the person (反馈)"`
	AnsweredOn    string `json:"answered_on,omitempty"`
}

func followUpView(f *FollowUp) FollowUpView {
	return FollowUpView{ID: f.ID, RatingID: f.RatingID, SubjectKind: f.Subject.Kind, SubjectID: f.Subject.ID, ItemCode: f.ItemCode,
		DepartmentID: f.DepartmentID, StaffID: f.StaffID, Level: int(f.Level), Comment: f.Comment, Status: f.Status, Overdue: f.Overdue,
		OpenedOn: f.OpenedOn, DueOn: f.DueOn, Verification: f.Verification, Rectification: f.Rectification, Feedback: f.Feedback,
		AnsweredOn: f.AnsweredOn}
}

// RatingFigureView is one group's figures.
type RatingFigureView struct {
	Key        string `json:"key" doc:"The item code, department id or staff id"`
	Counts     [5]int `json:"counts" doc:"Ratings per level, 非常满意 first"`
	Total      int    `json:"total"`
	Good       int    `json:"good" doc:"非常满意, 满意 and 基本满意"`
	Bad        int    `json:"bad" doc:"不满意 and 非常不满意"`
	Answered   int    `json:"answered" doc:"Bad ratings whose follow-up was answered"`
	GoodPermil int    `json:"good_permil" doc:"好评率 in per mille"`
	FixPermil  int    `json:"fix_permil" doc:"差评整改率 in per mille"`
}

type ratingRateInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Level   int    `json:"level" minimum:"1" maximum:"5" doc:"5 非常满意 … 1 非常不满意"`
		Comment string `json:"comment,omitempty" maxLength:"500"`
	}
}

type ratingRateOutput struct{ Body RatingView }

type ratingFollowListInput struct {
	Status       string `query:"status" enum:"open,answered," doc:"Only open or only answered follow-ups"`
	Overdue      bool   `query:"overdue" doc:"Only open follow-ups past their due date"`
	DepartmentID int64  `query:"department_id" minimum:"0"`
	Limit        int    `query:"limit" minimum:"1" maximum:"200" default:"20"`
	Cursor       string `query:"cursor" maxLength:"42" doc:"next_cursor of the page before; empty for the first page"`
}

// FollowUpList is one page of follow-ups, newest first.
type FollowUpList struct {
	Items      []FollowUpView `json:"items"`
	Total      int            `json:"total" doc:"Follow-ups matching, counted up to 1001"`
	NextCursor string         `json:"next_cursor,omitempty"`
}

type ratingFollowListOutput struct{ Body FollowUpList }

type ratingFollowInput struct {
	ID int64 `path:"id" minimum:"1"`
}

type ratingFollowOutput struct{ Body FollowUpView }

type ratingAnswerInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Verification  string `json:"verification" minLength:"1" maxLength:"2000" doc:"核实情况"`
		Rectification string `json:"rectification" minLength:"1" maxLength:"2000" doc:"整改情况"`
		Feedback      string `json:"feedback" minLength:"1" maxLength:"2000" doc:"The answer to the person (反馈)"`
	}
}

type ratingFiguresInput struct {
	By   string `query:"by" enum:"item,department,staff" default:"department"`
	From string `query:"from" maxLength:"10" doc:"First day, YYYY-MM-DD"`
	To   string `query:"to" maxLength:"10" doc:"Last day, YYYY-MM-DD"`
}

type ratingFiguresOutput struct {
	Body struct {
		Items []RatingFigureView `json:"items"`
	}
}

type ratingMineOutput struct {
	Body struct {
		Items []FollowUpView `json:"items"`
	}
}

func (p *Pages) registerAPI(srv *web.Server) {
	for _, k := range []struct{ path, kind, event, what string }{
		{"/ratings/applications/{id}", KindCase, "decided", "application"},
		{"/ratings/orders/{id}", KindHotline, "closed", "hotline order"},
	} {
		huma.Register(srv.API(), huma.Operation{
			OperationID: "rate-" + map[string]string{KindCase: "application", KindHotline: "order"}[k.kind], Method: http.MethodPost,
			Path: web.APIPrefix + k.path, Summary: "Rate a " + k.what + " (好差评)",
			Description: "Rates a decided " + k.what + " once on the five levels of GB/T 39735: the signed-in applicant or caller " +
				"rates it online; a window clerk, handler or operator serving it records the level the person gave on the counter's " +
				"device, and the rating carries the staff member's id. A bad rating opens a follow-up due on the working-day calendar " +
				"(国办发〔2019〕51号). Anyone else gets 404; a second rating 409; an unfinished service 409.",
			Tags: []string{"rating"}, Security: web.Secured(), Errors: []int{401, 404, 409, 422}, DefaultStatus: http.StatusCreated,
		}, func(ctx context.Context, in *ratingRateInput) (*ratingRateOutput, error) {
			a, err := srv.Actor(ctx)
			if err != nil {
				return nil, err
			}
			r, err := p.svc.Rate(ctx, a, Subject{Kind: k.kind, ID: in.ID, Event: k.event}, Input{Level: Level(in.Body.Level), Comment: in.Body.Comment})
			if err != nil {
				return nil, srv.Problem(ctx, err)
			}
			return &ratingRateOutput{Body: ratingView(r)}, nil
		})
	}

	huma.Register(srv.API(), huma.Operation{
		OperationID: "list-rating-followups", Method: http.MethodGet, Path: web.APIPrefix + "/ratings/followups",
		Summary:     "Follow-ups of bad ratings",
		Description: "The follow-ups (核实、整改、反馈) of bad ratings the caller may see: their departments', or every one for supervisors and administrators; newest first, a keyset page at a time.",
		Tags:        []string{"rating"}, Security: web.Secured(), Errors: []int{400, 401, 403},
	}, func(ctx context.Context, in *ratingFollowListInput) (*ratingFollowListOutput, error) {
		a, err := srv.Actor(ctx)
		if err != nil {
			return nil, err
		}
		after, err := store.ParseCursor(in.Cursor)
		if err != nil {
			return nil, huma.Error400BadRequest("cursor 无效 (malformed cursor)")
		}
		fs, pg, err := p.svc.ListFollowUps(ctx, a, FollowQuery{Status: in.Status, Overdue: in.Overdue, DepartmentID: in.DepartmentID,
			Limit: in.Limit, After: after})
		if err != nil {
			return nil, srv.Problem(ctx, err)
		}
		out := &ratingFollowListOutput{Body: FollowUpList{Items: make([]FollowUpView, len(fs)), Total: pg.Count, NextCursor: pg.Next.String()}}
		for i := range fs {
			out.Body.Items[i] = followUpView(&fs[i])
		}
		return out, nil
	})

	huma.Register(srv.API(), huma.Operation{
		OperationID: "get-rating-followup", Method: http.MethodGet, Path: web.APIPrefix + "/ratings/followups/{id}",
		Summary: "A follow-up of a bad rating", Description: "One follow-up, for the staff of its department and the supervisors.",
		Tags: []string{"rating"}, Security: web.Secured(), Errors: []int{401, 404},
	}, func(ctx context.Context, in *ratingFollowInput) (*ratingFollowOutput, error) {
		a, err := srv.Actor(ctx)
		if err != nil {
			return nil, err
		}
		f, err := p.svc.FollowUp(ctx, a, in.ID)
		if err != nil {
			return nil, srv.Problem(ctx, err)
		}
		return &ratingFollowOutput{Body: followUpView(f)}, nil
	})

	huma.Register(srv.API(), huma.Operation{
		OperationID: "answer-rating-followup", Method: http.MethodPost, Path: web.APIPrefix + "/ratings/followups/{id}/answer",
		Summary:     "Answer a bad rating",
		Description: "Records the verification (核实), the rectification (整改) and the answer to the person (反馈), which the person reads on their page. Only the responsible department's staff may answer; once.",
		Tags:        []string{"rating"}, Security: web.Secured(), Errors: []int{401, 404, 409, 422},
	}, func(ctx context.Context, in *ratingAnswerInput) (*ratingFollowOutput, error) {
		a, err := srv.Actor(ctx)
		if err != nil {
			return nil, err
		}
		// The follow-up must be visible before anything about the answer
		// is told (a 409 would confirm that it exists).
		if _, err := p.svc.FollowUp(ctx, a, in.ID); err != nil {
			return nil, srv.Problem(ctx, err)
		}
		f, err := p.svc.AnswerFollowUp(ctx, a, in.ID, Answer{Verification: in.Body.Verification, Rectification: in.Body.Rectification,
			Feedback: in.Body.Feedback})
		if err != nil {
			return nil, srv.Problem(ctx, err)
		}
		return &ratingFollowOutput{Body: followUpView(f)}, nil
	})

	huma.Register(srv.API(), huma.Operation{
		OperationID: "rating-figures", Method: http.MethodGet, Path: web.APIPrefix + "/ratings/figures",
		Summary:     "好差评 figures",
		Description: "Counts per level, 好评率 and 差评整改率 per item, department or window staff member over a period; staff see their departments' ratings, supervisors and administrators all.",
		Tags:        []string{"rating"}, Security: web.Secured(), Errors: []int{401, 403, 422},
	}, func(ctx context.Context, in *ratingFiguresInput) (*ratingFiguresOutput, error) {
		a, err := srv.Actor(ctx)
		if err != nil {
			return nil, err
		}
		figs, err := p.svc.FiguresFor(ctx, a, in.By, in.From, in.To)
		if err != nil {
			return nil, srv.Problem(ctx, err)
		}
		out := &ratingFiguresOutput{}
		out.Body.Items = make([]RatingFigureView, len(figs))
		for i, f := range figs {
			out.Body.Items[i] = RatingFigureView{Key: f.Key, Counts: [5]int{f.Counts[5], f.Counts[4], f.Counts[3], f.Counts[2], f.Counts[1]},
				Total: f.Total, Good: f.Good, Bad: f.Bad, Answered: f.Answered, GoodPermil: f.GoodPermil, FixPermil: f.FixPermil}
		}
		return out, nil
	})

	huma.Register(srv.API(), huma.Operation{
		OperationID: "my-rating-followups", Method: http.MethodGet, Path: web.APIPrefix + "/ratings/mine",
		Summary: "Answers to my bad ratings", Description: "The follow-ups of the caller's own bad ratings with the departments' answers.",
		Tags: []string{"rating"}, Security: web.Secured(), Errors: []int{401},
	}, func(ctx context.Context, _ *struct{}) (*ratingMineOutput, error) {
		a, err := srv.Actor(ctx)
		if err != nil {
			return nil, err
		}
		fs, err := p.svc.FollowUpsOfPerson(ctx, a.UserID)
		if err != nil {
			return nil, srv.Problem(ctx, err)
		}
		out := &ratingMineOutput{}
		out.Body.Items = make([]FollowUpView, len(fs))
		for i := range fs {
			out.Body.Items[i] = followUpView(&fs[i])
		}
		return out, nil
	})
}
