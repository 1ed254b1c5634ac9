package wecom

import "time"

// SetTokenFetchTimeout shortens the internal bound of one token fetch, so that tests need not
// wait 15 seconds.
func SetTokenFetchTimeout(c *Client, d time.Duration) {
	c.tokens.(*cachedSource).timeout = d
}
