package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// fakeService answers /slow by waiting for the workers' context to end
// (like a long-poll that the service wakes at shutdown).
type fakeService struct {
	ready   chan struct{} // closed by Run once ctx is set
	ctx     context.Context
	entered chan struct{} // receives when /slow is being served
	runErr  error         // returned by Run at once when set
	// profiling receives when the admin listener's /profile is being
	// served: it waits for its request's context, as a CPU profile does.
	profiling chan struct{}
}

func newFakeService(runErr error) *fakeService {
	return &fakeService{ready: make(chan struct{}), entered: make(chan struct{}, 1), runErr: runErr, profiling: make(chan struct{}, 1)}
}

func (f *fakeService) APIHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/slow" {
			return
		}
		f.entered <- struct{}{}
		<-f.ready
		<-f.ctx.Done()
		_, _ = io.WriteString(w, "woken")
	})
}

func (f *fakeService) AdminHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/profile" {
			http.NotFound(w, r)
			return
		}
		f.profiling <- struct{}{}
		<-r.Context().Done()
		_, _ = io.WriteString(w, "ended")
	})
}

func (f *fakeService) Run(ctx context.Context) error {
	f.ctx = ctx
	close(f.ready)
	if f.runErr != nil {
		return f.runErr
	}
	<-ctx.Done()
	return nil
}

// getBody GETs url in the background; the channel gets the answer's body,
// or the error.
func getBody(url string) <-chan string {
	got := make(chan string, 1)
	go func() {
		resp, err := http.Get(url)
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- string(b)
	}()
	return got
}

func loopback(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func TestServeAndRun(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	t.Run("shutdown wakes a long-poll, lets it finish and waits for Run", func(t *testing.T) {
		f := newFakeService(nil)
		apiLn := loopback(t)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- serveAndRun(ctx, f, apiLn, loopback(t), time.Minute, log) }()

		got := getBody("http://" + apiLn.Addr().String() + "/slow")
		<-f.entered // the request is in flight
		cancel()
		if body := <-got; body != "woken" {
			t.Errorf("long-poll answer %q, want it to finish with \"woken\"", body)
		}
		if err := <-done; err != nil {
			t.Errorf("serveAndRun: %v", err)
		}
		if _, err := net.Dial("tcp", apiLn.Addr().String()); err == nil {
			t.Error("the API listener still accepts after shutdown")
		}
	})

	t.Run("shutdown ends a CPU profile in progress on the admin listener", func(t *testing.T) {
		f := newFakeService(nil)
		adminLn := loopback(t)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- serveAndRun(ctx, f, loopback(t), adminLn, time.Minute, log) }()
		got := getBody("http://" + adminLn.Addr().String() + "/profile")
		<-f.profiling
		cancel()
		if body := <-got; body != "ended" {
			t.Errorf("profile answer %q, want it to end with \"ended\"", body)
		}
		// Without the end, Shutdown would wait out its minute and fail.
		if err := <-done; err != nil {
			t.Errorf("serveAndRun: %v", err)
		}
	})

	t.Run("workers failing stop the listeners and report the error", func(t *testing.T) {
		boom := errors.New("boom")
		f := newFakeService(boom)
		err := serveAndRun(context.Background(), f, loopback(t), loopback(t), time.Minute, log)
		if !errors.Is(err, boom) {
			t.Errorf("err = %v, want boom", err)
		}
	})

	t.Run("a busy port is reported with the config key", func(t *testing.T) {
		ln := loopback(t)
		defer ln.Close()
		_, _, err := listenPair(ln.Addr().String(), "127.0.0.1:0")
		if err == nil || !strings.Contains(err.Error(), "server.listen") {
			t.Errorf("err = %v, want one naming server.listen", err)
		}
	})
}
