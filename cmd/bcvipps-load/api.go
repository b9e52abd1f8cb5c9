package main

import (
	"context"
	"net/http"
	"strconv"
	"time"
)

// apiKey is the sandbox's fixed API key, accepted by serve --sandbox-key.
const apiKey = "sandbox"

var apiHeader = map[string]string{"Authorization": "Bearer " + apiKey}

// infoRequest is the part of the connector's InfoRequest answer the
// benchmark reads.
type infoRequest struct {
	ID        string    `json:"id"`
	Status    string    `json:"status"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// final reports whether the status is final.
func (r infoRequest) final() bool {
	switch r.Status {
	case "completed", "rejected", "expired", "failed", "cancelled":
		return true
	}
	return false
}

// postCustomerRequest sends POST /v1/customer-info-requests.
func postCustomerRequest(ctx context.Context, c *http.Client, apiURL, customerNo, msisdn string) (infoRequest, error) {
	var r infoRequest
	err := doJSON(ctx, c, http.MethodPost, apiURL+"/v1/customer-info-requests", apiHeader,
		map[string]string{"customerNo": customerNo, "phoneNumber": "+" + msisdn}, &r)
	return r, err
}

// postMemberRequest sends POST /v1/member-info-requests (POS member
// registration: no BC call, only the Vipps backchannel request).
func postMemberRequest(ctx context.Context, c *http.Client, apiURL, msisdn string) (infoRequest, error) {
	var r infoRequest
	err := doJSON(ctx, c, http.MethodPost, apiURL+"/v1/member-info-requests", apiHeader,
		map[string]string{"phoneNumber": "+" + msisdn}, &r)
	return r, err
}

// Request kinds, as the path segment of their endpoint.
const (
	customerRequests = "customer-info-requests"
	memberRequests   = "member-info-requests"
)

// getRequest sends GET /v1/{kind}/{id}?wait=N.
func getRequest(ctx context.Context, c *http.Client, apiURL, kind, id string, wait int) (infoRequest, error) {
	var r infoRequest
	u := apiURL + "/v1/" + kind + "/" + id
	if wait > 0 {
		u += "?wait=" + strconv.Itoa(wait)
	}
	err := doJSON(ctx, c, http.MethodGet, u, apiHeader, nil, &r)
	return r, err
}

// awaitFinal long-polls the request until its status is final, at most
// until deadline (and at most maxPolls GETs).
func awaitFinal(ctx context.Context, c *http.Client, apiURL, id string, deadline time.Time) (infoRequest, error) {
	const maxPolls = 20
	var r infoRequest
	for range maxPolls {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		var err error
		r, err = getRequest(ctx, c, apiURL, customerRequests, id, min(int(left/time.Second)+1, 30))
		if err != nil {
			return r, err
		}
		if r.final() {
			return r, nil
		}
	}
	return r, nil
}
