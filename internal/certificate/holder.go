package certificate

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/pii"
)

// HolderRef identifies a holder: a person by resident identity number, an
// enterprise by unified social credit code.
type HolderRef struct {
	Kind     HolderKind
	IDNumber string // person: GB 11643 identity number
	USCC     string // enterprise: GB 32100 code
}

// PersonRef is the reference of the person with identity number id.
func PersonRef(id string) HolderRef { return HolderRef{Kind: HolderPerson, IDNumber: id} }

// EnterpriseRef is the reference of the enterprise with code uscc.
func EnterpriseRef(uscc string) HolderRef { return HolderRef{Kind: HolderEnterprise, USCC: uscc} }

// Holder is who a certificate is issued to.
type Holder struct {
	HolderRef
	Name string
	// UserID is the holder's platform account, when known; the holder is
	// found by number either way.
	UserID int64
}

// Person returns a person holder.
func Person(name, id string) Holder { return Holder{HolderRef: PersonRef(id), Name: name} }

// Enterprise returns an enterprise holder.
func Enterprise(name, uscc string) Holder { return Holder{HolderRef: EnterpriseRef(uscc), Name: name} }

// normalize validates the reference and returns it in canonical form.
func (r HolderRef) normalize(field string) (HolderRef, error) {
	switch r.Kind {
	case HolderPerson:
		r.IDNumber, r.USCC = ids.NormalizeCitizenID(r.IDNumber), ""
		if ids.ValidateCitizenID(r.IDNumber) != nil {
			return r, invalid(field+".id_number", "身份证号码有误 (invalid resident identity number, GB 11643)")
		}
	case HolderEnterprise:
		r.USCC, r.IDNumber = ids.NormalizeUSCC(r.USCC), ""
		if ids.ValidateUSCC(r.USCC) != nil {
			return r, invalid(field+".uscc", "统一社会信用代码有误 (invalid unified social credit code, GB 32100)")
		}
	default:
		return r, invalid(field+".kind", "持证主体须为自然人或企业 (holder kind must be person or enterprise)")
	}
	return r, nil
}

// key is the stored lookup key of a normalised reference: the blind index
// of a person's number (never the number itself), an enterprise's code.
func (r HolderRef) key(box *pii.Box) string {
	if r.Kind == HolderPerson {
		return "p:" + box.Index(r.IDNumber)
	}
	return "e:" + r.USCC
}

func (h Holder) normalize() (Holder, []error) {
	var ps []error
	ref, err := h.HolderRef.normalize("holder")
	if err != nil {
		ps = append(ps, err)
	}
	h.HolderRef = ref
	h.Name = strings.TrimSpace(h.Name)
	if h.Name == "" || utf8.RuneCountInString(h.Name) > 100 {
		ps = append(ps, invalid("holder.name", "持证人名称必填，不超过100字 (holder name required, at most 100 characters)"))
	}
	return h, ps
}

// PublicName is how a holder is named on public pages: a person's family
// name only (张*), an enterprise in full.
func PublicName(kind HolderKind, name string) string {
	if kind == HolderEnterprise {
		return name
	}
	return pii.MaskName(name)
}

// holderKeys returns the lookup keys of the certificates the actor holds:
// their enterprise's, or their own as a person (found through their
// identity number on file). A staff actor holds none.
func (s *Service) holderKeys(ctx context.Context, a *auth.Actor) ([]string, error) {
	if a == nil || a.UserID == 0 {
		return nil, nil
	}
	var keys []string
	if a.Has(auth.RoleEnterprise) && a.USCC != "" {
		keys = append(keys, "e:"+ids.NormalizeUSCC(a.USCC))
	}
	if a.Has(auth.RoleCitizen) {
		// The holder's own number is read only to match it, never shown.
		rev, err := s.d.Org.Reveal(ctx, s.d.DB, a.UserID)
		if err != nil {
			return nil, err
		}
		if rev.CitizenID != "" {
			keys = append(keys, "p:"+s.d.Box.Index(ids.NormalizeCitizenID(rev.CitizenID)))
		}
	}
	return keys, nil
}
