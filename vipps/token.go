package vipps

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// TokenCache holds access tokens from POST /accesstoken/get, keyed by host,
// credential set and MSN. A token is refreshed ahead of expiry (a tenth of
// its lifetime, at least 30 s early), and while a fetch for a key is under
// way every other caller for that key waits for it (one fetch, many
// callers). Callers never see a token: the client puts it in the
// Authorization header itself. A zero TokenCache is not usable; use
// NewTokenCache.
type TokenCache struct {
	mu      sync.Mutex
	entries map[string]cachedToken
	group   singleflight.Group
}

type cachedToken struct {
	token     string
	refreshAt time.Time
	expiresAt time.Time
}

// NewTokenCache returns an empty cache that may be shared by many clients.
func NewTokenCache() *TokenCache { return &TokenCache{entries: map[string]cachedToken{}} }

// cacheKey never holds a secret in clear: it is a hash of everything that
// identifies whose token it is.
func (c *Client) cacheKey() string {
	h := sha256.New()
	for _, s := range []string{c.base, c.cfg.ClientID, c.cfg.ClientSecret, c.cfg.SubscriptionKey, c.cfg.MSN} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// accessToken returns a valid merchant/partner access token.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	key := c.tokenKey
	now := c.clock.Now()
	tc := c.tokens
	tc.mu.Lock()
	e, ok := tc.entries[key]
	tc.mu.Unlock()
	if ok && now.Before(e.refreshAt) {
		return e.token, nil
	}
	ch := tc.group.DoChan(key, func() (any, error) {
		// Another flight may have just finished for this key.
		tc.mu.Lock()
		e, ok := tc.entries[key]
		tc.mu.Unlock()
		if ok && c.clock.Now().Before(e.refreshAt) {
			return e, nil
		}
		// The fetch serves every waiting caller, so one caller giving up
		// must not cancel it.
		e, err := c.fetchToken(context.WithoutCancel(ctx))
		if err != nil {
			return nil, err
		}
		tc.mu.Lock()
		tc.entries[key] = e
		tc.mu.Unlock()
		return e, nil
	})
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case r := <-ch:
		if r.Err != nil {
			// A still-valid token beats an error during early refresh.
			if ok && c.clock.Now().Before(e.expiresAt) {
				c.log.WarnContext(ctx, "vipps access token refresh failed; using current token")
				return e.token, nil
			}
			return "", r.Err
		}
		return r.Val.(cachedToken).token, nil
	}
}

type accessTokenResponse struct {
	TokenType   string    `json:"token_type"`
	ExpiresIn   flexInt64 `json:"expires_in"`
	ExpiresOn   flexInt64 `json:"expires_on"`
	AccessToken string    `json:"access_token"`
}

// flexInt64 accepts "3599" and 3599: the access-token API sends strings.
type flexInt64 int64

func (f *flexInt64) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		if s == "" {
			*f = 0
			return nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("not an integer string")
		}
		*f = flexInt64(n)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("not an integer")
	}
	*f = flexInt64(n)
	return nil
}

// fetchToken calls POST /accesstoken/get. The API defines the call as safe
// to repeat, so the retry policy may retry it although it is a POST.
func (c *Client) fetchToken(ctx context.Context) (cachedToken, error) {
	const op = "vipps access token"
	h := http.Header{}
	h.Set("client_id", c.cfg.ClientID)
	h.Set("client_secret", c.cfg.ClientSecret)
	var r accessTokenResponse
	cl := call{op: op, method: http.MethodPost, url: c.url("/accesstoken/get"), header: h, auth: authNone, safe: true}
	if _, err := c.send(ctx, cl, &r); err != nil {
		return cachedToken{}, err
	}
	if r.AccessToken == "" || r.ExpiresIn <= 0 {
		return cachedToken{}, fmt.Errorf("%s: response without token or expiry", op)
	}
	now := c.clock.Now()
	life := time.Duration(r.ExpiresIn) * time.Second
	early := max(life/10, 30*time.Second)
	if early > life/2 {
		early = life / 2
	}
	c.log.DebugContext(ctx, "vipps access token fetched", "lifetime", life)
	return cachedToken{token: r.AccessToken, expiresAt: now.Add(life), refreshAt: now.Add(life - early)}, nil
}
