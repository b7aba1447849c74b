package hotline

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"github.com/yingshang/yingshang/internal/auth"
)

// seedSubmissions files the demo's web requests, so the citizen and the
// business find one of each among their own: 张三's complaint with a photo
// and a pin, and the restaurant's appeal about an unpaid bill (its USCC
// taken from the account). users maps demo usernames to ids; a missing
// account is skipped.
func (m *Module) seedSubmissions(ctx context.Context, users map[string]int64) error {
	actor := func(name string) *auth.Actor {
		id, ok := users[name]
		if !ok {
			return nil
		}
		u, err := m.d.Org.GetUser(ctx, id)
		if err != nil {
			return nil
		}
		return &auth.Actor{UserID: u.ID, Name: u.DisplayName, Roles: u.Roles, RegionCode: u.RegionCode, USCC: u.USCC}
	}
	img := image.NewRGBA(image.Rect(0, 0, 160, 120))
	for x := 0; x < 160; x++ {
		for y := 0; y < 120; y++ {
			img.Set(x, y, color.RGBA{uint8(90 + y/2), uint8(110 + x/4), 120, 255})
		}
	}
	var photo bytes.Buffer
	if err := png.Encode(&photo, img); err != nil {
		return fmt.Errorf("hotline: demo photo: %w", err)
	}
	lat, lng := 30.2741, 120.1551
	if a := actor("zhangsan"); a != nil {
		if _, err := m.Submit(ctx, a, Submission{Type: TypeComplaint, CategoryCode: "010101",
			Content: "江滨路人行道被流动摊贩长期占用，早晚高峰行人只能走机动车道，存在安全隐患。", RegionCode: "990102",
			Address: "临江区江滨路120号", Lat: &lat, Lng: &lng, Public: true,
			Photos: []Photo{{Name: "人行道.png", Data: photo.Bytes()}}}); err != nil {
			return fmt.Errorf("hotline: demo web request: %w", err)
		}
	}
	if a := actor("yunlan_food"); a != nil && a.USCC != "" {
		if _, err := m.Submit(ctx, a, Submission{Type: TypeAppealArrears, CategoryCode: "070101",
			Content:    "本店2025年为区属单位承办的职工餐饮服务费8.6万元，合同约定验收后30日内支付，至今逾期未付。",
			RegionCode: "990102", Address: "临江区滨江路8号"}); err != nil {
			return fmt.Errorf("hotline: demo appeal: %w", err)
		}
	}
	return nil
}
