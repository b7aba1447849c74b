package auth

import "context"

// ExternalIdentity is an identity an external provider has verified, such as
// the claims of an OpenID Connect ID token from a provincial government
// identity platform (e.g. a 政务服务网 unified sign-in) or the e-business
// licence service.
type ExternalIdentity struct {
	Provider string // configured provider name, e.g. "zwfw"
	Issuer   string // the OIDC "iss" claim
	Subject  string // the OIDC "sub" claim: stable per user and issuer
	Name     string
	Phone    string // only when the provider verified it
	// CitizenID and USCC are present when the provider vouches for them
	// (real-name authenticated citizens, enterprises signing with their
	// e-licence).
	CitizenID string
	USCC      string
	Claims    map[string]any // the raw verified claims
}

// IdentityProvider is the seam for signing in through an external identity
// provider. An implementation runs the provider's protocol (for OIDC: the
// authorisation code flow with PKCE, then ID token verification against the
// issuer's keys) and hands a verified identity to Resolve, which maps it to a
// local user: by a stored (issuer, subject) link when one exists, otherwise
// by the verified citizen ID or USCC through org's blind index, creating a
// citizen or enterprise user when policy allows. The web layer then calls
// Service.StartSession with the user id. No implementation ships yet.
type IdentityProvider interface {
	// Name is the provider's configured name, shown on the sign-in page.
	Name() string
	// AuthURL returns where to send the browser to sign in; state and
	// nonce are bound to the browser's pending sign-in.
	AuthURL(state, nonce string) string
	// Exchange completes the sign-in from the provider's callback and
	// returns the verified identity.
	Exchange(ctx context.Context, code, nonce string) (*ExternalIdentity, error)
	// Resolve maps a verified identity to a local user id. It returns an
	// error matching ErrNotFound when no user may be matched or created.
	Resolve(ctx context.Context, id *ExternalIdentity) (userID int64, err error)
}
