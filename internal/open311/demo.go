package open311

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/store"
)

// DemoUsername is the machine user whose API token is the demo api_key.
const DemoUsername = "open311_client"

// DemoAPIKey creates the machine user "open311_client" (role
// hotline_operator, region regionCode, a random password nobody knows) and
// an API token for it, and returns the token: the api_key the demo prints
// for Open311 clients. It fails if the user already exists.
func DemoAPIKey(ctx context.Context, db *store.DB, orgs *org.Service, sessions *auth.Service, regionCode string) (string, error) {
	pw := make([]byte, 24)
	if _, err := rand.Read(pw); err != nil {
		return "", fmt.Errorf("open311: demo api key: %w", err)
	}
	var userID int64
	err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		u, err := orgs.CreateUser(ctx, tx, org.NewUser{Username: DemoUsername, DisplayName: "Open311接入客户端",
			Password: "O311-" + hex.EncodeToString(pw), Roles: []auth.Role{auth.RoleOperator}, RegionCode: regionCode})
		if err != nil {
			return err
		}
		userID = u.ID
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("open311: demo api key: %w", err)
	}
	token, _, err := sessions.CreateAPIToken(ctx, userID, "Open311", 0)
	if err != nil {
		return "", fmt.Errorf("open311: demo api key: %w", err)
	}
	return token, nil
}
