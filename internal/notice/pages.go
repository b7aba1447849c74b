package notice

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/certificate"
	"github.com/yingshang/yingshang/internal/web"
)

//go:embed all:templates
var templateFS embed.FS

//go:embed locales/*.json
var localeFS embed.FS

// Mount registers the pages, messages and API operations.
func (m *Module) Mount(s *web.Server) error {
	m.s = s
	loc, err := fs.Sub(localeFS, "locales")
	if err != nil {
		return err
	}
	if err := s.Bundle().Add("notice", loc); err != nil {
		return fmt.Errorf("notice: %w", err)
	}
	tpl, err := fs.Sub(templateFS, "templates")
	if err != nil {
		return err
	}
	if err := s.AddPages(tpl, "notice"); err != nil {
		return fmt.Errorf("notice: %w", err)
	}
	// The printable document: whoever may read the case.
	s.Handle("GET /notices/{id}", s.RequireActor(http.HandlerFunc(m.viewPage)))
	// Public: anyone shown the document may check it by its QR code.
	s.HandleFunc("GET /notices/verify/{token}", m.verifyPage)
	s.HandleFunc("GET /notices/verify/{token}/qr", m.qrCode)
	m.registerAPI(s)
	return nil
}

// fail answers err as a page.
func (m *Module) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch st := web.StatusOf(err); st {
	case http.StatusNotFound, http.StatusUnauthorized, http.StatusForbidden:
		m.s.Error(w, r, st, "web.problem."+strconv.Itoa(st))
	default:
		m.s.Logger().ErrorContext(r.Context(), "notice", "err", err, "route", r.Pattern)
		m.s.Error(w, r, http.StatusInternalServerError, "")
	}
}

// host is scheme://host of r, for the QR code when no base URL is set.
func host(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// viewData is the printable document or its public check.
type viewData struct {
	Notice *Notice
	// Summary is all the public check shows.
	Summary Summary
	QR      template.HTML
	URL     string
	Public  bool
}

func (m *Module) viewPage(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		m.fail(w, r, auth.ErrNotFound)
		return
	}
	n, err := m.Get(r.Context(), auth.FromContext(r.Context()), id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	u := m.verifyURL(host(r), n.Token)
	qr, err := certificate.QRSVG(u)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.Render(w, r, "notice/view.html", viewData{Notice: n, QR: template.HTML(qr), URL: u})
}

// verifyPage is the public page a document's QR code opens: whether the
// document is genuine, and its public facts only (not the reasons).
func (m *Module) verifyPage(w http.ResponseWriter, r *http.Request) {
	n, err := m.Verify(r.Context(), r.PathValue("token"))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if !n.Genuine {
		status = http.StatusConflict
	}
	w.Header().Set("Cache-Control", "no-store")
	m.s.RenderStatus(w, r, status, "notice/verify.html", viewData{Summary: n.Public(), Public: true,
		URL: m.verifyURL(host(r), n.Token)})
}

// qrCode draws the QR code of a document's check, for a token that
// verifies.
func (m *Module) qrCode(w http.ResponseWriter, r *http.Request) {
	n, err := m.Verify(r.Context(), r.PathValue("token"))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	svg, err := certificate.QRSVG(m.verifyURL(host(r), n.Token))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(svg)
}

type tokenInput struct {
	Token string `path:"token" maxLength:"32" doc:"Token of the document's QR code"`
}

type summaryOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         Summary
}

type appInput struct {
	ID int64 `path:"id" minimum:"1"`
}

type listOutput struct {
	Body struct {
		Items []Notice `json:"items"`
	}
}

type idInput struct {
	ID int64 `path:"id" minimum:"1"`
}

type noticeOutput struct{ Body Notice }

func (m *Module) registerAPI(s *web.Server) {
	huma.Register(s.API(), huma.Operation{
		OperationID: "verify-notice", Method: http.MethodGet, Path: web.APIPrefix + "/notices/verify/{token}",
		Summary: "Verify an applicant's document",
		Description: "Public, no sign-in: whether the 受理通知书, 补正材料通知书, decision or other document with this QR token " +
			"is genuine (its signature holds over what was issued), with its public facts only: no reasons, no materials, " +
			"a person's name masked. An unknown or tampered token answers 404.",
		Tags: []string{"notice"}, Errors: []int{404},
	}, func(ctx context.Context, in *tokenInput) (*summaryOutput, error) {
		n, err := m.Verify(ctx, in.Token)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &summaryOutput{CacheControl: "no-store", Body: n.Public()}, nil
	})
	huma.Register(s.API(), huma.Operation{
		OperationID: "list-application-notices", Method: http.MethodGet, Path: web.APIPrefix + "/applications/{id}/notices",
		Summary:     "Documents of an application",
		Description: "The documents issued on the application, oldest first, to whoever may read the application.",
		Tags:        []string{"notice"}, Security: web.Secured(), Errors: []int{401, 404},
	}, func(ctx context.Context, in *appInput) (*listOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		ns, err := m.List(ctx, a, in.ID)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		out := &listOutput{}
		out.Body.Items = ns
		return out, nil
	})
	huma.Register(s.API(), huma.Operation{
		OperationID: "get-notice", Method: http.MethodGet, Path: web.APIPrefix + "/notices/{id}",
		Summary:     "One document",
		Description: "A document as issued (its signed content) and whether its signature holds, to whoever may read its application.",
		Tags:        []string{"notice"}, Security: web.Secured(), Errors: []int{401, 404},
	}, func(ctx context.Context, in *idInput) (*noticeOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		n, err := m.Get(ctx, a, in.ID)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &noticeOutput{Body: *n}, nil
	})
}
