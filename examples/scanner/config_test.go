package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadConfig(t *testing.T) {
	real := map[string]string{"WECOM_CORP_ID": "ww1", "WECOM_SECRET": "s3cr3t", "WECOM_AGENT_ID": "1000005",
		"PUBLIC_URL": "https://bags.example.com/", "WECOM_CALLBACK_TOKEN": "tok", "WECOM_CALLBACK_AES_KEY": "key",
		"WECOM_MANAGERS": "zhangsan, boss"}
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
		check   func(t *testing.T, c *config)
	}{
		{name: "no environment is demo mode", env: map[string]string{}, check: func(t *testing.T, c *config) {
			assert.True(t, c.Demo)
			assert.Equal(t, 1, c.LowStockAt)
			assert.Equal(t, 21, c.SummaryHour)
		}},
		{name: "real mode", env: real, check: func(t *testing.T, c *config) {
			assert.False(t, c.Demo)
			assert.Equal(t, int64(1000005), c.AgentID)
			assert.Equal(t, "https://bags.example.com", c.PublicURL)
			assert.Equal(t, []string{"zhangsan", "boss"}, c.Managers)
		}},
		{name: "missing variables are named", env: map[string]string{"WECOM_CORP_ID": "ww1"}, wantErr: "WECOM_SECRET"},
		{name: "bad agent id", env: with(real, "WECOM_AGENT_ID", "x"), wantErr: "WECOM_AGENT_ID"},
		{name: "relative public URL", env: with(real, "PUBLIC_URL", "bags.example.com"), wantErr: "PUBLIC_URL"},
		{name: "no manager", env: with(real, "WECOM_MANAGERS", " , "), wantErr: "WECOM_MANAGERS"},
		{name: "bad LOW_STOCK_AT", env: map[string]string{"LOW_STOCK_AT": "-1"}, wantErr: "LOW_STOCK_AT"},
		{name: "bad SUMMARY_HOUR", env: map[string]string{"SUMMARY_HOUR": "24"}, wantErr: "SUMMARY_HOUR"},
		{name: "summary off", env: map[string]string{"SUMMARY_HOUR": "-1"}, check: func(t *testing.T, c *config) {
			assert.Equal(t, -1, c.SummaryHour)
		}},
		{name: "sync defaults", env: map[string]string{}, check: func(t *testing.T, c *config) {
			assert.Equal(t, 8*time.Second, c.SyncDelay)
			assert.Equal(t, 10*time.Minute, c.Reconcile)
			assert.Empty(t, c.DatabaseURL)
		}},
		{name: "sync settings", env: map[string]string{"SYNC_MAX_DELAY": "2s", "RECONCILE_EVERY": "off",
			"DATABASE_URL": "postgres://u:p@db:5432/shop"}, check: func(t *testing.T, c *config) {
			assert.Equal(t, 2*time.Second, c.SyncDelay)
			assert.Zero(t, c.Reconcile)
			assert.Equal(t, "postgres://u:p@db:5432/shop", c.DatabaseURL)
		}},
		{name: "bad RECONCILE_EVERY", env: map[string]string{"RECONCILE_EVERY": "5s"}, wantErr: "RECONCILE_EVERY"},
		{name: "bad DATABASE_URL", env: map[string]string{"DATABASE_URL": "mysql://x"}, wantErr: "DATABASE_URL"},
		{name: "WECOM_BASE_URL", env: with(real, "WECOM_BASE_URL", "http://127.0.0.1:9000/"), check: func(t *testing.T, c *config) {
			assert.Equal(t, "http://127.0.0.1:9000", c.BaseURL)
		}},
		{name: "bad WECOM_BASE_URL", env: with(real, "WECOM_BASE_URL", "qyapi"), wantErr: "WECOM_BASE_URL"},
		{name: "shop zone defaults to Beijing", env: map[string]string{}, check: func(t *testing.T, c *config) {
			assert.Equal(t, "Asia/Shanghai", c.Location.String())
		}},
		{name: "SHOP_TZ", env: map[string]string{"SHOP_TZ": "Asia/Hong_Kong"}, check: func(t *testing.T, c *config) {
			assert.Equal(t, "Asia/Hong_Kong", c.Location.String())
		}},
		{name: "bad SHOP_TZ", env: map[string]string{"SHOP_TZ": "Beijing"}, wantErr: "SHOP_TZ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range envVars {
				t.Setenv(k, tt.env[k])
			}
			c, err := loadConfig("127.0.0.1:0", t.TempDir())
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				assert.NotContains(t, err.Error(), "s3cr3t")
				return
			}
			require.NoError(t, err)
			tt.check(t, c)
		})
	}
}

func with(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for key, val := range m {
		if key != k {
			out[key] = val
		}
	}
	return out
}

func TestServeRefusesAShortSessionKey(t *testing.T) {
	for _, k := range envVars {
		t.Setenv(k, "")
	}
	t.Setenv("SESSION_KEY", "too-short")
	err := serve(context.Background(), options{Addr: "127.0.0.1:0", DataDir: t.TempDir()}, testLogger(t), nil)
	require.ErrorContains(t, err, "SESSION_KEY must be at least 32 characters")
	assert.NotContains(t, err.Error(), "too-short", "the key itself is never in an error")
}
