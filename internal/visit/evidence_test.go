package visit_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/visit"
)

// signaturePNG returns a small PNG with a tEXt chunk (metadata to strip).
func signaturePNG(t *testing.T) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 20, 10))); err != nil {
		t.Fatal(err)
	}
	raw := b.Bytes()
	// Insert a tEXt chunk after IHDR (8-byte signature + 25-byte IHDR chunk).
	text := []byte{0, 0, 0, 7, 't', 'E', 'X', 't', 'G', 'P', 'S', 0, '1', '2', '3', 0xde, 0xad, 0xbe, 0xef}
	return append(append(append([]byte{}, raw[:33]...), text...), raw[33:]...)
}

func TestEvidenceHashInAudit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := cst(2026, 11, 2, 9)
		s := service(now)
		assign(t, db, s, assignment(visit.SourceDraw, "D1", "SC-01", bizA, scj, false, cst(2026, 11, 2, 0), cst(2026, 11, 30, 0), 101))
		v := visits(t, db, s, bizA)[0]
		a := &auth.Actor{UserID: 101, Name: "检查员", Roles: []auth.Role{auth.RoleInspector}, DepartmentIDs: []int64{scj}}
		log := audit.New(nil)
		img := signaturePNG(t)
		var hash string
		err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			var err error
			hash, err = s.AddEvidence(ctx, tx, log, a, v.ID, visit.EvidenceSignature, "image/png", img)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		raw := sha256.Sum256(img)
		if hash == hex.EncodeToString(raw[:]) {
			t.Fatal("hash of the unstripped bytes: metadata was not stripped")
		}
		var data []byte
		if err := db.QueryRowContext(ctx, `SELECT data FROM visit_evidence WHERE sha256 = ?`, hash).Scan(&data); err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != hash || bytes.Contains(data, []byte("tEXt")) {
			t.Fatal("stored bytes do not match the hash or still hold the tEXt chunk")
		}
		var detail string
		if err := db.QueryRowContext(ctx, `SELECT detail FROM audit_log WHERE action = 'visit.evidence' AND object_id = ?`, fmt.Sprint(v.ID)).Scan(&detail); err != nil {
			t.Fatalf("audit entry: %v", err)
		}
		if !strings.Contains(detail, hash) {
			t.Fatalf("audit detail %s does not hold the hash %s", detail, hash)
		}
		// Bad input: a "photo" that is not an image, a signature as JPEG.
		err = db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			_, err := s.AddEvidence(ctx, tx, log, a, v.ID, visit.EvidencePhoto, "image/jpeg", []byte("not a photo"))
			return err
		})
		if fs := valid.Fields(err); !errors.Is(err, valid.ErrInvalid) || len(fs) == 0 || fs[0].Path != "file" {
			t.Fatalf("non-image photo: %v, want 422 on file", err)
		}
		err = db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			_, err := s.AddEvidence(ctx, tx, log, a, v.ID, visit.EvidenceSignature, "image/jpeg", img)
			return err
		})
		if fs := valid.Fields(err); len(fs) == 0 || fs[0].Path != "content_type" {
			t.Fatalf("signature as jpeg: %v, want 422 on content_type", err)
		}
		if hs, _ := s.EvidenceHashes(ctx, db, v.ID); len(hs) != 1 {
			t.Fatalf("evidence = %v, want just the signature", hs)
		}
	})
}
