package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	state := filepath.Join(t.TempDir(), "fake.json")
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-state", state, "-corpid", "wwTest", "-secret", "sec"}, pw, io.Discard)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	require.True(t, sc.Scan())
	first := sc.Text()
	require.True(t, strings.HasPrefix(first, "wecomfake serving http://127.0.0.1:"), first)
	base := strings.TrimPrefix(first, "wecomfake serving ")
	var rest strings.Builder
	for sc.Scan() && !strings.Contains(sc.Text(), "member:") {
		rest.WriteString(sc.Text() + "\n")
	}
	assert.Contains(t, rest.String(), "corpid=wwTest")
	assert.Contains(t, rest.String(), "secret=sec")
	go func() { _, _ = io.Copy(io.Discard, pr) }()

	resp, err := http.Get(base + "/cgi-bin/gettoken?" + url.Values{"corpid": {"wwTest"}, "corpsecret": {"sec"}}.Encode())
	require.NoError(t, err)
	var tok struct {
		ErrCode     int    `json:"errcode"`
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tok))
	resp.Body.Close()
	assert.Zero(t, tok.ErrCode)
	assert.NotEmpty(t, tok.AccessToken)

	cancel()
	require.NoError(t, <-done)
	_, err = os.Stat(state)
	assert.NoError(t, err, "the state file is written on exit")
}

func TestRunBadFlags(t *testing.T) {
	assert.Error(t, run(t.Context(), []string{"-nope"}, io.Discard, io.Discard))
	assert.Error(t, run(t.Context(), []string{"-mp-callback", "http://127.0.0.1:1/cb", "-mp-mode", "x"}, io.Discard, io.Discard))
	assert.Error(t, run(t.Context(), []string{"-failure-rate", "3"}, io.Discard, io.Discard))
	assert.Error(t, run(t.Context(), []string{"-trusted-domains", "https://shop.example.com/"}, io.Discard, io.Discard))
	assert.Error(t, run(t.Context(), []string{"-max-body", "1"}, io.Discard, io.Discard))
}
