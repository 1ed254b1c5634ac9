package crypto

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExtractXML(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    string
		wantErr error
	}{
		{"CDATA", "<xml><Encrypt><![CDATA[ab+/=]]></Encrypt></xml>", "ab+/=", nil},
		{"plain text", "<xml><Encrypt>ab+/=</Encrypt></xml>", "ab+/=", nil},
		{"WeCom POST", "<xml><ToUserName><![CDATA[ww1]]></ToUserName><AgentID><![CDATA[1000002]]></AgentID><Encrypt><![CDATA[abc]]></Encrypt></xml>", "abc", nil},
		{"公众号 safe mode, Encrypt last", "<xml>\n  <ToUserName>gh_1</ToUserName>\n  <FromUserName><![CDATA[o1]]></FromUserName>\n  <CreateTime>1409735668</CreateTime>\n  <MsgId>6054768590064713728</MsgId>\n  <Encrypt><![CDATA[abc]]></Encrypt>\n</xml>", "abc", nil},
		{"BOM, whitespace, declaration, comment", "\xef\xbb\xbf\n \t<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<!-- c -->\n<xml><Encrypt>abc</Encrypt></xml>\n<!-- after -->\n", "abc", nil},
		{"PI after root", "<xml><Encrypt>abc</Encrypt></xml>\n<?pi x?>", "abc", nil},
		{"declaration without BOM", `<?xml version="1.0"?><xml><Encrypt>abc</Encrypt></xml>`, "abc", nil},
		{"attributes", `<xml a="1" b='>'><Encrypt x="<y>">abc</Encrypt><A href="/x/"/></xml>`, "abc", nil},
		{"nested and self-closing siblings", "<xml><A><B><C>t</C></B><B/></A><Encrypt>abc</Encrypt><D></D><E/></xml>", "abc", nil},
		{"nested Encrypt is not the envelope's", "<xml><Item><Encrypt>no</Encrypt></Item><Encrypt>yes</Encrypt></xml>", "yes", nil},
		{"any root name", "<root><Encrypt>abc</Encrypt></root>", "abc", nil},
		{"end tag with spaces", "<xml ><Encrypt >abc</Encrypt  ></xml\n>", "abc", nil},
		{"entities", "<xml><Encrypt>a&#43;b&#x2B;c&#x2b;&amp;&lt;&gt;&quot;&apos;&#0043;</Encrypt></xml>", "a+b+c+&<>\"'+", nil},
		{"non-ASCII char ref", "<xml><Encrypt>&#20013;&#x1F392;</Encrypt></xml>", "中🎒", nil},
		{"several CDATA sections", "<xml><Encrypt><![CDATA[ab]]><![CDATA[cd]]></Encrypt></xml>", "abcd", nil},
		{"text and CDATA", "<xml><Encrypt>ab<![CDATA[c&d]]>e&#43;</Encrypt></xml>", "abc&de+", nil},
		{"comment and PI inside", "<xml><Encrypt>ab<!-- x -->cd<?pi x?></Encrypt></xml>", "abcd", nil},
		{"empty CDATA beside text", "<xml><Encrypt><![CDATA[]]>abc</Encrypt></xml>", "abc", nil},
		{"whitespace around CDATA is kept", "<xml><Encrypt>\n  <![CDATA[abc]]>\n</Encrypt></xml>", "\n  abc\n", nil},
		{"line endings normalized", "<xml><Encrypt>a\r\nb\rc<![CDATA[d\r\ne]]></Encrypt></xml>", "a\nb\ncd\ne", nil},
		{"char ref CR is kept", "<xml><Encrypt>a&#13;b</Encrypt></xml>", "a\rb", nil},
		{"root-level CDATA and text ignored", "<xml>text<![CDATA[<Encrypt>no</Encrypt>]]><Encrypt>abc</Encrypt>more</xml>", "abc", nil},
		{"Encrypt inside CDATA only", "<xml><A><![CDATA[<Encrypt>no</Encrypt>]]></A></xml>", "", ErrMissingEncrypt},
		{"Encrypt inside comment only", "<xml><!--<Encrypt>no</Encrypt>--></xml>", "", ErrMissingEncrypt},

		{"missing Encrypt", "<xml><ToUserName>x</ToUserName></xml>", "", ErrMissingEncrypt},
		{"only nested Encrypt", "<xml><A><Encrypt>abc</Encrypt></A></xml>", "", ErrMissingEncrypt},
		{"empty Encrypt", "<xml><Encrypt></Encrypt></xml>", "", ErrMissingEncrypt},
		{"empty CDATA", "<xml><Encrypt><![CDATA[]]></Encrypt></xml>", "", ErrMissingEncrypt},
		{"self-closing Encrypt", "<xml><Encrypt/></xml>", "", ErrMissingEncrypt},
		{"self-closing root", "<xml/>", "", ErrMissingEncrypt},
		{"case matters", "<xml><encrypt>abc</encrypt></xml>", "", ErrMissingEncrypt},

		{"empty", "", "", ErrInvalidEnvelope},
		{"whitespace only", " \n", "", ErrInvalidEnvelope},
		{"BOM only", "\xef\xbb\xbf", "", ErrInvalidEnvelope},
		{"declaration only", `<?xml version="1.0"?>`, "", ErrInvalidEnvelope},
		{"text before root", "x<xml><Encrypt>abc</Encrypt></xml>", "", ErrInvalidEnvelope},
		{"text after root", "<xml><Encrypt>abc</Encrypt></xml>x", "", ErrInvalidEnvelope},
		{"second root", "<xml><Encrypt>abc</Encrypt></xml><xml/>", "", ErrInvalidEnvelope},
		{"DOCTYPE", `<!DOCTYPE xml [<!ENTITY e "x">]><xml><Encrypt>&e;</Encrypt></xml>`, "", ErrInvalidEnvelope},
		{"duplicate Encrypt", "<xml><Encrypt>a</Encrypt><Encrypt>b</Encrypt></xml>", "", ErrInvalidEnvelope},
		{"duplicate empty Encrypt", "<xml><Encrypt/><Encrypt>b</Encrypt></xml>", "", ErrInvalidEnvelope},
		{"element inside Encrypt", "<xml><Encrypt>a<b/>c</Encrypt></xml>", "", ErrInvalidEnvelope},
		{"mismatched end tag", "<xml><A><B></A></B><Encrypt>abc</Encrypt></xml>", "", ErrInvalidEnvelope},
		{"mismatched root end tag", "<xml><Encrypt>abc</Encrypt></xmlx>", "", ErrInvalidEnvelope},
		{"mismatched Encrypt end tag", "<xml><Encrypt>abc</Encrypted></xml>", "", ErrInvalidEnvelope},
		{"unknown entity", "<xml><Encrypt>a&nbsp;b</Encrypt></xml>", "", ErrInvalidEnvelope},
		{"unterminated entity", "<xml><Encrypt>a&amp b</Encrypt></xml>", "", ErrInvalidEnvelope},
		{"bare ampersand", "<xml><Encrypt>a & b</Encrypt></xml>", "", ErrInvalidEnvelope},
		{"empty char ref", "<xml><Encrypt>&#;</Encrypt></xml>", "", ErrInvalidEnvelope},
		{"empty hex char ref", "<xml><Encrypt>&#x;</Encrypt></xml>", "", ErrInvalidEnvelope},
		{"signed char ref", "<xml><Encrypt>&#+43;</Encrypt></xml>", "", ErrInvalidEnvelope},
		{"NUL char ref", "<xml><Encrypt>&#0;</Encrypt></xml>", "", ErrInvalidEnvelope},
		{"surrogate char ref", "<xml><Encrypt>&#xD800;</Encrypt></xml>", "", ErrInvalidEnvelope},
		{"char ref out of range", "<xml><Encrypt>&#x110000;</Encrypt></xml>", "", ErrInvalidEnvelope},
		{"upper-case X char ref", "<xml><Encrypt>&#X2B;</Encrypt></xml>", "", ErrInvalidEnvelope},
		{"unterminated CDATA", "<xml><Encrypt><![CDATA[abc</Encrypt></xml>", "", ErrInvalidEnvelope},
		{"unterminated comment", "<xml><!-- <Encrypt>abc</Encrypt></xml>", "", ErrInvalidEnvelope},
		{"unterminated attribute", `<xml a="><Encrypt>abc</Encrypt></xml>`, "", ErrInvalidEnvelope},
		{"empty tag name", "<xml>< Encrypt>abc</Encrypt></xml>", "", ErrInvalidEnvelope},
		{"empty end tag name", "<xml><Encrypt>abc</ ></xml>", "", ErrInvalidEnvelope},
		{"markup declaration in content", "<xml><!ELEMENT x ANY><Encrypt>abc</Encrypt></xml>", "", ErrInvalidEnvelope},
		{"unterminated comment after root", "<xml><Encrypt>abc</Encrypt></xml><!-- x", "", ErrInvalidEnvelope},
		{"unterminated comment in Encrypt", "<xml><Encrypt>a<!-- x</Encrypt></xml>", "", ErrInvalidEnvelope},
		{"unterminated PI in Encrypt", "<xml><Encrypt>a<?pi </Encrypt></xml>", "", ErrInvalidEnvelope},
		{"'<' inside a tag", "<xml><A <B>x</B></A><Encrypt>abc</Encrypt></xml>", "", ErrInvalidEnvelope},
		{"attribute in end tag", "<xml><Encrypt>abc</Encrypt x></xml>", "", ErrInvalidEnvelope},
		{"invalid name character", "<xml><A=1>x</A=1><Encrypt>abc</Encrypt></xml>", "", ErrInvalidEnvelope},
		{"too deep", "<xml>" + strings.Repeat("<a>", maxXMLDepth) + strings.Repeat("</a>", maxXMLDepth) + "<Encrypt>x</Encrypt></xml>", "", ErrInvalidEnvelope},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := extractXML([]byte(tt.body))
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
			// encoding/xml (used by Tencent's Go sample) reads the same value, except that it
			// also turns a character reference &#13; into \n.
			if std, err := stdXMLEncrypt([]byte(tt.body)); err == nil && !strings.Contains(tt.body, "&#13;") {
				assert.Equal(t, std, string(got), "encoding/xml disagrees")
			}
		})
	}
}

func TestExtractXMLDepthLimit(t *testing.T) {
	deep := "<xml>" + strings.Repeat("<a>", maxXMLDepth-1) + strings.Repeat("</a>", maxXMLDepth-1) + "<Encrypt>x</Encrypt></xml>"
	got, err := extractXML([]byte(deep))
	require.NoError(t, err)
	assert.Equal(t, "x", string(got))
}

// TestExtractXMLFastPathAliases checks that the common shapes return a subslice of the body
// (no copy), and that the result never aliases the body when decoding was needed.
func TestExtractXMLFastPathAliases(t *testing.T) {
	for _, body := range []string{
		"<xml><Encrypt><![CDATA[abc]]></Encrypt></xml>",
		"<xml><Encrypt>abc</Encrypt></xml>",
		"<xml><Encrypt><!-- c --><![CDATA[abc]]></Encrypt></xml>",
	} {
		b := []byte(body)
		got, err := extractXML(b)
		require.NoError(t, err)
		i := strings.Index(body, "abc")
		assert.Same(t, &b[i], &got[0], body)
	}
	b := []byte("<xml><Encrypt>a&#43;c</Encrypt></xml>")
	got, err := extractXML(b)
	require.NoError(t, err)
	assert.Equal(t, "a+c", string(got))
	assert.Equal(t, "<xml><Encrypt>a&#43;c</Encrypt></xml>", string(b), "the body is never modified")
}

// TestExtractXMLTruncated cuts a rich envelope at every byte: each strict prefix is malformed.
func TestExtractXMLTruncated(t *testing.T) {
	body := "\xef\xbb\xbf<?xml version=\"1.0\"?>\n<!-- c --><xml a=\"1\"><ToUserName><![CDATA[ww]]></ToUserName>" +
		"<A><B x='y'/></A><Encrypt>ab&#43;<![CDATA[cd]]></Encrypt><AgentID>1</AgentID></xml>"
	got, err := extractXML([]byte(body))
	require.NoError(t, err)
	require.Equal(t, "ab+cd", string(got))
	for n := range len(body) {
		_, err := extractXML([]byte(body[:n]))
		require.ErrorIs(t, err, ErrInvalidEnvelope, "prefix of %d bytes: %q", n, body[:n])
	}
}
