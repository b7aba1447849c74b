package casework

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/store"
)

// MaxFileSize is the largest material file accepted: 10 MiB.
const MaxFileSize = 10 << 20

// The content types a material file may have, judged by its bytes.
var acceptedTypes = []string{"application/pdf", "image/jpeg", "image/png"}

var shaPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Upload is a material file as received.
type Upload struct {
	Name string `json:"name" maxLength:"200"`
	Data []byte `json:"data" doc:"File content, base64 in JSON; PDF, JPEG or PNG, at most 10 MiB"`
}

// FileRef names a stored file by the SHA-256 of its content.
type FileRef struct {
	SHA256      string `json:"sha256"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// checkUpload sniffs u's type from its bytes (never from what the client
// claims) and checks its size, returning the reference it will be stored
// under.
func checkUpload(field string, u *Upload) (*FileRef, error) {
	switch {
	case len(u.Data) == 0:
		return nil, &FieldError{Path: field, Message: "文件为空 (the file is empty)"}
	case len(u.Data) > MaxFileSize:
		return nil, &FieldError{Path: field, Message: "文件不能超过 10 MiB (the file is larger than 10 MiB)"}
	}
	ct := http.DetectContentType(u.Data)
	ok := false
	for _, t := range acceptedTypes {
		ok = ok || ct == t
	}
	if !ok {
		return nil, &FieldError{Path: field, Message: "只接受 PDF、JPEG、PNG 文件 (only PDF, JPEG and PNG files are accepted)"}
	}
	sum := sha256.Sum256(u.Data)
	return &FileRef{SHA256: hex.EncodeToString(sum[:]), Name: cleanFileName(u.Name), ContentType: ct, Size: int64(len(u.Data))}, nil
}

// putFile stores data once per content in tx.
func putFile(ctx context.Context, tx store.IDB, now time.Time, ref *FileRef, data []byte) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO casework_files (sha256, content_type, size, data, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING`, ref.SHA256, ref.ContentType, ref.Size, data, now)
	if err != nil {
		return fmt.Errorf("casework: store file: %w", err)
	}
	return nil
}

// cleanFileName keeps the base name of a client-supplied file name, without
// control characters or quotes.
func cleanFileName(name string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' || r == '/' {
			return -1
		}
		return r
	}, name)
	if name == "" || name == "." {
		name = "file"
	}
	if r := []rune(name); len(r) > 120 {
		name = string(r[len(r)-120:])
	}
	return name
}

// file returns the content and type of a stored file.
func (m *Module) file(ctx context.Context, sha string) ([]byte, string, error) {
	if !shaPattern.MatchString(sha) {
		return nil, "", ErrNotFound
	}
	var data []byte
	var ct string
	err := m.d.DB.QueryRowContext(ctx, `SELECT data, content_type FROM casework_files WHERE sha256 = ?`, sha).Scan(&data, &ct)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", ErrNotFound
	}
	if err != nil {
		return nil, "", fmt.Errorf("casework: file %s: %w", sha, err)
	}
	return data, ct, nil
}
