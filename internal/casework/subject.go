package casework

import (
	"context"
	"fmt"
	"strconv"

	"github.com/yingshang/yingshang/internal/auth"
)

// SubjectTypes lists the workflow subject types of applications: the
// application's own case and its commitment verification, both about the
// application (see inbox.Subject).
func (m *Module) SubjectTypes() []string {
	return []string{SubjectType, SubjectVerification, SubjectIssuance}
}

// AuthorizeSubject decides whether a may take act on application id, with
// the application's own policy: the same answer its own routes give.
func (m *Module) AuthorizeSubject(ctx context.Context, a *auth.Actor, act auth.Action, _ string, id int64) error {
	app, err := m.load(ctx, m.d.DB, id)
	if err != nil {
		return fmt.Errorf("casework: %w", err)
	}
	return m.d.Policy.Authorize(a, act, app.object())
}

// SubjectPage returns the page of application id, where its cases are
// worked.
func (m *Module) SubjectPage(_ string, id int64) string {
	return "/applications/" + strconv.FormatInt(id, 10)
}
