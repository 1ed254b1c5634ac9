package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadConfig(t *testing.T) {
	realEnv := map[string]string{"WECHAT_APP_ID": "wx1", "WECHAT_APP_SECRET": "s", "WECHAT_TOKEN": "tok",
		"PUBLIC_URL": "https://bind.example.com/"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range realEnv {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
		check   func(t *testing.T, c *config)
	}{
		{"no environment: demo", nil, "", func(t *testing.T, c *config) {
			assert.True(t, c.Demo)
			assert.Equal(t, "data/merchant-bind.db", c.DatabaseURL)
		}},
		{"real mode", realEnv, "", func(t *testing.T, c *config) {
			assert.False(t, c.Demo)
			assert.Equal(t, "https://bind.example.com", c.PublicURL)
			assert.Equal(t, "admin", c.AdminUser)
		}},
		{"half configured", map[string]string{"WECHAT_APP_ID": "wx1"}, "WECHAT_APP_SECRET, WECHAT_TOKEN, PUBLIC_URL", nil},
		{"short AES key", with(map[string]string{"WECHAT_AES_KEY": "abc"}), "43 characters", nil},
		{"bad public URL", with(map[string]string{"PUBLIC_URL": "bind.example.com"}), "PUBLIC_URL", nil},
		{"template fields", with(map[string]string{"TEMPLATE_FIELDS": "merchant=thing1, time=time2"}), "", func(t *testing.T, c *config) {
			assert.Equal(t, map[string]string{"merchant": "thing1", "time": "time2"}, c.FieldMap)
		}},
		{"bad template fields", with(map[string]string{"TEMPLATE_FIELDS": "merchant"}), "TEMPLATE_FIELDS", nil},
		{"code TTL", with(map[string]string{"BIND_CODE_TTL": "72h"}), "", func(t *testing.T, c *config) {
			assert.Equal(t, 72*time.Hour, c.CodeTTL)
		}},
		{"code TTL over 30 days", with(map[string]string{"BIND_CODE_TTL": "721h"}), "BIND_CODE_TTL", nil},
		{"short API token", with(map[string]string{"ADMIN_API_TOKEN": "abc"}), "ADMIN_API_TOKEN", nil},
		{"DATABASE_URL", with(map[string]string{"DATABASE_URL": "postgres://db/mb"}), "", func(t *testing.T, c *config) {
			assert.Equal(t, "postgres://db/mb", c.DatabaseURL)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadConfig(func(k string) string { return tt.env[k] }, "127.0.0.1:8081", "data")
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			tt.check(t, c)
		})
	}
}
