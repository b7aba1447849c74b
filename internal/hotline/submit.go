package hotline

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // DecodeConfig of submitted photos
	_ "image/png"
	"math"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
)

// Web submission (网上诉求): citizens and businesses file their own
// requests, signed in or not, with photos and a map pin, and follow them
// to the end: signed in on /hotline/mine/{id}, anonymously by a tracking
// link whose token is a bearer secret (only its keyed hash is stored).

// Photo limits: a request takes at most MaxPhotos photos at filing and
// MaxPhotosTotal with those added later, each at most MaxPhotoSize.
const (
	MaxPhotos      = 3
	MaxPhotosTotal = 6
	MaxPhotoSize   = 5 << 20
	maxPhotoPixels = 10000 // per side
	maxInfo        = 2000
	// similarDays is how far back the "similar open requests nearby"
	// hint looks; similarMetres is what counts as nearby with a pin.
	similarDays   = 30
	similarMetres = 1000.0
)

// photoTypes are the content types accepted, judged by the bytes.
var photoTypes = []string{"image/jpeg", "image/png"}

// Photo is a photo as uploaded.
type Photo struct {
	Name string
	Data []byte
}

// PhotoRef is a stored photo of an order.
type PhotoRef struct {
	OrderID     int64     `json:"order_id"`
	Position    int       `json:"position"`
	SHA256      string    `json:"sha256"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	CreatedAt   time.Time `json:"created_at"`
}

// Submission is what a citizen or a business files on the web.
type Submission struct {
	Type         Type
	CategoryCode string
	Title        string
	Content      string
	CallerName   string
	CallerPhone  string // required without an account; the account's own number otherwise
	RegionCode   string
	Address      string
	Lat, Lng     *float64
	Confidential bool
	// Public is the submitter's consent that the request (masked) be shown
	// in public listings.
	Public bool
	Photos []Photo
}

// SubmitResult is the order filed and, for a submitter without an
// account, the path of the tracking link (shown once, never logged).
type SubmitResult struct {
	Order *Order
	Track string
}

// anonymousSubmitter is the actor of a request filed without signing in.
func anonymousSubmitter() *auth.Actor {
	return &auth.Actor{Name: "市民（网站，未登录）", Roles: []auth.Role{auth.RoleSystem}}
}

// Submit files a request from the web for a (nil when not signed in): the
// photos are checked (count, size, content judged by the bytes) and their
// metadata removed before anything is stored; a signed-in citizen or
// business owns the order, and an enterprise appeal carries the USCC of
// the business's account. A submitter without an account gets a tracking
// link.
func (m *Module) Submit(ctx context.Context, a *auth.Actor, in Submission) (*SubmitResult, error) {
	signed := a != nil && a.HasAny(auth.RoleCitizen, auth.RoleEnterprise)
	if a != nil && !signed {
		return nil, fmt.Errorf("hotline: submit: only citizens and businesses file on the web: %w", auth.ErrForbidden)
	}
	var p problems
	n := NewOrder{Channel: ChannelWeb, Type: in.Type, CategoryCode: in.CategoryCode, Title: in.Title, Content: in.Content,
		CallerName: in.CallerName, CallerPhone: in.CallerPhone, RegionCode: in.RegionCode, Address: in.Address,
		Lat: in.Lat, Lng: in.Lng, Confidential: in.Confidential, NotPublic: !in.Public}
	actor := anonymousSubmitter()
	if signed {
		actor = a
		n.CallerUserID = a.UserID
		if n.CallerName == "" {
			n.CallerName = a.Name
		}
		if a.Has(auth.RoleEnterprise) {
			n.USCC = a.USCC
			if in.Type.Appeal() && a.USCC == "" {
				p.add("type", "企业账户未登记统一社会信用代码，暂不能提交涉企诉求 (the business account has no USCC)")
			}
		} else if in.Type.Appeal() {
			p.add("type", "涉企诉求须以企业账户登录提交 (enterprise appeals are filed by a business account)")
		}
		if strings.TrimSpace(n.CallerPhone) == "" {
			// The account's own number: used for messages, never shown.
			if rv, err := m.d.Org.Reveal(ctx, m.d.DB, a.UserID); err == nil {
				n.CallerPhone = rv.Phone
			}
		}
	} else if in.Type.Appeal() {
		p.add("type", "涉企诉求须以企业账户登录提交 (enterprise appeals are filed by a business account)")
	}
	photos, err := checkPhotos("photos", in.Photos, MaxPhotos)
	if err != nil {
		p = append(p, err)
	}
	if len(p) > 0 {
		// Report every problem at once: the order's own too.
		nn := n
		nn.normalize()
		if err := nn.validate(m.activeCategory); err != nil {
			p = append(p, err)
		}
		return nil, p.err()
	}
	res, err := m.Intake(ctx, actor, n)
	if err != nil {
		return nil, err
	}
	out := &SubmitResult{Order: res.Order}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		now := store.Time(m.d.Now())
		if err := m.putPhotos(ctx, tx, res.Order.ID, 0, a, photos, now); err != nil {
			return err
		}
		if signed {
			return nil
		}
		tok := m.trackToken(res.Order.ID)
		if _, err := store.Exec(ctx, tx, "INSERT INTO hotline_track_tokens (token_idx, order_id, created_at) VALUES (?, ?, ?)",
			m.trackIndex(tok), res.Order.ID, now); err != nil {
			return fmt.Errorf("hotline: submit %s: tracking link: %w", res.Order.Number, err)
		}
		out.Track = "/hotline/track/" + tok
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// linkCaller gives a call an operator takes from a registered person's
// phone number to that person's account, so that it appears among their
// own requests: when exactly one active citizen account holds the number
// (by its blind index) and the operator named no account.
func (m *Module) linkCaller(ctx context.Context, a *auth.Actor, in *NewOrder) error {
	if in.CallerUserID != 0 || in.Channel != ChannelPhone || !a.HasAny(auth.RoleOperator, auth.RoleDispatcher) ||
		ids.ValidateMobile(normalizePhone(in.CallerPhone)) != nil {
		return nil
	}
	us, err := m.d.Org.FindByPhone(ctx, normalizePhone(in.CallerPhone))
	if err != nil {
		return fmt.Errorf("hotline: intake: caller by phone: %w", err)
	}
	var match int64
	for _, u := range us {
		if u.Status != org.StatusActive || !u.Has(auth.RoleCitizen) {
			continue
		}
		if match != 0 {
			return nil // two people share the number: link neither
		}
		match = u.ID
	}
	in.CallerUserID = match
	return nil
}

// trackToken returns the tracking token of order id: keyed by the PII
// box, so nobody can make one for another order, and derived rather than
// random, so a status message can carry the link again.
func (m *Module) trackToken(id int64) string {
	return m.d.Box.Index("hotline-track:" + strconv.FormatInt(id, 10))[:40]
}

func (m *Module) trackIndex(tok string) string { return m.d.Box.Index("hotline-track-token:" + tok) }

// TrackedOrder returns the id of the order a tracking token opens.
func (m *Module) TrackedOrder(ctx context.Context, tok string) (int64, error) {
	if len(tok) != 40 || !isHex(tok) {
		return 0, ErrNotFound
	}
	var id int64
	err := store.QueryRow(ctx, m.d.DB, "SELECT order_id FROM hotline_track_tokens WHERE token_idx = ?", m.trackIndex(tok)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("hotline: tracking link: %w", err)
	}
	if !hmac.Equal([]byte(tok), []byte(m.trackToken(id))) {
		return 0, ErrNotFound
	}
	return id, nil
}

// TrackLink returns the absolute tracking link of order id when it was
// filed without an account, else "". Notifications put it into the
// messages sent to such a submitter.
func (m *Module) TrackLink(ctx context.Context, id int64) string {
	var n int
	if err := store.QueryRow(ctx, m.d.DB, "SELECT COUNT(*) FROM hotline_track_tokens WHERE order_id = ?", id).Scan(&n); err != nil || n == 0 {
		return ""
	}
	return m.d.Config.BaseURL + "/hotline/track/" + m.trackToken(id)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// TrackedView returns the order a tracking token opens, as its submitter
// sees it (their own free text; the phone masked).
func (m *Module) TrackedView(ctx context.Context, tok string) (*Order, error) {
	id, err := m.TrackedOrder(ctx, tok)
	if err != nil {
		return nil, err
	}
	o, err := m.load(ctx, m.d.DB, id)
	if err != nil {
		return nil, err
	}
	o.CallerPhone = ""
	if ph, err := m.d.Box.Open(o.phoneSealed); err == nil {
		o.CallerPhone = pii.MaskPhone(ph)
	}
	return o, nil
}

// Submitter is who acts on an order as the person who filed it: a
// signed-in citizen or business user, or the holder of the tracking link.
type Submitter struct {
	Actor *auth.Actor // nil for the holder of a tracking link
	Token string
}

// submitterOrder loads the order s filed, in db: a signed-in user's own
// order (the one who filed it, not a colleague), or the order of the
// token. Anything else is ErrNotFound.
func (m *Module) submitterOrder(ctx context.Context, db store.IDB, s Submitter, id int64) (*Order, *auth.Actor, error) {
	if s.Actor == nil {
		tid, err := m.TrackedOrder(ctx, s.Token)
		if err != nil {
			return nil, nil, err
		}
		if id != 0 && id != tid {
			return nil, nil, ErrNotFound
		}
		o, err := m.load(ctx, db, tid)
		if err != nil {
			return nil, nil, err
		}
		return o, &auth.Actor{Name: "来电人（跟踪链接）", Roles: []auth.Role{auth.RoleSystem}}, nil
	}
	o, err := m.load(ctx, db, id)
	if err != nil {
		return nil, nil, err
	}
	if !s.Actor.HasAny(auth.RoleCitizen, auth.RoleEnterprise) || o.CallerUserID == 0 || o.CallerUserID != s.Actor.UserID ||
		m.d.Policy.Authorize(s.Actor, auth.ActRead, o.Object()) != nil {
		return nil, nil, fmt.Errorf("hotline: order %d: %w", id, ErrNotFound)
	}
	return o, &auth.Actor{UserID: s.Actor.UserID, Name: s.Actor.Name, Roles: []auth.Role{auth.RoleSystem}}, nil
}

// SubmitterOrder returns order id as its submitter s sees it.
func (m *Module) SubmitterOrder(ctx context.Context, s Submitter, id int64) (*Order, error) {
	o, _, err := m.submitterOrder(ctx, m.d.DB, s, id)
	if err != nil {
		return nil, err
	}
	if s.Actor != nil {
		return m.present(s.Actor, o), nil
	}
	return m.TrackedView(ctx, s.Token)
}

// submitterOpen are the statuses in which a submitter may add
// information or withdraw.
var submitterOpen = []Status{StatusNew, StatusDispatched, StatusHandling, StatusReplied}

// AddInfo adds the submitter's further information (and photos) to an
// open order: an entry of its history ("补充信息") that the handling
// department reads with the order.
func (m *Module) AddInfo(ctx context.Context, s Submitter, id int64, text string, photos []Photo) error {
	text = strings.TrimSpace(text)
	var p problems
	switch c := utf8.RuneCountInString(text); {
	case c == 0:
		p.add("info", "请填写补充内容 (write what you want to add)")
	case c > maxInfo:
		p.add("info", fmt.Sprintf("补充内容不超过%d字 (at most %d characters)", maxInfo, maxInfo))
	}
	checked, err := checkPhotos("photos", photos, MaxPhotos)
	if err != nil {
		p = append(p, err)
	}
	if err := p.err(); err != nil {
		return err
	}
	return m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		o, actor, err := m.submitterOrder(ctx, tx, s, id)
		if err != nil {
			return err
		}
		if !slices.Contains(submitterOpen, o.Status) {
			return fmt.Errorf("%w: 工单已%s，不能再补充 (order is %s)", ErrState, o.Status.Name(), o.Status)
		}
		var have int
		if err := store.QueryRow(ctx, tx, "SELECT COUNT(*) FROM hotline_order_photos WHERE order_id = ?", o.ID).Scan(&have); err != nil {
			return fmt.Errorf("hotline: add info %s: %w", o.Number, err)
		}
		if have+len(checked) > MaxPhotosTotal {
			return &FieldError{Name: "photos", Message: fmt.Sprintf("每件诉求最多%d张照片 (at most %d photos a request)", MaxPhotosTotal, MaxPhotosTotal)}
		}
		comment := text
		if len(checked) > 0 {
			comment += fmt.Sprintf("（另附照片%d张）", len(checked))
		}
		if err := m.d.Flow.Note(ctx, tx, o.InstanceID, "add_info", actor, comment); err != nil {
			return flowError(err)
		}
		now := store.Time(m.d.Now())
		if err := m.putPhotos(ctx, tx, o.ID, have, s.Actor, checked, now); err != nil {
			return err
		}
		_, err = store.Exec(ctx, tx, "UPDATE hotline_orders SET updated_at = ? WHERE id = ?", now, o.ID)
		return err
	})
}

// Withdraw ends an open order at its submitter's request (撤回): the
// workflow ends in 已撤回 with the reason in the history, and the handling
// department's limit stops.
func (m *Module) Withdraw(ctx context.Context, s Submitter, id int64, reason string) error {
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > 1000 {
		return &FieldError{Name: "reason", Message: "撤回原因不超过1000字 (at most 1000 characters)"}
	}
	return m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		o, actor, err := m.submitterOrder(ctx, tx, s, id)
		if err != nil {
			return err
		}
		if !slices.Contains(submitterOpen, o.Status) {
			return fmt.Errorf("%w: 工单已%s，不能撤回 (order is %s)", ErrState, o.Status.Name(), o.Status)
		}
		comment := "来电人撤回诉求。"
		if reason != "" {
			comment = "来电人撤回诉求，原因：" + reason
		}
		if _, err := m.d.Flow.Apply(ctx, tx, flow.Transition{InstanceID: o.InstanceID, Action: "withdraw", Actor: actor,
			Comment: comment}); err != nil {
			return flowError(err)
		}
		now := store.Time(m.d.Now())
		// No closed_at: a withdrawn order was not closed by its department,
		// so the figures' on-time closure rate neither counts it for nor
		// against the department.
		if _, err := store.Exec(ctx, tx, "UPDATE hotline_orders SET status = ?, updated_at = ? WHERE id = ?",
			StatusWithdrawn, now, o.ID); err != nil {
			return fmt.Errorf("hotline: withdraw %s: %w", o.Number, err)
		}
		return setAssists(ctx, tx, o.ID, nil)
	})
}

// checkedPhoto is a photo ready to store.
type checkedPhoto struct {
	PhotoRef
	data []byte
}

// checkPhotos checks up to max photos: each non-empty, at most
// MaxPhotoSize, a JPEG or PNG by its bytes (never by what the client
// claims) that decodes, and returns them with their metadata removed.
func checkPhotos(field string, ps []Photo, max int) ([]checkedPhoto, error) {
	if len(ps) > max {
		return nil, &FieldError{Name: field, Message: fmt.Sprintf("最多上传%d张照片 (at most %d photos)", max, max)}
	}
	out := make([]checkedPhoto, 0, len(ps))
	for _, ph := range ps {
		switch {
		case len(ph.Data) == 0:
			return nil, &FieldError{Name: field, Message: "照片文件为空 (the photo is empty)"}
		case len(ph.Data) > MaxPhotoSize:
			return nil, &FieldError{Name: field, Message: fmt.Sprintf("每张照片不超过%d MiB (a photo is larger than %d MiB)", MaxPhotoSize>>20, MaxPhotoSize>>20)}
		}
		ct := http.DetectContentType(ph.Data)
		if !slices.Contains(photoTypes, ct) {
			return nil, &FieldError{Name: field, Message: "只接受 JPEG、PNG 格式的照片 (only JPEG and PNG photos are accepted)"}
		}
		cfg, _, err := image.DecodeConfig(bytes.NewReader(ph.Data))
		if err != nil || cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxPhotoPixels || cfg.Height > maxPhotoPixels {
			return nil, &FieldError{Name: field, Message: "照片无法识别或尺寸过大 (the photo cannot be read or is too large)"}
		}
		data, err := stripMetadata(ct, ph.Data)
		if err != nil {
			return nil, &FieldError{Name: field, Message: "照片文件已损坏 (the photo is damaged)"}
		}
		sum := sha256.Sum256(data)
		out = append(out, checkedPhoto{PhotoRef: PhotoRef{SHA256: hex.EncodeToString(sum[:]), Name: photoName(ph.Name),
			ContentType: ct, Size: int64(len(data))}, data: data})
	}
	return out, nil
}

// photoName keeps the base name of a client-supplied file name, without
// control characters or quotes.
func photoName(name string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' || r == '/' || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			return -1
		}
		return r
	}, name)
	if name == "" || name == "." {
		name = "photo"
	}
	if r := []rune(name); len(r) > 120 {
		name = string(r[len(r)-120:])
	}
	return name
}

// putPhotos stores photos as order id's from position from on, in tx; the
// content once per hash.
func (m *Module) putPhotos(ctx context.Context, tx store.IDB, id int64, from int, by *auth.Actor, ps []checkedPhoto, now time.Time) error {
	var uid int64
	if by != nil {
		uid = by.UserID
	}
	for i, ph := range ps {
		if _, err := store.Exec(ctx, tx, `INSERT INTO hotline_files (sha256, content_type, size, data, created_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING`, ph.SHA256, ph.ContentType, ph.Size, ph.data, now); err != nil {
			return fmt.Errorf("hotline: order %d: photo: %w", id, err)
		}
		if _, err := store.Exec(ctx, tx, `INSERT INTO hotline_order_photos (order_id, position, sha256, name, content_type,
			size, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, from+i, ph.SHA256, ph.Name, ph.ContentType,
			ph.Size, uid, now); err != nil {
			return fmt.Errorf("hotline: order %d: photo: %w", id, err)
		}
	}
	return nil
}

// photos lists the photos of order id (already authorised).
func (m *Module) photos(ctx context.Context, id int64) ([]PhotoRef, error) {
	rows, err := store.Query(ctx, m.d.DB, `SELECT order_id, position, sha256, name, content_type, size, created_at
		FROM hotline_order_photos WHERE order_id = ? ORDER BY position`, id)
	if err != nil {
		return nil, fmt.Errorf("hotline: order %d: photos: %w", id, err)
	}
	defer rows.Close()
	var out []PhotoRef
	for rows.Next() {
		var p PhotoRef
		if err := rows.Scan(&p.OrderID, &p.Position, &p.SHA256, &p.Name, &p.ContentType, &p.Size, &p.CreatedAt); err != nil {
			return nil, fmt.Errorf("hotline: order %d: photos: %w", id, err)
		}
		p.CreatedAt = p.CreatedAt.UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}

// Photos lists the photos of order id that a may read.
func (m *Module) Photos(ctx context.Context, a *auth.Actor, id int64) ([]PhotoRef, error) {
	if _, err := m.Get(ctx, a, id); err != nil {
		return nil, err
	}
	return m.photos(ctx, id)
}

// photo returns the content and type of photo pos of order id (already
// authorised).
func (m *Module) photo(ctx context.Context, id int64, pos int) ([]byte, string, error) {
	var data []byte
	var ct string
	err := store.QueryRow(ctx, m.d.DB, `SELECT f.data, f.content_type FROM hotline_order_photos p
		JOIN hotline_files f ON f.sha256 = p.sha256 WHERE p.order_id = ? AND p.position = ?`, id, pos).Scan(&data, &ct)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", ErrNotFound
	}
	if err != nil {
		return nil, "", fmt.Errorf("hotline: order %d: photo %d: %w", id, pos, err)
	}
	return data, ct, nil
}

// stripMetadata removes the metadata blocks of a JPEG (APP1: EXIF with the
// GPS position, and XMP; APP13: IPTC) or a PNG (eXIf and text chunks), so
// no stored photo tells where or by what device it was taken.
func stripMetadata(ct string, b []byte) ([]byte, error) {
	switch ct {
	case "image/jpeg":
		return stripJPEG(b)
	case "image/png":
		return stripPNG(b)
	}
	return b, nil
}

func stripJPEG(b []byte) ([]byte, error) {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return nil, errors.New("not a JPEG")
	}
	out := make([]byte, 0, len(b))
	out = append(out, 0xFF, 0xD8)
	i := 2
	for i < len(b) {
		if b[i] != 0xFF || i+1 >= len(b) {
			return nil, errors.New("bad JPEG marker")
		}
		marker := b[i+1]
		switch {
		case marker == 0xFF: // fill byte
			i++
			continue
		case marker == 0xD9 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7):
			out = append(out, b[i], marker)
			i += 2
			continue
		}
		if i+4 > len(b) {
			return nil, errors.New("short JPEG segment")
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return nil, errors.New("bad JPEG segment length")
		}
		seg := b[i : i+2+n]
		if marker == 0xDA { // start of scan: the entropy-coded data follows to the end
			out = append(out, b[i:]...)
			return out, nil
		}
		if marker != 0xE1 && marker != 0xED {
			out = append(out, seg...)
		}
		i += 2 + n
	}
	return out, nil
}

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

func stripPNG(b []byte) ([]byte, error) {
	if !bytes.HasPrefix(b, pngSignature) {
		return nil, errors.New("not a PNG")
	}
	out := make([]byte, 0, len(b))
	out = append(out, pngSignature...)
	i := len(pngSignature)
	for i < len(b) {
		if i+12 > len(b) {
			return nil, errors.New("short PNG chunk")
		}
		n := int(binary.BigEndian.Uint32(b[i:]))
		if n < 0 || i+12+n > len(b) {
			return nil, errors.New("bad PNG chunk length")
		}
		typ := string(b[i+4 : i+8])
		switch typ {
		case "eXIf", "tEXt", "zTXt", "iTXt", "tIME":
		default:
			out = append(out, b[i:i+12+n]...)
		}
		i += 12 + n
		if typ == "IEND" {
			break
		}
	}
	return out, nil
}

// Similar is an open public request like the one being written, for the
// hint "similar open requests nearby": its number, masked title, status
// and how far it is, never who filed it.
type Similar struct {
	Number     string    `json:"number"`
	Title      string    `json:"title"`
	Status     Status    `json:"status"`
	CreatedAt  time.Time `json:"created_at"`
	Similarity float64   `json:"similarity"`
	Metres     int       `json:"metres,omitempty"` // distance from the pin, when both have one
}

// SimilarOpen returns up to five open public requests of the last
// similarDays in region like text (the bigram similarity duplicates use),
// nearby: at the same address, or within similarMetres of the pin.
func (m *Module) SimilarOpen(ctx context.Context, region, address, text string, lat, lng *float64) ([]Similar, error) {
	region, address = strings.TrimSpace(region), strings.TrimSpace(address)
	grams := bigrams(text)
	if len(region) != 6 || !digits(region) || len(grams) < 3 {
		return nil, nil
	}
	since := store.Time(m.d.Now().AddDate(0, 0, -similarDays))
	rows, err := store.Query(ctx, m.d.DB, `SELECT number, title, content, status, created_at, address, lat, lng
		FROM hotline_orders WHERE region_code = ? AND created_at >= ? AND status IN (?, ?, ?, ?)
		AND confidential = FALSE AND not_public = FALSE AND order_type NOT LIKE 'appeal%'
		ORDER BY created_at DESC LIMIT 500`, region, since, StatusNew, StatusDispatched, StatusHandling, StatusReplied)
	if err != nil {
		return nil, fmt.Errorf("hotline: similar requests: %w", err)
	}
	defer rows.Close()
	var out []Similar
	for rows.Next() {
		var s Similar
		var content, addr string
		var olat, olng sql.NullFloat64
		if err := rows.Scan(&s.Number, &s.Title, &content, &s.Status, &s.CreatedAt, &addr, &olat, &olng); err != nil {
			return nil, fmt.Errorf("hotline: similar requests: %w", err)
		}
		s.Similarity = jaccard(grams, bigrams(s.Title+" "+content))
		near := address != "" && addr == address
		if lat != nil && lng != nil && olat.Valid && olng.Valid {
			d := metres(*lat, *lng, olat.Float64, olng.Float64)
			s.Metres = int(math.Round(d))
			near = near || d <= similarMetres
		} else if address == "" || addr != address {
			// No pins to compare: the same district and a close text.
			near = s.Similarity >= 0.35
		}
		if !near || s.Similarity < 0.2 {
			continue
		}
		s.CreatedAt = s.CreatedAt.UTC()
		s.Title = pii.MaskText(s.Title)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("hotline: similar requests: %w", err)
	}
	slices.SortStableFunc(out, func(a, b Similar) int {
		switch {
		case a.Similarity > b.Similarity:
			return -1
		case a.Similarity < b.Similarity:
			return 1
		}
		return 0
	})
	if len(out) > 5 {
		out = out[:5]
	}
	return out, nil
}

// metres is the great-circle distance between two points (haversine).
func metres(lat1, lng1, lat2, lng2 float64) float64 {
	const r = 6371000.0
	rad := math.Pi / 180
	dlat, dlng := (lat2-lat1)*rad, (lng2-lng1)*rad
	h := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlng/2)*math.Sin(dlng/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(h)))
}
