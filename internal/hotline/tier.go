package hotline

import (
	"strings"

	"github.com/yingshang/yingshang/internal/flow"
)

// SignTier is the sign-for tier (签收时限档次) of a work order. Local rules
// (hotline-12345.md, Tianjin 2024) give the handling unit 15 minutes to sign
// for an order where life or property is in danger, 30 minutes for a water,
// power, gas or heating outage, and 1 working day otherwise; an urgent
// order is also handled the same day.
//
// The tier follows from the order's urgency and category. Neither changes
// after intake, so the workflow definition of the tier is chosen when the
// order is taken in; its sign-for clock starts at dispatch, and the overdue
// list and the 三单一函 ladder run on it.
type SignTier string

// The tiers, most pressing first.
const (
	// TierDanger: danger to life or property (the order is urgent).
	TierDanger SignTier = "danger"
	// TierUtility: an outage of water, power, gas or heating (the
	// category is one of Settings.UtilityCategories).
	TierUtility SignTier = "utility"
	// TierNormal: every other order.
	TierNormal SignTier = "normal"
)

// SignTiers lists the tiers in the order the pages show them.
var SignTiers = []SignTier{TierDanger, TierUtility, TierNormal}

// Tier returns the sign-for tier of an order of the given urgency and
// category: danger when urgent, utility when the category or one of its
// ancestors is a utility-outage category of the settings, normal otherwise.
func (s Settings) Tier(urgent bool, category string) SignTier {
	if urgent {
		return TierDanger
	}
	for _, c := range s.UtilityCategories {
		// A field code (XXYY00) covers its matters, a domain (XX0000) its
		// fields; a matter only itself.
		if prefix := strings.TrimRight(c, "0"); c == category || (len(prefix)%2 == 0 && len(prefix) < 6 && strings.HasPrefix(category, prefix)) {
			return TierUtility
		}
	}
	return TierNormal
}

// UtilityCodes lists the utility-outage categories, as read.
func (s Settings) UtilityCodes() string { return strings.Join(s.UtilityCategories, "、") }

// tierLimits returns the sign-for and handling limits of tier for the
// limits l of a request type: the normal tier takes the type's own limits,
// the danger tier the type's urgent sign-for limit and the settings'
// urgent handling limit (the same day by default), the utility tier the
// settings' utility sign-for limit and the type's handling limit.
func (s Settings) tierLimits(l Limits, tier SignTier) (sign, handle flow.Limit) {
	switch tier {
	case TierDanger:
		return l.UrgentSignFor, s.UrgentHandle
	case TierUtility:
		return s.UtilitySignFor, l.Handle
	}
	return l.SignFor, l.Handle
}

// TierDefinitionKey returns the workflow definition an order of type t and
// sign-for tier runs on: "hotline.complaint" for the normal tier,
// "hotline.complaint.urgent" for danger (the key DefinitionKey gives an
// urgent order) and "hotline.complaint.utility" for an outage.
func TierDefinitionKey(t Type, tier SignTier) string {
	switch tier {
	case TierDanger:
		return DefinitionKey(t, true)
	case TierUtility:
		return "hotline." + string(t) + ".utility"
	}
	return DefinitionKey(t, false)
}
