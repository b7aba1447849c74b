package org

import (
	"context"
	"fmt"
	"slices"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
)

// checkRegistered refuses to link an enterprise account to a code the
// register of businesses does not hold (Service.Registered), so that an
// enterprise user always acts for a business that exists. Without
// Registered (tests of org alone) any valid code is accepted.
func (s *Service) checkRegistered(ctx context.Context, db store.IDB, pf *profile, pr *problems) error {
	if s.Registered == nil || pf.USCC == "" || !slices.Contains(pf.Roles, auth.RoleEnterprise) {
		return nil
	}
	ok, err := s.Registered(ctx, db, pf.USCC)
	if err != nil {
		return fmt.Errorf("org: is %s registered: %w", pf.USCC, err)
	}
	if !ok {
		pr.add("uscc", CodeUnknown, "经营主体名录中没有该统一社会信用代码 (no business with this code in the register)")
	}
	return nil
}
