package catalog

import (
	"archive/zip"
	"bytes"
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

	"github.com/uptrace/bun"

	"github.com/yingshang/yingshang/internal/store"
)

// MaxFileSize is the largest template or example file accepted: 10 MiB.
const MaxFileSize = 10 << 20

var shaPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// The content types a material file may have.
const (
	TypePDF  = "application/pdf"
	TypeJPEG = "image/jpeg"
	TypePNG  = "image/png"
	TypeDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	TypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

type fileRow struct {
	bun.BaseModel `bun:"table:catalog_files"`
	SHA256        string    `bun:"sha256,pk"`
	ContentType   string    `bun:"content_type"`
	Size          int64     `bun:"size"`
	Data          []byte    `bun:"data"`
	CreatedAt     time.Time `bun:"created_at"`
}

// sniff returns the content type of data named name, judged by its bytes
// (never by what the client claims), or an error if it is not one of the
// accepted types: PDF, JPEG, PNG, DOCX or XLSX.
func sniff(name string, data []byte) (string, error) {
	bad := &FieldError{Path: "file", Message: "只接受 PDF、JPEG、PNG、DOCX、XLSX 文件 (only PDF, JPEG, PNG, DOCX and XLSX files are accepted)"}
	switch {
	case len(data) == 0:
		return "", &FieldError{Path: "file", Message: "文件为空 (the file is empty)"}
	case len(data) > MaxFileSize:
		return "", &FieldError{Path: "file", Message: "文件不能超过 10 MiB (the file is larger than 10 MiB)"}
	}
	switch ct := http.DetectContentType(data); {
	case ct == TypePDF, ct == TypeJPEG, ct == TypePNG:
		return ct, nil
	case ct == "application/zip":
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return "", bad
		}
		ext := strings.ToLower(path.Ext(name))
		for _, f := range zr.File {
			switch {
			case ext == ".docx" && f.Name == "word/document.xml":
				return TypeDOCX, nil
			case ext == ".xlsx" && f.Name == "xl/workbook.xml":
				return TypeXLSX, nil
			}
		}
	}
	return "", bad
}

// cleanFileName keeps the base name of a client-supplied file name, without
// control characters or quotes, for the download header.
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

// putFile checks and stores a file in tx, once per content, and returns its
// reference.
func putFile(ctx context.Context, tx store.IDB, now time.Time, name string, data []byte) (*FileRef, error) {
	ct, err := sniff(name, data)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	ref := &FileRef{SHA256: hex.EncodeToString(sum[:]), Name: cleanFileName(name), ContentType: ct, Size: int64(len(data))}
	_, err = tx.NewInsert().Model(&fileRow{SHA256: ref.SHA256, ContentType: ct, Size: ref.Size, Data: data, CreatedAt: store.Time(now)}).
		On("CONFLICT (sha256) DO NOTHING").Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog: store file: %w", err)
	}
	return ref, nil
}

// File returns the content and type of the stored file with the given
// SHA-256, or ErrNotFound.
func (m *Module) File(ctx context.Context, sha string) (data []byte, contentType string, err error) {
	if !shaPattern.MatchString(sha) {
		return nil, "", ErrNotFound
	}
	var f fileRow
	err = m.d.DB.NewSelect().Model(&f).Where("sha256 = ?", sha).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", ErrNotFound
	}
	if err != nil {
		return nil, "", fmt.Errorf("catalog: read file %s: %w", sha, err)
	}
	return f.Data, f.ContentType, nil
}
