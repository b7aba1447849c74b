package knowledge

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
)

type suggestInput struct {
	Q string `query:"q" maxLength:"2000" doc:"What the caller said, in their words"`
}

// SuggestList is the answer to the suggestion endpoint.
type SuggestList struct {
	Items []hotline.KnowledgeHit `json:"items"`
}

type suggestOutput struct{ Body SuggestList }

type listInput struct {
	Q          string `query:"q" maxLength:"100" doc:"Words in the title, phrasings, tags or answer"`
	Category   string `query:"category" pattern:"^([0-9]{6})?$" doc:"Category code; includes the categories below it"`
	Department int64  `query:"department" minimum:"0"`
	Status     string `query:"status" enum:"draft,published,archived,"`
	Expiring   bool   `query:"expiring" doc:"Only articles whose validity ends within 30 days"`
	Limit      int    `query:"limit" minimum:"1" maximum:"200" default:"20"`
	Cursor     string `query:"cursor" maxLength:"42" doc:"next_cursor of the page before; empty for the first page"`
}

// ArticleList is one page of articles.
type ArticleList struct {
	Items      []*Article `json:"items"`
	Total      int        `json:"total" doc:"Articles matching, counted up to 1001 (1001 means more than 1000)"`
	NextCursor string     `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page"`
}

type listOutput struct{ Body ArticleList }

type idInput struct {
	ID int64 `path:"id" minimum:"1"`
}

type articleOutput struct{ Body *Article }

type createInput struct{ Body Draft }

// UpdateRequest replaces an article's working copy.
type UpdateRequest struct {
	Rev int64 `json:"rev,omitempty" doc:"The rev the editor saw; 0 skips the check"`
	Draft
}

type updateInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body UpdateRequest
}

// ActionRequest publishes or archives an article.
type ActionRequest struct {
	Rev  int64  `json:"rev,omitempty" doc:"The rev the caller saw; 0 skips the check"`
	Note string `json:"note,omitempty" maxLength:"500" doc:"What changed (publish only)"`
}

type actionInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body ActionRequest
}

type versionOutput struct{ Body *Version }

type versionsOutput struct {
	Body struct {
		Items []*Version `json:"items"`
	}
}

type versionInput struct {
	ID      int64 `path:"id" minimum:"1"`
	Version int   `path:"version" minimum:"1"`
}

type diffOutput struct{ Body *VersionDiff }

type faqInput struct {
	Q        string `query:"q" maxLength:"100"`
	Category string `query:"category" pattern:"^([0-9]{6})?$"`
	Limit    int    `query:"limit" minimum:"1" maximum:"200" default:"20"`
	Offset   int    `query:"offset" minimum:"0" default:"0"`
}

type faqOutput struct{ Body *PublicResult }

func (m *Module) registerAPI(s *web.Server) {
	api := s.API()
	base := web.APIPrefix + "/knowledge"
	huma.Register(api, huma.Operation{
		OperationID: "knowledge-suggest", Method: http.MethodGet, Path: base + "/suggest",
		Summary:     "Answers for what a caller said",
		Description: "The published, valid articles that best answer the text, best first (at most 5). Works for a few typed words and for a caller's whole sentence. Public.",
		Tags:        []string{"knowledge"},
	}, func(ctx context.Context, in *suggestInput) (*suggestOutput, error) {
		hits, err := m.Suggest(ctx, in.Q)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &suggestOutput{Body: SuggestList{Items: hits}}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "knowledge-faq", Method: http.MethodGet, Path: base + "/faq",
		Summary:     "The public FAQ",
		Description: "Published, valid articles: with q those holding every word, best first, or failing that the nearest ones (related=true); without q all, by category. Public.",
		Tags:        []string{"knowledge"},
	}, func(ctx context.Context, in *faqInput) (*faqOutput, error) {
		res, err := m.PublicList(ctx, PublicQuery{Q: in.Q, CategoryCode: in.Category, Limit: in.Limit, Offset: in.Offset})
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &faqOutput{Body: res}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "knowledge-faq-article", Method: http.MethodGet, Path: base + "/faq/{id}",
		Summary:     "One public FAQ article",
		Description: "The latest published version of an article that is valid now; 404 otherwise. Public.",
		Tags:        []string{"knowledge"}, Errors: []int{404},
	}, func(ctx context.Context, in *idInput) (*versionOutput, error) {
		v, err := m.PublicArticle(ctx, in.ID, false)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &versionOutput{Body: v}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-knowledge-articles", Method: http.MethodGet, Path: base + "/articles",
		Summary:     "Articles (staff)",
		Description: "Working copies within the caller's region or departments, most recently changed first.",
		Tags:        []string{"knowledge"}, Security: web.Secured(), Errors: []int{401, 403},
	}, func(ctx context.Context, in *listInput) (*listOutput, error) {
		a, err := s.Actor(ctx, staffRoles...)
		if err != nil {
			return nil, err
		}
		after, err := store.ParseCursor(in.Cursor)
		if err != nil {
			return nil, huma.Error400BadRequest("cursor 无效 (malformed cursor)")
		}
		items, pg, err := m.List(ctx, a, Query{Q: in.Q, CategoryCode: in.Category, DepartmentID: in.Department,
			Status: Status(in.Status), Expiring: in.Expiring, Limit: in.Limit, After: after})
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &listOutput{Body: ArticleList{Items: items, Total: pg.Count, NextCursor: pg.Next.String()}}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "create-knowledge-article", Method: http.MethodPost, Path: base + "/articles",
		Summary: "Create an article draft", DefaultStatus: http.StatusCreated,
		Description: "Saves a draft for a department the caller may write for. Invalid fields are a 422 naming each.",
		Tags:        []string{"knowledge"}, Security: web.Secured(), Errors: []int{401, 403, 422},
	}, func(ctx context.Context, in *createInput) (*web.Created[*Article], error) {
		a, err := s.Actor(ctx, editorRoles...)
		if err != nil {
			return nil, err
		}
		art, err := m.Create(ctx, a, in.Body)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &web.Created[*Article]{Location: web.Location("/knowledge/articles", art.ID), Body: art}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-knowledge-article", Method: http.MethodGet, Path: base + "/articles/{id}",
		Summary: "An article's working copy", Tags: []string{"knowledge"}, Security: web.Secured(), Errors: []int{401, 404},
	}, func(ctx context.Context, in *idInput) (*articleOutput, error) {
		a, err := s.Actor(ctx, staffRoles...)
		if err != nil {
			return nil, err
		}
		art, err := m.Get(ctx, a, in.ID)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &articleOutput{Body: art}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "update-knowledge-article", Method: http.MethodPut, Path: base + "/articles/{id}",
		Summary:     "Edit an article's working copy",
		Description: "Replaces the working copy; the public keep seeing the published version until the next publish.",
		Tags:        []string{"knowledge"}, Security: web.Secured(), Errors: []int{401, 403, 404, 409, 422},
	}, func(ctx context.Context, in *updateInput) (*articleOutput, error) {
		a, err := s.Actor(ctx, editorRoles...)
		if err != nil {
			return nil, err
		}
		art, err := m.Update(ctx, a, in.ID, in.Body.Rev, in.Body.Draft)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &articleOutput{Body: art}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "publish-knowledge-article", Method: http.MethodPost, Path: base + "/articles/{id}/publish",
		Summary:     "Publish the working copy as a new version",
		Description: "Snapshots the working copy as the next immutable version and indexes it. 409 when there is nothing to publish.",
		Tags:        []string{"knowledge"}, Security: web.Secured(), Errors: []int{401, 403, 404, 409, 422},
	}, func(ctx context.Context, in *actionInput) (*versionOutput, error) {
		a, err := s.Actor(ctx, editorRoles...)
		if err != nil {
			return nil, err
		}
		v, err := m.Publish(ctx, a, in.ID, in.Body.Rev, in.Body.Note)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &versionOutput{Body: v}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "archive-knowledge-article", Method: http.MethodPost, Path: base + "/articles/{id}/archive",
		Summary: "Archive an article", Description: "Withdraws it from suggestions and the FAQ; the history stays.",
		Tags: []string{"knowledge"}, Security: web.Secured(), Errors: []int{401, 403, 404, 409},
	}, func(ctx context.Context, in *actionInput) (*articleOutput, error) {
		a, err := s.Actor(ctx, editorRoles...)
		if err != nil {
			return nil, err
		}
		art, err := m.Archive(ctx, a, in.ID, in.Body.Rev)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &articleOutput{Body: art}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-knowledge-versions", Method: http.MethodGet, Path: base + "/articles/{id}/versions",
		Summary: "An article's published versions, newest first", Tags: []string{"knowledge"},
		Security: web.Secured(), Errors: []int{401, 404},
	}, func(ctx context.Context, in *idInput) (*versionsOutput, error) {
		a, err := s.Actor(ctx, staffRoles...)
		if err != nil {
			return nil, err
		}
		vs, err := m.Versions(ctx, a, in.ID)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		out := &versionsOutput{}
		out.Body.Items = vs
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-knowledge-version", Method: http.MethodGet, Path: base + "/articles/{id}/versions/{version}",
		Summary: "One version with its changes from the one before", Tags: []string{"knowledge"},
		Security: web.Secured(), Errors: []int{401, 404},
	}, func(ctx context.Context, in *versionInput) (*diffOutput, error) {
		a, err := s.Actor(ctx, staffRoles...)
		if err != nil {
			return nil, err
		}
		d, err := m.VersionWithDiff(ctx, a, in.ID, in.Version)
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		return &diffOutput{Body: d}, nil
	})
}
