package entity

import (
	"bytes"
	"context"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/web"
)

type factsGetInput struct {
	USCC string `path:"uscc" maxLength:"18"`
	AsOf string `query:"as_of" doc:"YYYY-MM-DD; empty means today"`
}

type factsPutInput struct {
	USCC string `path:"uscc" maxLength:"18"`
	Body struct {
		Facts []FactInput `json:"facts" maxItems:"200"`
	}
}

type factsOutput struct {
	Body struct {
		USCC  string `json:"uscc"`
		AsOf  string `json:"as_of"`
		Items []Fact `json:"items"`
	}
}

type factImportInput struct {
	ContentType string `header:"Content-Type"`
	RawBody     []byte `contentType:"text/csv"`
}

type catalogueOutput struct {
	Body struct {
		Items []FactDef `json:"items"`
	}
}

// mountFacts registers the facts API: the catalogue, the latest values as
// of a date, reporting values, and the bulk import.
func (s *Service) mountFacts(srv *web.Server) {
	api := srv.API()
	base := web.APIPrefix + "/entities"
	tags := []string{"entities"}
	huma.Register(api, huma.Operation{OperationID: "entity-fact-catalogue", Method: http.MethodGet, Path: base + "/fact-catalogue",
		Summary: "The facts departments share", Description: "Each fact's name, type, unit, values and source departments (by code).",
		Tags: tags, Security: web.Secured(), Errors: []int{401},
	}, func(ctx context.Context, _ *struct{}) (*catalogueOutput, error) {
		if _, err := srv.Actor(ctx); err != nil {
			return nil, err
		}
		out := &catalogueOutput{}
		out.Body.Items = s.catalogue().Facts
		return out, nil
	})
	huma.Register(api, huma.Operation{OperationID: "get-entity-facts", Method: http.MethodGet, Path: base + "/{uscc}/facts",
		Summary: "A business's facts as of a date", Description: "The latest value of each declared fact as of as_of. Staff of any " +
			"department read them; a business reads its own.",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 404, 422},
	}, func(ctx context.Context, in *factsGetInput) (*factsOutput, error) {
		a, err := srv.Actor(ctx)
		if err != nil {
			return nil, err
		}
		var asOf calendar.Date
		if in.AsOf != "" {
			if asOf, err = calendar.ParseDate(in.AsOf); err != nil {
				return nil, srv.Problem(ctx, &valid.FieldError{Path: "as_of", Message: "日期格式为 YYYY-MM-DD (date as YYYY-MM-DD)"})
			}
		}
		items, err := s.FactsOf(ctx, a, in.USCC, asOf)
		if err != nil {
			return nil, srv.Problem(ctx, err)
		}
		if asOf.IsZero() {
			asOf = calendar.DateOf(s.d.Now())
		}
		out := &factsOutput{}
		out.Body.USCC, out.Body.AsOf, out.Body.Items = strings.ToUpper(in.USCC), asOf.String(), items
		return out, nil
	})
	huma.Register(api, huma.Operation{OperationID: "put-entity-facts", Method: http.MethodPut, Path: base + "/{uscc}/facts",
		Summary: "Report facts about a business", Description: "Handlers and approvers of a department report the facts their " +
			"department is the source of; every fact is checked against its declared type, and one refused fact stores none. " +
			"Answers the facts as of today.",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 403, 404, 422},
	}, func(ctx context.Context, in *factsPutInput) (*factsOutput, error) {
		a, err := srv.Actor(ctx, auth.RoleHandler, auth.RoleApprover)
		if err != nil {
			return nil, err
		}
		items, err := s.PutFacts(ctx, a, in.USCC, in.Body.Facts)
		if err != nil {
			return nil, srv.Problem(ctx, err)
		}
		out := &factsOutput{}
		out.Body.USCC, out.Body.AsOf, out.Body.Items = strings.ToUpper(in.USCC), calendar.DateOf(s.d.Now()).String(), items
		return out, nil
	})
	huma.Register(api, huma.Operation{OperationID: "import-entity-facts", Method: http.MethodPost, Path: base + "/facts/import",
		Summary: "Import facts (CSV or xlsx)", Description: "The body is the file: text/csv (UTF-8) or an xlsx workbook (its first " +
			"sheet), one fact per row under a heading naming the columns 统一社会信用代码, 指标, 数值, 截至日期 (or uscc, name, value, " +
			"as_of). All or nothing: one refused row stores nothing; the report names each refused row and field.",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 403, 413, 415, 422}, MaxBodyBytes: MaxImportBytes,
	}, func(ctx context.Context, in *factImportInput) (*importOutput, error) {
		a, err := srv.Actor(ctx, auth.RoleHandler, auth.RoleApprover)
		if err != nil {
			return nil, err
		}
		format := "csv"
		switch ct := strings.ToLower(strings.TrimSpace(strings.Split(in.ContentType, ";")[0])); ct {
		case "text/csv":
		case xlsxType:
			format = "xlsx"
		default:
			return nil, huma.Error415UnsupportedMediaType("send text/csv or " + xlsxType)
		}
		rep, err := s.ImportFacts(ctx, a, bytes.NewReader(in.RawBody), ImportOptions{Format: format})
		if err != nil {
			return nil, srv.Problem(ctx, err)
		}
		return &importOutput{Body: *rep}, nil
	})
}
