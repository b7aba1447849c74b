package notify

import (
	"context"
	"errors"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
)

type listInput struct {
	Unread bool   `query:"unread" doc:"Only messages the caller has not read"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"20"`
	Cursor string `query:"cursor" maxLength:"42" doc:"next_cursor of the page before; empty for the first page"`
}

// MessageList is one page of the caller's messages, newest first.
type MessageList struct {
	Items      []Message `json:"items"`
	Total      int       `json:"total" doc:"Messages matching the query, counted up to 1001 (1001 means more than 1000)"`
	Unread     int       `json:"unread" doc:"Unread messages in all, counted up to 1001"`
	NextCursor string    `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page"`
}

type listOutput struct{ Body MessageList }

type readInput struct {
	ID int64 `path:"id" minimum:"1"`
}

// ReadAllResult says how many messages were marked read.
type ReadAllResult struct {
	Marked int `json:"marked"`
}

type readAllOutput struct{ Body ReadAllResult }

func (s *Service) registerAPI(srv *web.Server) {
	huma.Register(srv.API(), huma.Operation{
		OperationID: "list-messages", Method: http.MethodGet, Path: web.APIPrefix + "/messages",
		Summary:     "My messages",
		Description: "The caller's in-app messages and those of their departments, newest first, with the caller's read times.",
		Tags:        []string{"notify"}, Security: web.Secured(), Errors: []int{401},
	}, func(ctx context.Context, in *listInput) (*listOutput, error) {
		a, err := srv.Actor(ctx)
		if err != nil {
			return nil, err
		}
		after, err := store.ParseCursor(in.Cursor)
		if err != nil {
			return nil, huma.Error400BadRequest("cursor 无效 (malformed cursor)")
		}
		msgs, pg, err := s.List(ctx, a, Query{Unread: in.Unread, Limit: in.Limit, After: after})
		if err != nil {
			return nil, srv.Problem(ctx, err)
		}
		unread, err := s.Unread(ctx, a)
		if err != nil {
			return nil, srv.Problem(ctx, err)
		}
		return &listOutput{Body: MessageList{Items: msgs, Total: pg.Count, Unread: unread, NextCursor: pg.Next.String()}}, nil
	})

	huma.Register(srv.API(), huma.Operation{
		OperationID: "read-message", Method: http.MethodPost, Path: web.APIPrefix + "/messages/{id}/read",
		Summary:     "Mark a message read",
		Description: "Marks one message read for the caller. A message the caller may not see is reported as not found.",
		Tags:        []string{"notify"}, Security: web.Secured(), Errors: []int{401, 404}, DefaultStatus: http.StatusNoContent,
	}, func(ctx context.Context, in *readInput) (*struct{}, error) {
		a, err := srv.Actor(ctx)
		if err != nil {
			return nil, err
		}
		if err := s.MarkRead(ctx, a, in.ID); err != nil {
			if errors.Is(err, ErrNotFound) {
				return nil, huma.Error404NotFound("消息不存在 (message not found)")
			}
			return nil, srv.Problem(ctx, err)
		}
		return nil, nil
	})

	huma.Register(srv.API(), huma.Operation{
		OperationID: "read-all-messages", Method: http.MethodPost, Path: web.APIPrefix + "/messages/read-all",
		Summary:     "Mark all messages read",
		Description: "Marks every message the caller may see as read and says how many were unread.",
		Tags:        []string{"notify"}, Security: web.Secured(), Errors: []int{401},
	}, func(ctx context.Context, _ *struct{}) (*readAllOutput, error) {
		a, err := srv.Actor(ctx)
		if err != nil {
			return nil, err
		}
		n, err := s.MarkAllRead(ctx, a)
		if err != nil {
			return nil, srv.Problem(ctx, err)
		}
		return &readAllOutput{Body: ReadAllResult{Marked: n}}, nil
	})
}
