package crypto

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// vectors mirrors testdata/vectors.json: published test vectors of WXBizMsgCrypt, each with its
// source in the file (WxJava's test suite, wechatpy's, and the examples of the official 消息加解密说明
// page, https://developers.weixin.qq.com/doc/subscription/guide/dev/push/encryption.html).
type vectors struct {
	C struct {
		Token, EncodingAESKey, ReceiverID, Random, Message string
		Encrypt, Timestamp, Nonce, MsgSignature            string
	}
	D []struct{ Token, Timestamp, Nonce, Signature string }
	E struct{ Token, Timestamp, Nonce, MsgSignature, Encrypt string }
}

func loadVectors(t testing.TB) vectors {
	t.Helper()
	raw, err := os.ReadFile("testdata/vectors.json")
	require.NoError(t, err)
	var v vectors
	require.NoError(t, json.Unmarshal(raw, &v))
	require.NotEmpty(t, v.C.Encrypt)
	require.Len(t, v.D, 3)
	require.NotEmpty(t, v.E.Encrypt)
	return v
}

// repeatReader yields its bytes over and over: a deterministic WithRandom source.
type repeatReader []byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r[i%len(r)]
	}
	return len(p), nil
}

func TestVectorC(t *testing.T) {
	v := loadVectors(t).C
	c, err := New(v.Token, v.EncodingAESKey, v.ReceiverID, WithRandom(strings.NewReader(v.Random)))
	require.NoError(t, err)

	// Encryption is exact, and the reply carries the vector's signature.
	reply, err := c.EncryptMessage([]byte(v.Message), v.Timestamp, v.Nonce)
	require.NoError(t, err)
	assert.Equal(t, "<xml>\n<Encrypt><![CDATA["+v.Encrypt+"]]></Encrypt>\n"+
		"<MsgSignature><![CDATA["+v.MsgSignature+"]]></MsgSignature>\n"+
		"<TimeStamp>"+v.Timestamp+"</TimeStamp>\n<Nonce><![CDATA["+v.Nonce+"]]></Nonce>\n</xml>", string(reply))

	assert.Equal(t, v.MsgSignature, Signature(v.Token, v.Timestamp, v.Nonce, v.Encrypt))

	// Decryption of the vector's ciphertext, as a POSTed envelope and as our own reply.
	body := "<xml><ToUserName><![CDATA[gh_x]]></ToUserName><Encrypt><![CDATA[" + v.Encrypt + "]]></Encrypt></xml>"
	for _, b := range []string{body, string(reply)} {
		plain, err := c.DecryptMessage(v.MsgSignature, v.Timestamp, v.Nonce, []byte(b))
		require.NoError(t, err)
		assert.Equal(t, v.Message, string(plain))
	}

	// The JSON envelope carries the same ciphertext.
	plain, err := c.DecryptJSON(v.MsgSignature, v.Timestamp, v.Nonce, []byte(`{"encrypt":"`+v.Encrypt+`"}`))
	require.NoError(t, err)
	assert.Equal(t, v.Message, string(plain))

	// VerifyURL: the echostr is signed and decrypted the same way.
	plain, err = c.VerifyURL(v.MsgSignature, v.Timestamp, v.Nonce, v.Encrypt)
	require.NoError(t, err)
	assert.Equal(t, v.Message, string(plain))
}

func TestVectorD(t *testing.T) {
	for _, v := range loadVectors(t).D {
		t.Run(v.Signature, func(t *testing.T) {
			assert.Equal(t, v.Signature, Signature(v.Token, v.Timestamp, v.Nonce))
			assert.True(t, VerifyPlain(v.Token, v.Signature, v.Timestamp, v.Nonce))
			assert.False(t, VerifyPlain(v.Token, v.Signature, v.Timestamp, v.Nonce+"1"))
			assert.False(t, VerifyPlain(v.Token, strings.ToUpper(v.Signature), v.Timestamp, v.Nonce))
			assert.False(t, VerifyPlain(v.Token, v.Signature[:39], v.Timestamp, v.Nonce))
		})
	}
}

func TestVectorE(t *testing.T) {
	v := loadVectors(t).E
	assert.Equal(t, v.MsgSignature, Signature(v.Token, v.Timestamp, v.Nonce, v.Encrypt))

	// The key is not published: with any key the signature check passes and decryption
	// fails later, with a decryption error rather than ErrInvalidSignature.
	c, err := New(v.Token, "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "")
	require.NoError(t, err)
	body := []byte("<xml><ToUserName><![CDATA[ww]]></ToUserName><Encrypt><![CDATA[" + v.Encrypt +
		"]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>")
	_, err = c.DecryptMessage(v.MsgSignature, v.Timestamp, v.Nonce, body)
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrInvalidSignature)
	assert.Contains(t, []int{CodeDecryptAES, CodeIllegalBuffer}, Code(err))

	_, err = c.DecryptMessage(v.MsgSignature, v.Timestamp, "1811081857", body)
	assert.ErrorIs(t, err, ErrInvalidSignature)
}
