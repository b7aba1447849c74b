package enforcement

import (
	"context"
	"strconv"

	"github.com/yingshang/yingshang/internal/auth"
)

// SubjectTypes lists the flow subject types whose cases the module owns:
// the inbox authorises them as penalty cases and links to their pages.
func (m *Module) SubjectTypes() []string { return []string{SubjectType} }

// AuthorizeSubject decides whether a may see case id as the module's own
// pages decide; acting on it happens on those pages, which check the step's
// roles themselves.
func (m *Module) AuthorizeSubject(ctx context.Context, a *auth.Actor, act auth.Action, subjectType string, id int64) error {
	_, err := m.Get(ctx, a, id, "zh-CN")
	return err
}

// SubjectPage returns the case's page.
func (m *Module) SubjectPage(subjectType string, id int64) string {
	return "/enforcement/cases/" + strconv.FormatInt(id, 10)
}
