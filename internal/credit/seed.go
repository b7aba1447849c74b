package credit

import (
	"context"
	"fmt"
	"strings"

	"github.com/yingshang/yingshang/internal/auth"
)

// SeedDemo grants the demo city's departments the kinds they write: the
// market-regulation bureaus (codes ending in -SCJG) every kind and both
// lists, the tax bureau 欠税, and every other department licences,
// penalties, inspection results, enforcement, honours, support and
// commitments. departments maps demo department codes to ids.
func SeedDemo(ctx context.Context, m *Module, departments map[string]int64) error {
	sys := auth.System()
	common := []string{string(KindLicense), string(KindPenalty), string(KindInspection), string(KindEnforcement),
		string(KindHonour), string(KindSupport), string(KindCommitment)}
	for code, id := range departments {
		var kinds []string
		switch {
		case strings.HasSuffix(code, "-SCJG"):
			for _, k := range AllKinds {
				kinds = append(kinds, string(k))
			}
			kinds = append(kinds, ListAbnormal, ListSerious)
		case code == "YL-SW":
			kinds = append(common, string(KindTaxArrears))
		case code == "YL-12345":
			kinds = []string{string(KindComplaint)}
		default:
			kinds = common
		}
		if err := m.Grant(ctx, sys, id, kinds...); err != nil {
			return fmt.Errorf("credit: seed %s: %w", code, err)
		}
	}
	return nil
}
