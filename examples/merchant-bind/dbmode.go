package main

import (
	"context"
	"fmt"

	"github.com/qiwei-go/qiwei/examples/merchant-bind/internal/store"
)

// The settings row "mode" says whether a database holds demo or real data; it is written at the
// first start. Demo mode refuses a real database (it would reset the admin's password and seed
// fake merchants) and real mode refuses a demo database (fake merchants bound to fake WeChat users).
const (
	modeDemo = "demo"
	modeReal = "real"
)

// checkMode marks an empty database with the mode, and refuses one of the other mode. A database
// from before the marker: real mode adopts it unless it looks like demo data; demo mode refuses
// it, since it cannot tell.
func checkMode(ctx context.Context, db *store.DB, demo bool) error {
	want, other := modeReal, modeDemo
	if demo {
		want, other = modeDemo, modeReal
	}
	mode, ok, err := db.Setting(ctx, "mode")
	if err != nil {
		return err
	}
	if ok {
		if mode == want {
			return nil
		}
		if demo {
			return fmt.Errorf("%s holds real-mode data: the demo refuses to touch it (run the demo without -demo to use its own SQLite file, or point DATABASE_URL at an empty database)", db)
		}
		return fmt.Errorf("%s holds %s data: real mode refuses it (set DATABASE_URL to a fresh database)", db, other)
	}
	admins, err := db.CountAdmins(ctx)
	if err != nil {
		return err
	}
	merchants, _, err := db.CountMerchants(ctx)
	if err != nil {
		return err
	}
	if admins+merchants > 0 {
		switch {
		case demo:
			return fmt.Errorf("%s already holds data of unknown origin: the demo refuses to touch it (point DATABASE_URL at an empty database)", db)
		case looksLikeDemo(ctx, db):
			return fmt.Errorf("%s holds demo data (merchants bound to the demo's WeChat users): real mode refuses it", db)
		}
	}
	return db.SetSetting(ctx, "mode", want)
}

// looksLikeDemo reports whether a merchant is bound to one of the demo's WeChat users.
func looksLikeDemo(ctx context.Context, db *store.DB) bool {
	for _, u := range demoUsers {
		if _, err := db.MerchantByOpenID(ctx, u.OpenID); err == nil {
			return true
		}
	}
	return false
}
