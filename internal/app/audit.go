package app

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/web"
)

// Public addresses of the audit log's signed tree heads and of the key that
// signs them. They sit outside APIPrefix, as a transparency log's do, so
// monitors keep them through API versions; they hold no personal data
// (sizes, roots, times) and need no sign-in.
const (
	auditHeadsPath = "/audit/heads"
	auditKeyPath   = "/audit/key"
)

type headsInput struct {
	Limit  int `query:"limit" minimum:"1" maximum:"500" default:"50"`
	Offset int `query:"offset" minimum:"0" default:"0"`
}

type headsOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         struct {
		Latest *audit.TreeHead  `json:"latest" doc:"The head of the largest tree; null before the first head is signed"`
		Heads  []audit.TreeHead `json:"heads" doc:"One page of the signed heads, largest tree first"`
		Total  int              `json:"total"`
	}
}

type keyOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         audit.PublicKey
}

// auditModule publishes the signed tree heads and the public key, so that
// anyone can keep copies of the heads and check proofs against them.
func (a *App) auditModule() web.Module {
	return web.ModuleFunc(func(s *web.Server) error {
		huma.Register(s.API(), huma.Operation{
			OperationID: "list-audit-tree-heads", Method: http.MethodGet, Path: auditHeadsPath,
			Summary: "Signed audit tree heads",
			Description: "Public, no sign-in: the signed heads of the audit log's Merkle tree (RFC 6962), latest first. " +
				"Keep copies: `yingshang audit verify --head` checks the log against them, `yingshang audit check-proof` " +
				"checks proofs against them offline with the key from " + auditKeyPath + ".",
			Tags: []string{"audit"},
		}, func(ctx context.Context, in *headsInput) (*headsOutput, error) {
			hs, total, err := audit.ListHeads(ctx, a.DB, in.Limit, in.Offset)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			latest, err := audit.LatestHead(ctx, a.DB)
			if err != nil {
				return nil, s.Problem(ctx, err)
			}
			out := &headsOutput{CacheControl: "no-cache"}
			out.Body.Latest, out.Body.Heads, out.Body.Total = latest, hs, total
			if out.Body.Heads == nil {
				out.Body.Heads = []audit.TreeHead{}
			}
			return out, nil
		})
		huma.Register(s.API(), huma.Operation{
			OperationID: "get-audit-key", Method: http.MethodGet, Path: auditKeyPath,
			Summary:     "Key signing the audit tree heads",
			Description: "Public, no sign-in: the Ed25519 public key whose id signed heads name in key_id.",
			Tags:        []string{"audit"},
		}, func(ctx context.Context, _ *struct{}) (*keyOutput, error) {
			return &keyOutput{CacheControl: "max-age=3600", Body: audit.PublicKeyOf(a.Heads.PublicKey())}, nil
		})
		return nil
	})
}
