package entity

import (
	"bytes"
	"context"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/web"
)

type usccInput struct {
	USCC string `path:"uscc" maxLength:"18"`
}

type entityOutput struct{ Body Entity }

type putInput struct {
	USCC string `path:"uscc" maxLength:"18"`
	Body Input
}

type putOutput struct {
	Status int
	Body   Entity
}

type historyOutput struct {
	Body struct {
		Items []Change `json:"items"`
	}
}

type importInput struct {
	ContentType string `header:"Content-Type"`
	SkipInvalid bool   `query:"skip_invalid" doc:"Store the valid rows and report the others; otherwise one refused row stores nothing"`
	RawBody     []byte `contentType:"text/csv"`
}

type importOutput struct{ Body Report }

// MaxImportBytes bounds an import sent through the API; larger registers
// are loaded with the command line (yingshang entity import).
const MaxImportBytes = 256 << 20

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// Mount registers the register's API operations.
func (s *Service) Mount(srv *web.Server) error {
	api := srv.API()
	base := web.APIPrefix + "/entities"
	tags := []string{"entities"}
	huma.Register(api, huma.Operation{OperationID: "get-entity", Method: http.MethodGet, Path: base + "/{uscc}",
		Summary: "A business in the register", Description: "Staff of any department read it; a business reads its own. " +
			"The legal representative's identity number is masked.",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 404},
	}, func(ctx context.Context, in *usccInput) (*entityOutput, error) {
		a, err := srv.Actor(ctx)
		if err != nil {
			return nil, err
		}
		e, err := s.Get(ctx, a, in.USCC)
		if err != nil {
			return nil, srv.Problem(ctx, err)
		}
		return &entityOutput{Body: *e}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "put-entity", Method: http.MethodPut, Path: base + "/{uscc}",
		Summary: "Register or correct a business", Description: "Administrators of its region. Each changed field is kept in " +
			"the history. 201 when the business is new, 200 otherwise.",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 403, 422},
	}, func(ctx context.Context, in *putInput) (*putOutput, error) {
		a, err := srv.Actor(ctx, auth.RoleAdmin)
		if err != nil {
			return nil, err
		}
		in.Body.USCC = in.USCC
		e, out, err := s.Put(ctx, a, in.Body)
		if err != nil {
			return nil, srv.Problem(ctx, err)
		}
		status := http.StatusOK
		if out == Created {
			status = http.StatusCreated
		}
		return &putOutput{Status: status, Body: *e}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "entity-history", Method: http.MethodGet, Path: base + "/{uscc}/history",
		Summary: "What changed in a business's registration", Tags: tags, Security: web.Secured(), Errors: []int{401, 404},
	}, func(ctx context.Context, in *usccInput) (*historyOutput, error) {
		a, err := srv.Actor(ctx)
		if err != nil {
			return nil, err
		}
		h, err := s.History(ctx, a, in.USCC)
		if err != nil {
			return nil, srv.Problem(ctx, err)
		}
		out := &historyOutput{}
		out.Body.Items = h
		return out, nil
	})
	importOp := huma.Operation{OperationID: "import-entities", Method: http.MethodPost, Path: base + "/import",
		Summary: "Import a register (CSV or xlsx)", Description: "The body is the file: text/csv (UTF-8) or an xlsx workbook " +
			"(its first sheet), one business per row under a heading naming the columns (统一社会信用代码, 名称, 类型, 法定代表人, " +
			"法定代表人身份证号, 住所, 行政区划代码, 行业代码, 注册资本（万元）, 成立日期, 登记状态, 经营范围). The report names each " +
			"refused row and field. One transaction: without skip_invalid one refused row stores nothing.",
		Tags: tags, Security: web.Secured(), Errors: []int{401, 403, 413, 415, 422}, MaxBodyBytes: MaxImportBytes,
	}
	huma.Register(api, importOp, func(ctx context.Context, in *importInput) (*importOutput, error) {
		a, err := srv.Actor(ctx, auth.RoleAdmin)
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
		rep, err := s.Import(ctx, a, bytes.NewReader(in.RawBody), ImportOptions{Format: format, SkipInvalid: in.SkipInvalid,
			Source: "api import by " + a.Name})
		if err != nil {
			return nil, srv.Problem(ctx, err)
		}
		return &importOutput{Body: *rep}, nil
	})
	s.mountFacts(srv)
	return s.mountPages(srv)
}
