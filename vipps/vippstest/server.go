package vippstest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Server is a Sim listening on a TCP address.
type Server struct {
	*Sim
	// URL is the base URL, e.g. http://127.0.0.1:54321. Use it as the
	// client's BaseURL.
	URL string

	srv *http.Server
	ln  net.Listener
}

// NewServer starts a Sim on addr ("127.0.0.1:0" picks a free port). It is
// what the offline sandbox runs. Close it when done.
func NewServer(addr string, opts ...Option) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("vippstest: listen %s: %w", addr, err)
	}
	sim := New(opts...)
	s := &Server{
		Sim: sim,
		URL: "http://" + ln.Addr().String(),
		srv: &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second},
		ln:  ln,
	}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server and the simulator's background work.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		// A client may hold a connection it dialed but never used (net/http
		// dials ahead); Shutdown waits on those. Close them hard instead.
		err = s.srv.Close()
	}
	s.Sim.Close()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("vippstest: close: %w", err)
	}
	return nil
}

// Start starts a Sim on a loopback port for the test and closes it in
// t.Cleanup. With WithSpecValidation, the cleanup also fails the test on
// any recorded spec violation.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := NewServer("127.0.0.1:0", opts...)
	if err != nil {
		t.Fatalf("vippstest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("%v", err)
		}
		if s.spec != nil {
			if v := s.SpecViolations(); len(v) > 0 {
				t.Errorf("vippstest: %d spec violation(s):\n%s", len(v), strings.Join(v, "\n"))
			}
		}
	})
	return s
}
