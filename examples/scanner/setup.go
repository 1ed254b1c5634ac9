package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/sheetsync"
	"github.com/qiwei-go/qiwei/smartsheet"
)

// resolveDoc returns the smart-sheet document of the shop. The store remembers it once set, so a
// restart asks WeCom nothing. On the first start it is WECOM_DOC_ID, or the id an earlier version
// kept in the data directory (both are imported into the store by Import), or a new document. An
// app may only use smart sheets it created, so a new document's id is kept in the store at once.
// Replicas starting together agree through a lease: one of them decides, the others wait for it.
func resolveDoc(ctx context.Context, d deps) (string, error) {
	for {
		id, err := d.st.Get(ctx, "doc")
		if err != nil {
			return "", err
		}
		if id != "" {
			if d.cfg.DocID != "" && d.cfg.DocID != id {
				return "", fmt.Errorf("WECOM_DOC_ID is %s but the store belongs to document %s", d.cfg.DocID, id)
			}
			return id, nil
		}
		held, err := d.st.Lease(ctx, "setup", d.owner, 2*time.Minute)
		if err != nil {
			return "", err
		}
		if held {
			id, err := chooseDoc(ctx, d)
			if err == nil {
				err = d.st.Set(ctx, "doc", id)
			}
			_ = d.st.ReleaseLease(context.WithoutCancel(ctx), "setup", d.owner)
			return id, err
		}
		select { // another replica is setting the document up
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func chooseDoc(ctx context.Context, d deps) (string, error) {
	if d.cfg.DocID != "" {
		return d.cfg.DocID, nil
	}
	if b, err := os.ReadFile(filepath.Join(d.cfg.DataDir, "docid")); err == nil && strings.TrimSpace(string(b)) != "" {
		return strings.TrimSpace(string(b)), nil // an earlier version's document
	}
	ss := smartsheet.New(d.wc)
	if err := ss.Err(); err != nil {
		return "", err
	}
	id, err := sheetsync.CreateDoc(ctx, ss, d.cfg.Managers)
	if err != nil {
		return "", err
	}
	// Nothing to import from a new document.
	if err := d.st.Set(ctx, "import:done", "new document"); err != nil {
		return "", fmt.Errorf("keep the new document %s (set WECOM_DOC_ID=%s): %w", id, id, err)
	}
	d.log.Info("scanner: created the smart sheet", "doc", id)
	return id, nil
}
