package bctest

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/google/uuid"
)

// BC error codes the simulator answers with. They are the codes Business
// Central's OData stack uses (dev-itpro dynamics-error-codes).
const (
	CodeNotFound              = "BadRequest_NotFound"
	CodeInvalidToken          = "BadRequest_InvalidToken"
	CodeBadRequest            = "BadRequest"
	CodeMethodNotAllowed      = "BadRequest_MethodNotAllowed"
	CodeEntityChanged         = "Request_EntityChanged"
	CodeStringExceededLength  = "Application_StringExceededLength"
	CodeDialogException       = "Application_DialogException"
	CodeEntityWithSameKey     = "Internal_EntityWithSameKeyExists"
	CodeInvalidCredentials    = "Authentication_InvalidCredentials"
	CodeTooManyRequests       = "Application_TooManyRequests"
	CodeServiceUnavailable    = "Internal_ServiceUnavailable"
	CodeInternalError         = "Internal_ServerError"
	CodeUnsupportedMediaType  = "BadRequest_UnsupportedMediaType"
	codeNPRetailGeneric       = "generic_error"      // NP Retail's "NPR API Error Code" of a bad request and of an AL error
	codeNPRetailNotFound      = "resource_not_found" // an unknown route
	headerCorrelationID       = "ms-correlation-x"
	headerRequestID           = "request-id"
	contentTypeJSON           = "application/json; odata.metadata=minimal; odata.streaming=true"
	contentTypeJSONPlain      = "application/json"
	bcAudience                = "https://api.businesscentral.dynamics.com"
	bcScope                   = bcAudience + "/.default"
	maxServerPageSize         = 20000
	maxBatchOperations        = 100
	defaultMaxConcurrent      = 5
	maxQueued                 = 95
	queueTimeoutMinutes       = 8
	tokenLifetimeSeconds      = 3599
	demoRolesReadWrite        = "API.ReadWrite.All"
	odataMaxPageSizePreferKey = "odata.maxpagesize"
)

// apiError is an error the BC simulator turns into BC's error body.
type apiError struct {
	status int
	code   string
	msg    string
	header http.Header
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.msg) }

func errf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

// response is one answer of the simulated API, before it goes on the wire
// (or into a $batch response).
type response struct {
	status int
	header http.Header
	body   any // nil = no body
}

func errorResponse(e *apiError) response {
	corr := uuid.NewString()
	h := http.Header{}
	for k, v := range e.header {
		h[k] = v
	}
	h.Set(headerCorrelationID, corr)
	h.Set(headerRequestID, corr)
	h.Set("Content-Type", contentTypeJSONPlain)
	return response{status: e.status, header: h, body: map[string]any{
		"error": map[string]any{
			"code":    e.code,
			"message": fmt.Sprintf("%s  CorrelationId:  %s.", e.msg, corr),
		},
	}}
}

// npErrorResponse is NP Retail's error answer: flat {"code","message"}
// ("NPR API Response".CreateErrorResponse).
func npErrorResponse(e *apiError) response {
	h := http.Header{}
	h.Set("Content-Type", contentTypeJSONPlain)
	return response{status: e.status, header: h, body: map[string]any{"code": e.code, "message": e.msg}}
}

func writeResponse(w http.ResponseWriter, r response) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	if w.Header().Get(headerRequestID) == "" {
		id := uuid.NewString()
		w.Header().Set(headerRequestID, id)
		w.Header().Set(headerCorrelationID, id)
	}
	if r.body == nil {
		w.WriteHeader(r.status)
		return
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", contentTypeJSON)
	}
	w.WriteHeader(r.status)
	_ = json.NewEncoder(w).Encode(r.body)
}

func writeError(w http.ResponseWriter, e *apiError) { writeResponse(w, errorResponse(e)) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", contentTypeJSONPlain)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
