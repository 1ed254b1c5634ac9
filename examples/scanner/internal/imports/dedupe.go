package imports

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/qiwei-go/qiwei/examples/scanner/internal/shop"
	"github.com/qiwei-go/qiwei/examples/scanner/internal/store"
)

// identity is what makes two rows the same bag, within a file and across uploads.
//
//   - With a code (编码/货号/条码), the code: it is what the shop itself uses to tell bags apart,
//     and the product table's key, so a row whose code is in the shop already is that bag.
//   - Without one, name + brand + model + colour + price (folded: case, spaces, full-width forms do
//     not matter). A product here is a kind of bag with a stock count, so two such rows are the
//     same kind listed twice (more of them is a larger 库存, not another row). The price is part of
//     the key because names alone are too generic (托特包 at 299 and at 1299 are different bags).
//
// Not a file hash plus a row number: a file saved again from Excel, or with a row inserted at the
// top, would then create every bag a second time. The cost of this choice is that a row whose
// price was changed before uploading again is a new bag; the preview shows it as 新增 before
// anything is written. Rows keyed by content are registered with a request ID derived from the
// key, so the shop's request ledger remembers them (and a concurrent second upload replays).
func identity(p shop.NewProduct) string {
	if p.Code != "" {
		return "code:" + p.Code
	}
	return strings.Join([]string{"bag", fold(p.Name), fold(p.Brand), fold(p.Model), fold(p.Color),
		strconv.FormatInt(int64(p.Price), 10)}, "\x1f")
}

// requestID is the registration's idempotency key for a row keyed by content ("" for a coded
// row: the code itself is unique in the shop).
func requestID(key string) string {
	if strings.HasPrefix(key, "code:") || key == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(key))
	return "imp2-" + hex.EncodeToString(sum[:20])
}

// legacyRequestID is the request ID an earlier version gave a row (the file's hash and the row
// number); a file imported by it is still recognised.
func legacyRequestID(fileHash string, row int) string {
	return "imp-" + fileHash[:16] + "-" + strconv.Itoa(row)
}

// Check marks the rows whose bag is in the shop already (Existing) and applies the shop's rules to
// the others, so that the preview shows what the job will do. It links the 供应商 cells to the
// shop's suppliers by name; a supplier the shop does not know is kept in the row's notes.
func Check(ctx context.Context, st *store.Store, svc *shop.Service, f *File) error {
	var codes, reqs []string
	for i := range f.Rows {
		r := &f.Rows[i]
		if r.Error != "" || r.Dup != 0 {
			continue
		}
		if r.Product.Code != "" {
			codes = append(codes, r.Product.Code)
		} else {
			reqs = append(reqs, requestID(r.Key), legacyRequestID(f.Hash, r.Row))
		}
	}
	products, err := st.ProductsByCode(ctx, codes)
	if err != nil {
		return err
	}
	done, err := st.RequestCodes(ctx, reqs)
	if err != nil {
		return err
	}
	suppliers := map[string]int64{}
	for i := range f.Rows {
		r := &f.Rows[i]
		r.Product.RequestID = requestID(r.Key)
		if r.Error != "" || r.Dup != 0 {
			continue
		}
		if p, ok := products[r.Product.Code]; ok {
			r.Existing = p.Code
			if fold(p.Name) != fold(r.Product.Name) {
				r.Warnings = append(r.Warnings, fmt.Sprintf("店内该编码是「%s」", p.Name))
			}
			continue
		}
		if c, ok := done[requestID(r.Key)]; ok && r.Product.Code == "" {
			r.Existing = c
			continue
		}
		if c, ok := done[legacyRequestID(f.Hash, r.Row)]; ok && r.Product.Code == "" {
			r.Existing = c
			continue
		}
		if err := linkSupplier(ctx, st, suppliers, r); err != nil {
			return err
		}
		if err := svc.CheckNew(r.Product); err != nil {
			r.Error = errText(err)
		}
	}
	return nil
}

// linkSupplier sets the row's supplier by name, or keeps the name in its notes.
func linkSupplier(ctx context.Context, st *store.Store, cache map[string]int64, r *Row) error {
	name := r.Supplier
	if name == "" {
		return nil
	}
	id, ok := cache[name]
	if !ok {
		x, err := st.SupplierByName(ctx, name)
		switch {
		case errors.Is(err, shop.ErrNotFound):
		case err != nil:
			return err
		default:
			id = x.ID
		}
		cache[name] = id
	}
	if id != 0 {
		r.Product.SupplierID = id
		return nil
	}
	r.Product.Notes = strings.TrimSpace(r.Product.Notes + " 进货来源：" + name)
	r.Warnings = append(r.Warnings, "供应商「"+clip(name)+"」未登记，已记入备注")
	return nil
}

// errText is a row's error as the shop reads it (the field-level message of an input error).
func errText(err error) string {
	var ie *shop.InputError
	if errors.As(err, &ie) {
		return ie.Msg
	}
	return err.Error()
}
