package visit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	_ "image/jpeg" // DecodeConfig of photos
	_ "image/png"  // DecodeConfig of photos and signatures

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
)

// Evidence kinds.
const (
	EvidencePhoto     = "photo"
	EvidenceRecording = "recording"
	EvidenceSignature = "signature" // the business representative's signature, PNG
)

// Evidence limits.
const (
	MaxPhotoSize     = 8 << 20
	MaxRecordingSize = 32 << 20
	MaxSignatureSize = 512 << 10
)

var evidenceTypes = map[string]map[string]bool{
	EvidencePhoto:     {"image/jpeg": true, "image/png": true},
	EvidenceRecording: {"audio/mp4": true, "audio/mpeg": true, "audio/webm": true, "audio/ogg": true, "video/mp4": true, "video/webm": true},
	EvidenceSignature: {"image/png": true},
}

var evidenceMax = map[string]int{EvidencePhoto: MaxPhotoSize, EvidenceRecording: MaxRecordingSize, EvidenceSignature: MaxSignatureSize}

// AddEvidence stores one piece of evidence for visit id by the SHA-256 of
// the stored bytes (photos have their metadata stripped first, as the
// hotline's submissions do) and enters the hash in the audit record in
// the same transaction tx, so the complete record (全过程记录) can later be
// proved against the chain. Adding the same bytes again is a no-op that
// returns the same hash.
func (s *Service) AddEvidence(ctx context.Context, tx store.IDB, log *audit.Log, a *auth.Actor, visitID int64, kind, ct string, data []byte) (string, error) {
	var p valid.Problems
	types, ok := evidenceTypes[kind]
	switch {
	case !ok:
		p.Add("kind", "证据类型不正确 (unknown kind %q)", kind)
	case !types[ct]:
		p.Add("content_type", "不支持的文件类型 (content type %q not accepted for %s)", ct, kind)
	case len(data) == 0:
		p.Add("file", "文件为空 (empty file)")
	case len(data) > evidenceMax[kind]:
		p.Add("file", "文件过大，最大%d字节 (larger than %d bytes)", evidenceMax[kind], evidenceMax[kind])
	case kind != EvidenceRecording:
		if _, format, err := image.DecodeConfig(bytes.NewReader(data)); err != nil || "image/"+format != ct {
			p.Add("file", "不是有效的图片 (not a valid %s image)", ct)
		}
	}
	if err := p.Err(); err != nil {
		return "", err
	}
	if kind != EvidenceRecording {
		clean, err := hotline.StripMetadata(ct, data)
		if err != nil {
			return "", &valid.FieldError{Path: "file", Message: "图片无法处理 (the image cannot be read): " + err.Error()}
		}
		data = clean
	}
	if _, err := s.Get(ctx, tx, visitID); err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	var n int
	if err := store.QueryRow(ctx, tx, `SELECT COUNT(*) FROM visit_evidence WHERE visit_id = ? AND sha256 = ?`, visitID, hash).Scan(&n); err != nil {
		return "", fmt.Errorf("visit: evidence: %w", err)
	}
	if n > 0 {
		return hash, nil
	}
	if _, err := store.Exec(ctx, tx, `INSERT INTO visit_evidence (visit_id, kind, sha256, content_type, size, data, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, visitID, kind, hash, ct, len(data), data, a.UserID, store.Time(s.now())); err != nil {
		return "", fmt.Errorf("visit: evidence: %w", err)
	}
	if _, err := log.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "visit.evidence", ObjectType: "visit",
		ObjectID: fmt.Sprint(visitID), Detail: map[string]any{"kind": kind, "sha256": hash, "content_type": ct, "size": len(data)}}); err != nil {
		return "", fmt.Errorf("visit: evidence: audit: %w", err)
	}
	return hash, nil
}

// EvidenceHashes returns the hashes of visit id's evidence, oldest first.
func (s *Service) EvidenceHashes(ctx context.Context, tx store.IDB, visitID int64) ([]string, error) {
	rows, err := store.Query(ctx, tx, `SELECT sha256 FROM visit_evidence WHERE visit_id = ? ORDER BY id`, visitID)
	if err != nil {
		return nil, fmt.Errorf("visit: evidence: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}
