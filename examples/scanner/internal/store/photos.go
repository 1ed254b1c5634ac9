package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/http"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
)

// SavePhoto implements shop.Tx: the picture is kept in the store under its SHA-256, with its
// thumbnail; the sheet sync uploads it to the document when it writes the product's row.
func (t *Tx) SavePhoto(ctx context.Context, data, thumb []byte) (string, error) {
	sum := sha256.Sum256(data)
	id := hex.EncodeToString(sum[:16])
	_, err := t.exec(ctx, `INSERT INTO photos (id, data, content_type, created_at, thumb) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, id, data, http.DetectContentType(data), ms(t.now), thumb)
	return id, err
}

// Thumb returns a stored picture's thumbnail (nil when it has none yet).
func (s *Store) Thumb(ctx context.Context, id string) ([]byte, error) {
	var thumb []byte
	err := s.queryRow(ctx, `SELECT thumb FROM photos WHERE id = ?`, id).Scan(&thumb)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, shop.ErrNotFound
	}
	return thumb, err
}

// SetThumb stores the thumbnail of a picture kept before thumbnails existed.
func (s *Store) SetThumb(ctx context.Context, id string, thumb []byte) error {
	return s.WriteTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `UPDATE photos SET thumb = ? WHERE id = ?`, thumb, id)
		return err
	})
}

// Photo returns a stored picture and its content type.
func (s *Store) Photo(ctx context.Context, id string) ([]byte, string, error) {
	var data []byte
	var ct string
	err := s.queryRow(ctx, `SELECT data, content_type FROM photos WHERE id = ?`, id).Scan(&data, &ct)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", shop.ErrNotFound
	}
	return data, ct, err
}

// PhotoSheetURL returns the picture's URL in the smart-sheet document ("" when not uploaded yet).
func (s *Store) PhotoSheetURL(ctx context.Context, id string) (string, error) {
	var u string
	err := s.queryRow(ctx, `SELECT sheet_url FROM photos WHERE id = ?`, id).Scan(&u)
	if errors.Is(err, sql.ErrNoRows) {
		return "", shop.ErrNotFound
	}
	return u, err
}

// SetPhotoSheetURL records where the picture was uploaded for the smart sheet.
func (s *Store) SetPhotoSheetURL(ctx context.Context, id, url string) error {
	return s.WriteTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `UPDATE photos SET sheet_url = ? WHERE id = ?`, url, id)
		return err
	})
}
