package certificate

import (
	"context"
	"fmt"

	"github.com/yingshang/yingshang/internal/auth"
)

// SubjectTypes lists the workflow subject type of verification requests,
// so the inbox authorises their tasks as requests (see inbox.Subject).
func (s *Service) SubjectTypes() []string { return []string{SubjectVerification} }

// AuthorizeSubject decides whether a may take act on verification request
// id, with the request's own policy: the same answer its page gives.
func (s *Service) AuthorizeSubject(ctx context.Context, a *auth.Actor, act auth.Action, _ string, id int64) error {
	v, err := s.verification(ctx, s.d.DB, id)
	if err != nil {
		return fmt.Errorf("certificate: verification %d: %w", id, err)
	}
	return s.d.Policy.Authorize(a, act, v.object())
}

// SubjectPage returns "": a verification task is worked on the inbox's
// case page, like any case without a page of its own.
func (s *Service) SubjectPage(string, int64) string { return "" }
