package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// newClient returns the HTTP client used for every call: keep-alive with
// enough idle connections per host that an open-loop burst does not open
// and close connections on every request.
func newClient(maxConns int) *http.Client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        4 * maxConns,
		MaxIdleConnsPerHost: maxConns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// drain reads and closes a response body so the connection is reused.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// httpStatusError is an answer with an unexpected status.
type httpStatusError struct {
	Method, URL string
	Status      int
	Body        string
}

func (e *httpStatusError) Error() string {
	return fmt.Sprintf("%s %s: status %d: %.200s", e.Method, e.URL, e.Status, e.Body)
}

// doJSON sends body (JSON, when not nil) with the given headers and decodes
// a 2xx answer into out (when not nil).
func doJSON(ctx context.Context, c *http.Client, method, url string, hdr map[string]string, body, out any) error {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, url, err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer drain(resp)
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		return &httpStatusError{Method: method, URL: url, Status: resp.StatusCode, Body: string(b)}
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode: %w", method, url, err)
	}
	return nil
}

// forEach runs fn(i) for i in [0, n) on at most workers goroutines and
// returns the first error. It stops handing out work after an error.
func forEach(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	errc := make(chan error, workers)
	for range workers {
		go func() {
			var first error
			for i := range next {
				if first != nil {
					continue
				}
				if err := fn(ctx, i); err != nil {
					first = err
					cancel(err)
				}
			}
			errc <- first
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	var err error
	for range workers {
		if e := <-errc; e != nil && err == nil {
			err = e
		}
	}
	if err == nil {
		err = context.Cause(ctx)
		if err == context.Canceled {
			err = nil
		}
	}
	return err
}

// decodeResponse sends req and decodes a 2xx JSON answer into out.
func decodeResponse(c *http.Client, req *http.Request, out any) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer drain(resp)
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		return &httpStatusError{Method: req.Method, URL: req.URL.Redacted(), Status: resp.StatusCode, Body: string(b)}
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode: %w", req.Method, req.URL.Redacted(), err)
	}
	return nil
}

// basicAuth is the value of an Authorization header for HTTP Basic.
func basicAuth(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}
