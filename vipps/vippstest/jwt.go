package vippstest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"sync"
)

// signingKey is the RS256 key that signs id_tokens. Generating an RSA key is
// slow under -race, so all simulators in a process share one.
var (
	keyOnce    sync.Once
	signingKey *rsa.PrivateKey
)

const signingKeyID = "vippstest-rs256-1"

func idTokenKey() *rsa.PrivateKey {
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic("vippstest: generate RSA key: " + err.Error())
		}
		signingKey = k
	})
	return signingKey
}

var b64 = base64.RawURLEncoding

// signJWT returns an RS256-signed compact JWT with the given claims.
func signJWT(claims map[string]any) (string, error) {
	header, err := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": signingKeyID})
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := b64.EncodeToString(header) + "." + b64.EncodeToString(payload)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, idTokenKey(), crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return input + "." + b64.EncodeToString(sig), nil
}

// jwks is the JSON Web Key Set with the public signing key.
func jwks() map[string]any {
	pub := idTokenKey().PublicKey
	return map[string]any{"keys": []map[string]any{{
		"kty": "RSA",
		"use": "sig",
		"alg": "RS256",
		"kid": signingKeyID,
		"n":   b64.EncodeToString(pub.N.Bytes()),
		"e":   b64.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}}
}
