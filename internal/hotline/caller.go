package hotline

import "context"

// CallerRef is how to reach the caller of an order: their account, if they
// have one, else their phone number, sealed and by blind index (never in
// clear). Notifications use it to tell callers about replies and
// extensions.
type CallerRef struct {
	UserID      int64
	Number      string // the order's number
	RegionCode  string
	PhoneSealed string
	PhoneIndex  string
	// Track is the tracking link of an order filed on the web without an
	// account ("" otherwise): messages to its submitter carry it.
	Track string
}

// Caller returns the caller of order id. It is for the platform's own
// services (notifications), not for people: it checks no scope.
func (m *Module) Caller(ctx context.Context, id int64) (CallerRef, error) {
	o, err := m.load(ctx, m.d.DB, id)
	if err != nil {
		return CallerRef{}, err
	}
	return CallerRef{UserID: o.CallerUserID, Number: o.Number, RegionCode: o.RegionCode,
		PhoneSealed: o.phoneSealed, PhoneIndex: o.phoneIndex, Track: m.TrackLink(ctx, id)}, nil
}
