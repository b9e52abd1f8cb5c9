package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// HTTP server limits. WriteTimeout stays above the longest long-poll
// (GET …?wait=60) plus the time to write its answer.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 90 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10

	// fallbackShutdownTimeout is used when server.shutdownTimeout is 0.
	fallbackShutdownTimeout = 15 * time.Second
)

// service is what serveAndRun needs of *connector.Service.
type service interface {
	APIHandler() http.Handler
	AdminHandler() http.Handler
	Run(ctx context.Context) error
}

// listener is one HTTP server on its bound listener.
type listener struct {
	name string
	srv  *http.Server
	ln   net.Listener
}

func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// serveAndRun serves svc's API on apiLn and its admin handler on adminLn,
// runs its workers, and when ctx ends (or a listener or the workers fail)
// shuts everything down: the listeners stop accepting and in-flight
// requests get up to shutdownTimeout to finish while the workers' context
// is cancelled, which wakes long-polls; then it waits (within the same
// timeout) for Run to return. The caller closes svc afterwards.
func serveAndRun(ctx context.Context, svc service, apiLn, adminLn net.Listener, shutdownTimeout time.Duration, log *slog.Logger) error {
	if shutdownTimeout <= 0 {
		shutdownTimeout = fallbackShutdownTimeout
	}
	// The workers get their own context: it must outlive ctx until the
	// listeners have begun their shutdown.
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()

	admin := newHTTPServer(svc.AdminHandler(), log)
	// The admin listener's requests end when the shutdown begins: a CPU
	// profile or trace in progress (server.pprof) answers with what it has
	// instead of outlasting server.shutdownTimeout.
	admin.BaseContext = func(net.Listener) context.Context { return workCtx }
	servers := []listener{
		{name: "api", srv: newHTTPServer(svc.APIHandler(), log), ln: apiLn},
		{name: "admin", srv: admin, ln: adminLn},
	}
	serveErr := make(chan error, len(servers))
	for _, s := range servers {
		log.Info("listening", slog.String("listener", s.name), slog.String("addr", s.ln.Addr().String()))
		go func() {
			if err := s.srv.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
				serveErr <- fmt.Errorf("%s listener: %w", s.name, err)
			}
		}()
	}
	runDone := make(chan error, 1)
	go func() { runDone <- svc.Run(workCtx) }()

	var failure error
	runReturned := false
	select {
	case <-ctx.Done():
		log.Info("shutting down", slog.String("reason", context.Cause(ctx).Error()))
	case err := <-serveErr:
		failure = err
		log.Error("listener failed; shutting down", slog.String("error", err.Error()))
	case err := <-runDone:
		runReturned = true
		if err == nil {
			err = errors.New("returned before shutdown")
		}
		failure = fmt.Errorf("workers: %w", err)
		log.Error("workers stopped; shutting down", slog.String("error", err.Error()))
	}

	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	cancelWork()
	errs := make([]error, len(servers)+1)
	errs[0] = failure
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Go(func() {
			if err := s.srv.Shutdown(shutCtx); err != nil {
				_ = s.srv.Close()
				errs[i+1] = fmt.Errorf("shut down %s listener: %w", s.name, err)
			}
		})
	}
	// After a timed-out Shutdown, Close does not wait for the handlers: a
	// payment create still in its Vipps call may then find the store
	// closed when it records the call (svc.Close waits only for the
	// records already under way). That is the crash case: the follower
	// sends the create again under the same key after sendGrace.
	wg.Wait()
	if !runReturned {
		select {
		case err := <-runDone:
			if err != nil {
				errs = append(errs, fmt.Errorf("workers: %w", err))
			}
		case <-shutCtx.Done():
			errs = append(errs, fmt.Errorf("workers did not stop within %s: %w", shutdownTimeout, shutCtx.Err()))
		}
	}
	return errors.Join(errs...)
}

// listenPair binds the API and admin addresses.
func listenPair(apiAddr, adminAddr string) (api, admin net.Listener, err error) {
	api, err = net.Listen("tcp", apiAddr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen on %s (server.listen): %w", apiAddr, err)
	}
	admin, err = net.Listen("tcp", adminAddr)
	if err != nil {
		_ = api.Close()
		return nil, nil, fmt.Errorf("listen on %s (server.adminListen): %w", adminAddr, err)
	}
	return api, admin, nil
}
