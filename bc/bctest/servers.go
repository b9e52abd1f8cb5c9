package bctest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// Servers are the simulator's listeners: the BC listener (BC API, NP Retail
// API under /npretail and the control API under /_sim/) over plain HTTP and
// the Entra ID authority over TLS with a self-signed certificate for
// 127.0.0.1, ::1 and localhost.
type Servers struct {
	Sim *Sim
	// BCURL is http://host:port. The API v2.0 root is
	// BCURL + "/v2.0/{tenant}/{environment}/api/v2.0".
	BCURL string
	// AuthorityURL is https://host:port/ — use it as azcore's
	// cloud.Configuration.ActiveDirectoryAuthorityHost.
	AuthorityURL string
	// AuthorityCACertPool trusts the authority's certificate.
	AuthorityCACertPool *x509.CertPool
	// AuthorityCAPEM is the authority's self-signed certificate as PEM, for
	// a CA file (config upstream.caFile) read by another process.
	AuthorityCAPEM []byte
	// NPRetailURL is BCURL + "/npretail"; the NP Retail base of a company is
	// NPRetailURL + "/{tenant}/{environment}/{company}".
	NPRetailURL string

	bc, authority *http.Server
	bcLn, authLn  net.Listener
}

// NewServers starts the simulator on bcAddr (plain HTTP) and authorityAddr
// (TLS), e.g. "127.0.0.1:0" for any free port. Close stops both.
func NewServers(bcAddr, authorityAddr string, opts ...Option) (*Servers, error) {
	sim, err := New(opts...)
	if err != nil {
		return nil, err
	}
	cert, pool, err := selfSignedCert(sim.clock.Now())
	if err != nil {
		return nil, err
	}
	bcLn, err := net.Listen("tcp", bcAddr)
	if err != nil {
		return nil, fmt.Errorf("bctest: listen for BC on %s: %w", bcAddr, err)
	}
	authLn, err := net.Listen("tcp", authorityAddr)
	if err != nil {
		_ = bcLn.Close()
		return nil, fmt.Errorf("bctest: listen for the authority on %s: %w", authorityAddr, err)
	}
	s := &Servers{
		Sim:                 sim,
		BCURL:               "http://" + dialable(bcLn.Addr()),
		AuthorityURL:        "https://" + dialable(authLn.Addr()) + "/",
		AuthorityCACertPool: pool,
		AuthorityCAPEM:      pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}),
		bc:                  &http.Server{Handler: sim.BCHandler(), ReadHeaderTimeout: 10 * time.Second},
		authority: &http.Server{Handler: sim.AuthorityHandler(), ReadHeaderTimeout: 10 * time.Second,
			TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}},
		bcLn: bcLn, authLn: authLn,
	}
	s.NPRetailURL = s.BCURL + "/npretail"
	go func() { _ = s.bc.Serve(bcLn) }()
	go func() { _ = s.authority.ServeTLS(authLn, "", "") }()
	return s, nil
}

// Start runs the simulator on loopback for a test and closes it on cleanup.
func Start(t testing.TB, opts ...Option) *Servers {
	t.Helper()
	s, err := NewServers("127.0.0.1:0", "127.0.0.1:0", opts...)
	if err != nil {
		t.Fatalf("bctest: start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("bctest: close: %v", err)
		}
	})
	return s
}

// HTTPClient returns a client that trusts the authority's certificate, for
// azcore.ClientOptions.Transport and for the BC API.
func (s *Servers) HTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: s.AuthorityCACertPool, MinVersion: tls.VersionTLS12},
		Proxy:           nil,
	}}
}

// APIRoot returns the API v2.0 root of a tenant's environment.
func (s *Servers) APIRoot(tenantID, environment string) string {
	return s.BCURL + "/v2.0/" + tenantID + "/" + environment + "/api/v2.0"
}

// Close stops both listeners, cutting open connections.
func (s *Servers) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err1 := s.bc.Shutdown(ctx)
	err2 := s.authority.Shutdown(ctx)
	if errors.Is(err1, context.DeadlineExceeded) {
		err1 = s.bc.Close()
	}
	if errors.Is(err2, context.DeadlineExceeded) {
		err2 = s.authority.Close()
	}
	return errors.Join(err1, err2)
}

// selfSignedCert makes a certificate for the loopback names that is its own
// CA, valid around now (the sim clock) and around the wall clock.
func selfSignedCert(now time.Time) (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("bctest: generate TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("bctest: certificate serial: %w", err)
	}
	notBefore, notAfter := now, time.Now()
	if notAfter.Before(notBefore) {
		notBefore, notAfter = notAfter, notBefore
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "bctest simulated Entra ID", Organization: []string{"bcvipps bctest"}},
		NotBefore:             notBefore.Add(-24 * time.Hour),
		NotAfter:              notAfter.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("bctest: create certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("bctest: parse certificate: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}

// dialable turns a listener address into host:port a client can dial: an
// unspecified host (":8080", "0.0.0.0:8080") becomes 127.0.0.1, which the
// authority's certificate covers.
func dialable(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
}
