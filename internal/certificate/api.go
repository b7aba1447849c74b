package certificate

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
)

type verifyInput struct {
	Token string `path:"token" maxLength:"32" doc:"The token from the certificate's QR code"`
}

type verifyOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         Result
}

type idInput struct {
	ID int64 `path:"id" minimum:"1"`
}

type certOutput struct{ Body Certificate }

type mineOutput struct {
	Body struct {
		Certificates []Certificate `json:"certificates" doc:"The newest 200 after certificates_cursor"`
		CertsTotal   int           `json:"certificates_total" doc:"Certificates in all, counted up to 1001 (1001 means more than 1000)"`
		CertsNext    string        `json:"certificates_next_cursor,omitempty" doc:"Pass as certificates_cursor for the next certificates; absent on the last page"`
		Uses         []UseRecord   `json:"uses" doc:"Every use of these certificates by a department, newest first"`
		UsesTotal    int           `json:"uses_total" doc:"Uses in all, counted up to 1001 (1001 means more than 1000)"`
		UsesNext     string        `json:"uses_next_cursor,omitempty" doc:"Pass as uses_cursor for the next page of uses; absent on the last page"`
		Consents     []Consent     `json:"consents"`
	}
}

type mineInput struct {
	CertsCursor string `query:"certificates_cursor" maxLength:"42" doc:"certificates_next_cursor of the answer before; empty for the newest certificates"`
	UsesCursor  string `query:"uses_cursor" maxLength:"42" doc:"uses_next_cursor of the answer before; empty for the newest uses"`
}

func (m *Module) registerAPI(s *web.Server) {
	huma.Register(s.API(), huma.Operation{
		OperationID: "verify-certificate", Method: http.MethodGet, Path: web.APIPrefix + "/certificates/verify/{token}",
		Summary: "Verify a certificate", Description: "Public, no sign-in: the verdict (valid, revoked, expired, not_yet_valid or forged) " +
			"and the certificate's public facts. Never contains an identity number; a person's name is masked. " +
			"An unknown or tampered token is answered 200 with verdict forged.",
		Tags: []string{"certificate"},
	}, func(ctx context.Context, in *verifyInput) (*verifyOutput, error) {
		res, err := m.Verify(ctx, in.Token)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &verifyOutput{CacheControl: "no-store", Body: *res}, nil
	})

	huma.Register(s.API(), huma.Operation{
		OperationID: "my-certificates", Method: http.MethodGet, Path: web.APIPrefix + "/certificates/mine",
		Summary: "My certificates", Description: "The caller's own certificates (as a person or for their enterprise), the log of their use by departments and the consents given.",
		Tags: []string{"certificate"}, Security: web.Secured(), Errors: []int{401, 403},
	}, func(ctx context.Context, in *mineInput) (*mineOutput, error) {
		a, err := s.Actor(ctx, auth.RoleCitizen, auth.RoleEnterprise)
		if err != nil {
			return nil, err
		}
		after, err := store.ParseCursor(in.UsesCursor)
		if err != nil {
			return nil, huma.Error400BadRequest("uses_cursor 无效 (malformed cursor)")
		}
		certsAfter, err := store.ParseCursor(in.CertsCursor)
		if err != nil {
			return nil, huma.Error400BadRequest("certificates_cursor 无效 (malformed cursor)")
		}
		out := &mineOutput{}
		b := &out.Body
		certs, cpg, err := m.Held(ctx, a, Query{Limit: 200, After: certsAfter})
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		b.Certificates, b.CertsTotal, b.CertsNext = certs, cpg.Count, cpg.Next.String()
		uses, pg, err := m.Uses(ctx, a, 200, after)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		b.Uses, b.UsesTotal, b.UsesNext = uses, pg.Count, pg.Next.String()
		if b.Consents, err = m.Consents(ctx, a); err != nil {
			return nil, s.Problem(ctx, err)
		}
		b.Certificates, b.Uses, b.Consents = nonNil(b.Certificates), nonNil(b.Uses), nonNil(b.Consents)
		return out, nil
	})

	huma.Register(s.API(), huma.Operation{
		OperationID: "get-certificate", Method: http.MethodGet, Path: web.APIPrefix + "/certificates/{id}",
		Summary: "A certificate", Description: "For its issuing department, region-wide staff and its holder; others get 404. The identity number is masked.",
		Tags: []string{"certificate"}, Security: web.Secured(), Errors: []int{401, 404},
	}, func(ctx context.Context, in *idInput) (*certOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		c, err := m.Get(ctx, in.ID, a)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &certOutput{Body: *c}, nil
	})
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}
