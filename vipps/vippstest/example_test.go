package vippstest_test

import (
	"fmt"
	"net/http"

	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// ExampleNewServer starts the simulator on a loopback port, as the offline
// sandbox does, and fetches an access token with the default sales unit.
func ExampleNewServer() {
	srv, err := vippstest.NewServer("127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = srv.Close() }()

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/accesstoken/get", nil)
	req.Header.Set("client_id", vippstest.DefaultClientID)
	req.Header.Set("client_secret", vippstest.DefaultClientSecret)
	req.Header.Set("Ocp-Apim-Subscription-Key", vippstest.DefaultSubscriptionKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = resp.Body.Close()
	fmt.Println(resp.StatusCode, srv.Stats().TokenRequests)
	// Output: 200 1
}
