package login

// Names the tests of package login_test (the end-to-end tests through the
// whole connector) read.

// Request is a stored login with its state decoded.
type Request = request

// ToRequest decodes a stored login job.
var ToRequest = toRequest

// MustJSON marshals a test body.
var MustJSON = mustJSON

// Final reports whether a login status is final.
var Final = loginFinal

// Login statuses.
const (
	StatusPending   = statusPending
	StatusApplying  = statusApplying
	StatusCompleted = statusCompleted
	StatusRejected  = statusRejected
	StatusCancelled = statusCancelled
	MaxReplans      = maxReplans
)

// LastError is why the last attempt of r was deferred.
func LastError(r Request) string {
	m, _ := decodeJSON[meta](r.Meta)
	return m.LastError
}

// StoredPlan is the planned BC PATCH of an applying customer request.
func StoredPlan(r Request) (etag string, patch map[string]any, ok bool) {
	res, err := decodeJSON[result](r.Result)
	if err != nil || res.Plan == nil {
		return "", nil, false
	}
	return res.Plan.ETag, res.Plan.Patch, true
}
