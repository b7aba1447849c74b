package warning

import (
	"context"
	"fmt"

	"github.com/yingshang/yingshang/internal/store"
)

// SeedDemo raises the demo's warnings: a sweep over the demo's credit
// information, register and certificates (the demo enterprise has filed no
// annual report this year), and a risk class drop of the demo enterprise
// from B to C, as the risk module would report it, so that the market
// regulator has warnings to handle and the enterprise a risk prompt.
func SeedDemo(ctx context.Context, m *Module, enterprise, region string) error {
	if _, err := m.Sweep(ctx); err != nil {
		return fmt.Errorf("warning: demo sweep: %w", err)
	}
	return m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := m.ClassChanged(ctx, tx, enterprise, region, "B", "C"); err != nil {
			return fmt.Errorf("warning: demo class: %w", err)
		}
		return nil
	})
}
