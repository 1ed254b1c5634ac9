package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServeDomainVerify(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "WW_verify_Ab12.txt"), []byte("Ab12xyz"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "session.key"), []byte("secret"), 0o600))
	tests := []struct {
		method, path string
		served       bool
	}{
		{"GET", "/WW_verify_Ab12.txt", true},
		{"HEAD", "/WW_verify_Ab12.txt", true},
		{"POST", "/WW_verify_Ab12.txt", false},
		{"GET", "/WW_verify_Missing.txt", false},
		{"GET", "/session.key", false},
		{"GET", "/WW_verify_../session.key", false},
		{"GET", "/x/WW_verify_Ab12.txt", false},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			served := serveDomainVerify(rec, httptest.NewRequest(tt.method, "http://shop.example"+tt.path, nil), dir)
			assert.Equal(t, tt.served, served)
			if tt.served {
				assert.Equal(t, http.StatusOK, rec.Code)
				if tt.method == "GET" {
					assert.Equal(t, "Ab12xyz", rec.Body.String())
				}
			}
		})
	}
}
