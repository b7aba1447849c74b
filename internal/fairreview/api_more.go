package fairreview

import (
	"bytes"
	"context"
	"net/http"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/web"
)

type frCommentPeriodInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Days int `json:"days" minimum:"1" maximum:"60" doc:"working days from today"`
	}
}

type frCommentInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Source string `json:"source" enum:"经营者,行业协会商会,社会公众"`
		Body   string `json:"body" maxLength:"5000"`
	}
}

type frCommentOutput struct{ Body *Comment }

type frSpotInput struct {
	Body struct {
		Seed string `json:"seed" pattern:"^[0-9]{1,20}$" doc:"decimal unsigned 64-bit seed; the same seed draws the same measures"`
		N    int    `json:"n" minimum:"1" maximum:"1000"`
	}
}

type frSpotOutput struct {
	Body struct {
		Seed  string  `json:"seed"`
		Drawn []int64 `json:"drawn"`
	}
}

type frAnswerInput struct {
	RID  int64 `path:"rid" minimum:"1"`
	Body struct {
		Answer string `json:"answer" maxLength:"5000"`
	}
}

type frStockInput struct {
	RawBody []byte `contentType:"application/zip"`
}

type frStockOutput struct {
	Body struct {
		Items []StockItem `json:"items"`
	}
}

type frFiguresInput struct {
	Year int `query:"year" minimum:"2000" maximum:"2100" required:"true"`
}

type frFiguresOutput struct {
	Body struct {
		Year  int       `json:"year"`
		Items []Figures `json:"items"`
	}
}

type frHoldInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Kind   string `json:"kind" enum:"interview,notice,deduction"`
		Points int    `json:"points,omitempty" minimum:"0" maximum:"100"`
		Note   string `json:"note" maxLength:"5000"`
	}
}

type frHoldOutput struct{ Body *Accountability }

type frPublicListOutput struct {
	Body struct {
		Items []frPublicMeasure `json:"items"`
	}
}

// frPublicMeasure is what the public reads of a measure: no opinions, no
// findings, no internal ids beyond the measure's own.
type frPublicMeasure struct {
	ID           int64  `json:"id"`
	Kind         string `json:"kind"`
	Title        string `json:"title"`
	Body         string `json:"body"`
	CommentUntil string `json:"comment_until,omitempty"`
	IssuedOn     string `json:"issued_on,omitempty"`
}

// mountMoreAPI registers the operations of the comment period, the review
// office's queue, reports, spot checks, stock clean-up, figures and
// accountability: every state change the pages make has its route.
func (m *Module) mountMoreAPI(s *web.Server, op func(id, method, path, summary string, public bool) huma.Operation,
	actor func(context.Context) (Actor, error), wrap func(*Measure, error) (*measureOutput, error)) {
	api := s.API()
	huma.Register(api, op("fairreview-comment-period", http.MethodPost, "/measures/{id}/comment-period",
		"Open the comment period (第十六条), in working days", false),
		func(ctx context.Context, in *frCommentPeriodInput) (*measureOutput, error) {
			a, err := actor(ctx)
			if err != nil {
				return nil, err
			}
			return wrap(m.OpenComments(ctx, a, in.ID, in.Body.Days))
		})
	comment := op("fairreview-comment", http.MethodPost, "/measures/{id}/comments",
		"A public comment during the comment period (rate-limited)", true)
	comment.Errors = append(comment.Errors, 429)
	huma.Register(api, comment, func(ctx context.Context, in *frCommentInput) (*frCommentOutput, error) {
		if ok, _ := m.allowWrite(ctx); !ok {
			return nil, huma.NewError(http.StatusTooManyRequests, "提交过于频繁，请稍后再试 (too many submissions)")
		}
		c, err := m.AddComment(ctx, in.ID, in.Body.Source, in.Body.Body)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &frCommentOutput{Body: c}, nil
	})
	huma.Register(api, op("fairreview-public-measures", http.MethodGet, "/public/measures",
		"Drafts open for comment and issued measures, for the public", true),
		func(ctx context.Context, _ *struct{}) (*frPublicListOutput, error) {
			open, err := m.OpenForComment(ctx)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			issued, err := m.Issued(ctx, "", 0, 100)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			out := &frPublicListOutput{}
			out.Body.Items = []frPublicMeasure{}
			for _, ms := range append(open, issued...) {
				pm := frPublicMeasure{ID: ms.ID, Kind: ms.Kind, Title: ms.Title, Body: ms.Body, IssuedOn: ms.IssuedOn}
				if ms.Status == StatusIssued {
					pm.Body = ms.IssuedBody
				} else {
					pm.CommentUntil = ms.CommentUntil
				}
				out.Body.Items = append(out.Body.Items, pm)
			}
			return out, nil
		})
	huma.Register(api, op("fairreview-spot-check", http.MethodPost, "/spot-checks", "Draw issued measures at random (第二十一条)", false),
		func(ctx context.Context, in *frSpotInput) (*frSpotOutput, error) {
			a, err := actor(ctx)
			if err != nil {
				return nil, err
			}
			seed, err := strconv.ParseUint(in.Body.Seed, 10, 64)
			if err != nil {
				return nil, s.Problem(ctx, &FieldError{"seed", "随机种子应为非负整数 (seed: a whole number)"})
			}
			drawn, err := m.SpotCheck(ctx, a, seed, in.Body.N)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			out := &frSpotOutput{}
			out.Body.Seed, out.Body.Drawn = in.Body.Seed, append([]int64{}, drawn...)
			return out, nil
		})
	huma.Register(api, op("fairreview-answer-report", http.MethodPost, "/reports/{rid}/answer", "Answer a public report (第二十二条)", false),
		func(ctx context.Context, in *frAnswerInput) (*reportOutput, error) {
			a, err := actor(ctx)
			if err != nil {
				return nil, err
			}
			r, err := m.AnswerReport(ctx, a, in.RID, in.Body.Answer)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			r.Token = ""
			return &reportOutput{Body: r}, nil
		})
	stock := op("fairreview-stock-import", http.MethodPost, "/stock", "存量清理: a zip of .txt/.docx documents, each screened", false)
	stock.MaxBodyBytes = maxStockUpload
	stock.Errors = append(stock.Errors, 413, 415)
	huma.Register(api, stock, func(ctx context.Context, in *frStockInput) (*frStockOutput, error) {
		a, err := actor(ctx)
		if err != nil {
			return nil, err
		}
		if a.DepartmentID == 0 {
			return nil, s.Problem(ctx, ErrNotFound)
		}
		items, err := m.ImportStock(ctx, a, in.RawBody, nil)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		out := &frStockOutput{}
		out.Body.Items = items
		return out, nil
	})
	huma.Register(api, op("fairreview-figures", http.MethodGet, "/figures", "Yearly figures per department", false),
		func(ctx context.Context, in *frFiguresInput) (*frFiguresOutput, error) {
			a, err := actor(ctx)
			if err != nil {
				return nil, err
			}
			figs, err := m.YearFigures(ctx, a, in.Year)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			out := &frFiguresOutput{}
			out.Body.Year, out.Body.Items = in.Year, append([]Figures{}, figs...)
			return out, nil
		})
	huma.Register(api, op("fairreview-figures-xlsx", http.MethodGet, "/figures.xlsx", "Yearly figures as a workbook", false),
		func(ctx context.Context, in *frFiguresInput) (*huma.StreamResponse, error) {
			a, err := actor(ctx)
			if err != nil {
				return nil, err
			}
			figs, err := m.YearFigures(ctx, a, in.Year)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			var buf bytes.Buffer
			if err := WriteFiguresXLSX(&buf, in.Year, figs, func(id int64) string { return m.deptName(ctx, id) }); err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &huma.StreamResponse{Body: func(hc huma.Context) {
				hc.SetHeader("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
				hc.SetHeader("Content-Disposition", "attachment; filename=fair-review-"+strconv.Itoa(in.Year)+".xlsx")
				hc.BodyWriter().Write(buf.Bytes())
			}}, nil
		})
	huma.Register(api, op("fairreview-accountability", http.MethodPost, "/measures/{id}/accountability",
		"Record 约谈, 通报 or 考核扣分 for a measure found in violation", false),
		func(ctx context.Context, in *frHoldInput) (*frHoldOutput, error) {
			a, err := actor(ctx)
			if err != nil {
				return nil, err
			}
			r, err := m.Hold(ctx, a, in.ID, in.Body.Kind, in.Body.Points, in.Body.Note)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			return &frHoldOutput{Body: r}, nil
		})
	registerList(s, op("fairreview-comments", http.MethodGet, "/measures/{id}/comments", "Comments heard on a measure", false), actor,
		func(ctx context.Context, a Actor, in *idInput) ([]Comment, error) { return m.Comments(ctx, a, in.ID) })
	registerList(s, op("fairreview-queue", http.MethodGet, "/queue", "Measures waiting for the caller's review step, by due date", false), actor,
		func(ctx context.Context, a Actor, _ *struct{}) ([]*Measure, error) { return m.Queue(ctx, a) })
	registerList(s, op("fairreview-spot-checks", http.MethodGet, "/spot-checks", "Past draws with their seeds", false), actor,
		func(ctx context.Context, a Actor, _ *struct{}) ([]SpotCheckRecord, error) {
			return m.SpotChecks(ctx, a)
		})
	registerList(s, op("fairreview-reports", http.MethodGet, "/reports", "Public reports of the caller's region, unanswered first", false), actor,
		func(ctx context.Context, a Actor, _ *struct{}) ([]*Report, error) { return m.Reports(ctx, a) })
	registerList(s, op("fairreview-accountabilities", http.MethodGet, "/accountability", "Accountability records of the caller's region", false), actor,
		func(ctx context.Context, a Actor, _ *struct{}) ([]Accountability, error) {
			return m.Accountabilities(ctx, a)
		})
}

// frItems is a list answer.
type frItems[T any] struct {
	Body struct {
		Items []T `json:"items"`
	}
}

// registerList registers a read of the caller's items.
func registerList[T, I any](s *web.Server, o huma.Operation, actor func(context.Context) (Actor, error),
	list func(ctx context.Context, a Actor, in *I) ([]T, error)) {
	huma.Register(s.API(), o, func(ctx context.Context, in *I) (*frItems[T], error) {
		a, err := actor(ctx)
		if err != nil {
			return nil, err
		}
		items, err := list(ctx, a, in)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		out := &frItems[T]{}
		out.Body.Items = append([]T{}, items...)
		return out, nil
	})
}
