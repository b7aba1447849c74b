package hotline

import (
	"context"
	"fmt"
	"strconv"

	"github.com/yingshang/yingshang/internal/auth"
)

// SubjectTypes lists the workflow subject type of work orders, so the inbox
// authorises their cases as orders (see inbox.Subject).
func (m *Module) SubjectTypes() []string { return []string{Kind} }

// AuthorizeSubject decides whether a may take act on order id, with the
// policy of the order itself: the same answer the order's own routes give.
func (m *Module) AuthorizeSubject(ctx context.Context, a *auth.Actor, act auth.Action, _ string, id int64) error {
	o, err := m.load(ctx, m.d.DB, id)
	if err != nil {
		return fmt.Errorf("hotline: order %d: %w", id, err)
	}
	return m.d.Policy.Authorize(a, act, o.Object())
}

// SubjectPage returns the page of order id, where its cases are worked.
func (m *Module) SubjectPage(_ string, id int64) string {
	return "/hotline/orders/" + strconv.FormatInt(id, 10)
}
