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
		demo    bool // -demo
		wantErr string
		check   func(t *testing.T, c *config)
	}{
		{"no environment: demo", nil, false, "", func(t *testing.T, c *config) {
			assert.True(t, c.Demo)
			assert.Equal(t, "data/demo.db", c.DatabaseURL, "the demo has a database of its own")
		}},
		{"demo never touches DATABASE_URL", map[string]string{"DATABASE_URL": "postgres://db/real"}, false, "", func(t *testing.T, c *config) {
			assert.True(t, c.Demo)
			assert.Equal(t, "data/demo.db", c.DatabaseURL)
			assert.Equal(t, "postgres://db/real", c.IgnoredDatabaseURL)
		}},
		{"-demo uses DATABASE_URL", map[string]string{"DATABASE_URL": "postgres://db/demo"}, true, "", func(t *testing.T, c *config) {
			assert.True(t, c.Demo)
			assert.Equal(t, "postgres://db/demo", c.DatabaseURL)
		}},
		{"-demo wins over WECHAT_*", realEnv, true, "", func(t *testing.T, c *config) {
			assert.True(t, c.Demo)
			assert.Equal(t, "data/demo.db", c.DatabaseURL)
		}},
		{"real mode", realEnv, false, "", func(t *testing.T, c *config) {
			assert.False(t, c.Demo)
			assert.Equal(t, "https://bind.example.com", c.PublicURL)
			assert.Equal(t, "admin", c.AdminUser)
			assert.Equal(t, "data/merchant-bind.db", c.DatabaseURL)
		}},
		{"trusted proxies", with(map[string]string{"TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8"}), false, "", func(t *testing.T, c *config) {
			assert.Len(t, c.TrustedProxies, 2)
		}},
		{"bad trusted proxies", with(map[string]string{"TRUSTED_PROXIES": "nginx"}), false, "TRUSTED_PROXIES", nil},
		{"PUBLIC_URL in demo", map[string]string{"PUBLIC_URL": "https://demo.example.com/"}, false, "", func(t *testing.T, c *config) {
			assert.True(t, c.Demo)
			assert.Equal(t, "https://demo.example.com", c.PublicURL)
		}},
		{"bad PUBLIC_URL in demo", map[string]string{"PUBLIC_URL": "demo.example.com"}, false, "PUBLIC_URL", nil},
		{"bad API base", with(map[string]string{"WECHAT_API_BASE": "gateway"}), false, "WECHAT_API_BASE", nil},
		{"API base", with(map[string]string{"WECHAT_API_BASE": "https://gw.example.com/"}), false, "", func(t *testing.T, c *config) {
			assert.Equal(t, "https://gw.example.com", c.APIBase)
		}},
		{"short admin password", with(map[string]string{"ADMIN_PASSWORD": "short"}), false, "ADMIN_PASSWORD", nil},
		{"platform token", with(map[string]string{"PLATFORM_API_TOKEN": "platform-token-0123456789"}), false, "", func(t *testing.T, c *config) {
			assert.Equal(t, "platform-token-0123456789", c.PlatformToken)
		}},
		{"platform token equal to the admin token", with(map[string]string{"PLATFORM_API_TOKEN": "same-token-0123456789",
			"ADMIN_API_TOKEN": "same-token-0123456789"}), false, "PLATFORM_API_TOKEN", nil},
		{"half configured", map[string]string{"WECHAT_APP_ID": "wx1"}, false, "WECHAT_APP_SECRET, WECHAT_TOKEN, PUBLIC_URL", nil},
		{"short AES key", with(map[string]string{"WECHAT_AES_KEY": "abc"}), false, "43 characters", nil},
		{"bad public URL", with(map[string]string{"PUBLIC_URL": "bind.example.com"}), false, "PUBLIC_URL", nil},
		{"template fields", with(map[string]string{"TEMPLATE_FIELDS": "merchant=thing1, time=time2"}), false, "", func(t *testing.T, c *config) {
			assert.Equal(t, map[string]string{"merchant": "thing1", "time": "time2"}, c.FieldMap)
		}},
		{"bad template fields", with(map[string]string{"TEMPLATE_FIELDS": "merchant"}), false, "TEMPLATE_FIELDS", nil},
		{"code TTL", with(map[string]string{"BIND_CODE_TTL": "72h"}), false, "", func(t *testing.T, c *config) {
			assert.Equal(t, 72*time.Hour, c.CodeTTL)
		}},
		{"code TTL over 30 days", with(map[string]string{"BIND_CODE_TTL": "721h"}), false, "BIND_CODE_TTL", nil},
		{"short API token", with(map[string]string{"ADMIN_API_TOKEN": "abc"}), false, "ADMIN_API_TOKEN", nil},
		{"DATABASE_URL", with(map[string]string{"DATABASE_URL": "postgres://db/mb"}), false, "", func(t *testing.T, c *config) {
			assert.Equal(t, "postgres://db/mb", c.DatabaseURL)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadConfig(func(k string) string { return tt.env[k] }, "127.0.0.1:8081", "data", tt.demo)
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
