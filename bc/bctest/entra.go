package bctest

import (
	"encoding/base64"
	"fmt"
	"math/big"
	"net/http"
	"strings"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// The Entra ID authority serves what MSAL for Go (under azidentity) asks
// for when instance discovery is disabled: the tenant's OpenID
// configuration (whose token_endpoint it then uses, and whose issuer host
// must equal the authority host) and the v2.0 token endpoint. The JWKS and
// the instance discovery document are served too.

const (
	clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	grantClientCreds    = "client_credentials"
)

// AuthorityHandler returns the Entra ID token authority. azidentity only
// talks to it over TLS (see NewServers).
func (s *Sim) AuthorityHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /common/discovery/instance", s.serveInstanceDiscovery)
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", s.serveOpenIDConfiguration)
	mux.HandleFunc("GET /{tenant}/discovery/v2.0/keys", s.serveJWKS)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", s.serveToken)
	return mux
}

func authorityBase(r *http.Request) string { return "https://" + r.Host + "/" }

func (s *Sim) tenantKnown(tenant string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.apps {
		if a.tenantID == strings.ToLower(tenant) {
			return true
		}
	}
	return false
}

func writeOAuthError(w http.ResponseWriter, status int, code string, aadsts int, desc string) {
	corr := uuid.NewString()
	w.Header().Set("Cache-Control", "no-store, no-cache")
	writeJSON(w, status, map[string]any{
		"error":             code,
		"error_description": fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s", aadsts, desc, uuid.NewString(), corr),
		"error_codes":       []int{aadsts},
		"trace_id":          uuid.NewString(),
		"correlation_id":    corr,
	})
}

func (s *Sim) serveInstanceDiscovery(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	writeJSON(w, http.StatusOK, map[string]any{
		"tenant_discovery_endpoint": authorityBase(r) + "common/v2.0/.well-known/openid-configuration",
		"api-version":               "1.1",
		"metadata": []any{map[string]any{
			"preferred_network": host, "preferred_cache": host, "aliases": []string{host},
		}},
	})
}

func (s *Sim) serveOpenIDConfiguration(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	if !s.tenantKnown(tenant) {
		writeOAuthError(w, http.StatusBadRequest, "invalid_tenant", 90002,
			fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant))
		return
	}
	base := authorityBase(r) + tenant
	writeJSON(w, http.StatusOK, map[string]any{
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"jwks_uri":                              authorityBase(r) + tenant + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"issuer":                                base + "/v2.0",
		"request_uri_parameter_supported":       false,
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         base + "/oauth2/v2.0/devicecode",
		"end_session_endpoint":                  base + "/oauth2/v2.0/logout",
		"tenant_region_scope":                   "EU",
		"cloud_instance_name":                   r.Host,
	})
}

func (s *Sim) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	pub := s.signingKey.PublicKey
	writeJSON(w, http.StatusOK, map[string]any{"keys": []any{map[string]any{
		"kty": "RSA", "use": "sig", "kid": s.keyID, "alg": "RS256",
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}

func (s *Sim) serveToken(w http.ResponseWriter, r *http.Request) {
	tenant := strings.ToLower(r.PathValue("tenant"))
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return
	}
	if !s.tenantKnown(tenant) {
		writeOAuthError(w, http.StatusBadRequest, "invalid_tenant", 90002, fmt.Sprintf("Tenant '%s' not found.", tenant))
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != grantClientCreds {
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
		return
	}
	clientID := strings.ToLower(r.PostForm.Get("client_id"))
	s.mu.Lock()
	a, ok := s.apps[appKey(tenant, clientID)]
	var appCopy app
	if ok {
		appCopy = *a
	}
	s.mu.Unlock()
	if !ok {
		writeOAuthError(w, http.StatusBadRequest, "unauthorized_client", 700016,
			fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'.", clientID, tenant))
		return
	}
	acr := "1"
	switch {
	case r.PostForm.Get("client_secret") != "":
		if appCopy.secret == "" || r.PostForm.Get("client_secret") != appCopy.secret {
			writeOAuthError(w, http.StatusUnauthorized, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.")
			return
		}
	case r.PostForm.Get("client_assertion") != "":
		if r.PostForm.Get("client_assertion_type") != clientAssertionType ||
			!verifyAssertion(r.PostForm.Get("client_assertion"), appCopy, authorityBase(r)+r.PathValue("tenant")+"/oauth2/v2.0/token") {
			writeOAuthError(w, http.StatusUnauthorized, "invalid_client", 700027, "The certificate with identifier used to sign the client assertion is not registered on application.")
			return
		}
		acr = "2"
	default:
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", 7000216, "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.")
		return
	}
	if !hasBCScope(r.PostForm.Get("scope")) {
		writeOAuthError(w, http.StatusBadRequest, "invalid_scope", 1002012, "The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).")
		return
	}
	token, err := s.issueToken(tenant, clientID, acr)
	if err != nil {
		writeOAuthError(w, http.StatusInternalServerError, "temporarily_unavailable", 50000, "There was an error issuing a token.")
		return
	}
	s.mu.Lock()
	s.stats.TokensIssued++
	s.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store, no-cache")
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type": "Bearer", "expires_in": tokenLifetimeSeconds, "ext_expires_in": tokenLifetimeSeconds,
		"access_token": token,
	})
}

func hasBCScope(scope string) bool {
	for _, sc := range strings.Fields(scope) {
		if strings.EqualFold(strings.TrimSuffix(sc, "/"), bcScope) || strings.EqualFold(sc, bcAudience+"//.default") {
			return true
		}
	}
	return false
}

// verifyAssertion checks a client assertion's signature against the app's
// registered certificates, and its issuer, subject and audience. Its
// lifetime is not checked: the client stamps it with its own wall clock,
// which a fake sim clock need not match.
func verifyAssertion(assertion string, a app, tokenEndpoint string) bool {
	for _, cert := range a.certs {
		claims := jwt.MapClaims{}
		_, err := jwt.ParseWithClaims(assertion, claims, func(*jwt.Token) (any, error) { return cert.PublicKey, nil },
			jwt.WithValidMethods([]string{"RS256", "PS256", "ES256"}), jwt.WithoutClaimsValidation())
		if err != nil {
			continue
		}
		iss, _ := claims["iss"].(string)
		sub, _ := claims["sub"].(string)
		aud, _ := claims.GetAudience()
		if strings.EqualFold(iss, a.clientID) && strings.EqualFold(sub, a.clientID) && containsFold(aud, tokenEndpoint) {
			return true
		}
	}
	return false
}

func containsFold(list []string, v string) bool {
	for _, e := range list {
		if strings.EqualFold(e, v) {
			return true
		}
	}
	return false
}

// issueToken signs a v1.0 app-only access token for Business Central.
func (s *Sim) issueToken(tenant, clientID, acr string) (string, error) {
	now := s.clock.Now()
	oid := uuid.NewSHA1(uuid.NameSpaceOID, []byte(tenant+"|"+clientID)).String()
	claims := jwt.MapClaims{
		"aud":      bcAudience,
		"iss":      "https://sts.windows.net/" + tenant + "/",
		"iat":      now.Unix(),
		"nbf":      now.Unix(),
		"exp":      now.Unix() + tokenLifetimeSeconds,
		"appid":    clientID,
		"appidacr": acr,
		"azp":      clientID,
		"azpacr":   acr,
		"idp":      "https://sts.windows.net/" + tenant + "/",
		"idtyp":    "app",
		"oid":      oid,
		"sub":      oid,
		"roles":    []string{demoRolesReadWrite},
		"tid":      tenant,
		"uti":      strings.ReplaceAll(uuid.NewString(), "-", ""),
		"ver":      "1.0",
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = s.keyID
	return tok.SignedString(s.signingKey)
}

// principal identifies who a BC request runs as: limits are per principal.
type principal struct {
	tenant string
	id     string // app id or basic user
}

func (p principal) key() string { return p.tenant + "|" + p.id }

// authenticate checks a BC API request's credentials: a bearer token issued
// by this authority to a registered app, for BC's audience, not expired on
// the sim clock and for the tenant in the URL; or basic auth when enabled.
func (s *Sim) authenticate(r *http.Request, urlTenant string) (principal, *apiError) {
	deny := func(msg string) (principal, *apiError) {
		e := errf(http.StatusUnauthorized, CodeInvalidCredentials, "%s", msg)
		e.header = http.Header{"Www-Authenticate": {`Bearer authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", resource_id="` + bcAudience + `"`}}
		return principal{}, e
	}
	if user, key, ok := r.BasicAuth(); ok {
		if s.basicUser != "" && user == s.basicUser && key == s.basicKey {
			return principal{tenant: "basic", id: user}, nil
		}
		return deny("The server has rejected the client credentials.")
	}
	h := r.Header.Get("Authorization")
	raw, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || raw == "" {
		return deny("The server has rejected the client credentials.")
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return &s.signingKey.PublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithAudience(bcAudience),
		jwt.WithTimeFunc(s.clock.Now), jwt.WithExpirationRequired())
	if err != nil {
		return deny("The credentials provided are incorrect.")
	}
	tid, _ := claims["tid"].(string)
	appid, _ := claims["appid"].(string)
	s.mu.Lock()
	_, registered := s.apps[appKey(tid, appid)]
	s.mu.Unlock()
	if !registered {
		return deny("The Microsoft Entra application is not registered or enabled in Business Central.")
	}
	if urlTenant != "" && !strings.EqualFold(urlTenant, tid) {
		return deny("The token's tenant does not match the tenant in the request URL.")
	}
	return principal{tenant: strings.ToLower(tid), id: strings.ToLower(appid)}, nil
}
