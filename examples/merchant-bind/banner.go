package main

import (
	"fmt"
	"io"
	"net"
	"strings"
)

// printBanner says what runs where: the mode, the database, the admin URL and (when new) the
// admin login. In demo mode it warns that the demo must never face the internet: anyone who can
// reach it can drive the embedded fake 公众号.
func printBanner(out io.Writer, cfg *config, base, database, password string, showPassword bool, apiToken string) {
	if out == nil {
		return
	}
	mode := "真实模式 real mode"
	if cfg.Demo {
		mode = "演示模式 demo mode (embedded fake 公众号)"
	}
	site := base
	if cfg.PublicURL != "" {
		site = cfg.PublicURL
	}
	fmt.Fprintf(out, "\n商户绑定已启动 · merchant-bind is running — %s\n", mode)
	fmt.Fprintf(out, "  管理后台 Admin:     %s/\n", site)
	if cfg.PublicURL != "" {
		fmt.Fprintf(out, "  监听 Listening on:  %s\n", base)
	}
	fmt.Fprintf(out, "  数据库 Database:    %s\n", database)
	if cfg.IgnoredDatabaseURL != "" {
		fmt.Fprintf(out, "  (DATABASE_URL 未使用: the demo keeps its own database; -demo would use DATABASE_URL if it holds no real data)\n")
	}
	if len(cfg.TrustedProxies) > 0 {
		var ps []string
		for _, p := range cfg.TrustedProxies {
			ps = append(ps, p.String())
		}
		fmt.Fprintf(out, "  可信代理 Trusted proxies: %s\n", strings.Join(ps, ", "))
	}
	if showPassword {
		fmt.Fprintf(out, "  管理员 Admin login: %s / %s\n", cfg.AdminUser, password)
	}
	if cfg.Demo {
		fmt.Fprintf(out, "  API token:          %s\n", apiToken)
		fmt.Fprintf(out, "  Try: curl -X POST -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\\n"+
			"         -d '{\"content\":\"您的结算单已生成\"}' %s/api/merchants/1/notify\n", apiToken, site)
		fmt.Fprintf(out, "  ⚠ 演示模式切勿暴露在公网：任何能访问此端口的人都能操控内置的模拟公众号。\n"+
			"  ⚠ Demo mode must never face the internet: whoever reaches this port drives the embedded fake 公众号.\n")
		if host, _, err := net.SplitHostPort(cfg.Addr); err == nil {
			if ip := net.ParseIP(host); host == "" || (ip != nil && !ip.IsLoopback()) {
				fmt.Fprintf(out, "  ⚠ 正在监听非本机地址 %s (listening beyond this machine)!\n", cfg.Addr)
			}
		}
	} else {
		fmt.Fprintf(out, "  公众号服务器地址 Server URL: %s/wx/callback\n", cfg.PublicURL)
		if cfg.AESKey == "" {
			fmt.Fprintf(out, "  消息加解密方式: 明文模式 (plain) — 建议设置 WECHAT_AES_KEY 并在公众号后台选择安全模式 (safe mode recommended)\n")
		}
	}
	fmt.Fprintln(out)
}
