package api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/bcvipps/bcvipps/connector/internal/jsonbody"
)

// MaxBodyBytes bounds a request body.
const MaxBodyBytes = 16 << 10

// MaxWait is the longest long-poll, in seconds.
const MaxWait = 60

// BindJSON decodes the body strictly: only application/json, exactly one
// JSON object, keys matching the documented names exactly and once, types
// named in plain words; the body is size-limited.
func BindJSON(c *gin.Context, dst any) *Problem {
	if mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type")); err != nil || mt != "application/json" {
		return &Problem{Type: ProblemUnsupportedMediaType, Title: "Unsupported media type", Status: http.StatusUnsupportedMediaType,
			Detail: "Send the body as JSON with Content-Type: application/json.",
			Errors: []FieldProblem{{Field: "Content-Type", Reason: "must be application/json"}}}
	}
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, MaxBodyBytes+1))
	if err != nil {
		return InvalidInput(FieldProblem{Field: "body", Reason: "could not be read"})
	}
	if len(body) > MaxBodyBytes {
		return InvalidInput(FieldProblem{Field: "body", Reason: fmt.Sprintf("is larger than %d bytes", MaxBodyBytes)})
	}
	if p := jsonbody.Decode(body, dst); p != nil {
		errs := []FieldProblem{{Field: p.Field, Reason: p.Reason}}
		if p.Reason == jsonbody.ReasonUnknown {
			// Every unknown field at once, not the first only.
			for _, k := range jsonbody.UnknownKeys(body, dst, 20) {
				if k != p.Field {
					errs = append(errs, FieldProblem{Field: k, Reason: jsonbody.ReasonUnknown})
				}
			}
		}
		return InvalidInput(errs...)
	}
	c.Set(ctxBody, body)
	return nil
}

// ctxBody is the context key of a request's JSON body, kept by BindJSON.
const ctxBody = "bcvipps.body"

// EmptyFields names the top-level fields among names that the request's
// body (bound with BindJSON) gave as an empty or blank string: an optional
// field is left out, never sent empty (an empty reference or sales unit
// is not the default, and an empty customer token is not "no token").
func EmptyFields(c *gin.Context, names ...string) []FieldProblem {
	raw, _ := c.Get(ctxBody)
	body, _ := raw.([]byte)
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return nil
	}
	var errs []FieldProblem
	for _, n := range names {
		var s *string // null is "left out", as the decoder takes it
		if v, ok := fields[n]; ok && json.Unmarshal(v, &s) == nil && s != nil && strings.TrimSpace(*s) == "" {
			errs = append(errs, FieldProblem{Field: n, Reason: "must not be empty: leave it out instead"})
		}
	}
	return errs
}

// IdempotencyKey reads the optional Idempotency-Key header.
func IdempotencyKey(c *gin.Context) (string, *Problem) {
	k := c.GetHeader("Idempotency-Key")
	if utf8.RuneCountInString(k) > 100 {
		return "", InvalidInput(FieldProblem{Field: "Idempotency-Key", Reason: "must be at most 100 characters"})
	}
	return k, nil
}

// RequestHash fingerprints a validated request (its parts, as JSON), so
// that an Idempotency-Key reused with another request is told apart from
// a retry.
func RequestHash(parts ...any) string {
	b, err := json.Marshal(parts)
	if err != nil {
		panic(err) // plain values only
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// IdempotencyReused is the 409 answer to an Idempotency-Key that was used
// for a different request: never the first answer in disguise.
func IdempotencyReused() *Problem {
	return &Problem{Type: ProblemIdempotencyReused, Title: "Idempotency-Key reused", Status: http.StatusConflict,
		Detail: "This Idempotency-Key was used for a different request; use a new key for a new request.",
		Errors: []FieldProblem{{Field: "Idempotency-Key", Reason: "was used for a different request"}}}
}

// BindCreate decodes a POST body and its Idempotency-Key, answering the
// problem itself when either is invalid.
func BindCreate(c *gin.Context, body any) (key string, ok bool) {
	if p := BindJSON(c, body); p != nil {
		WriteProblem(c, p)
		return "", false
	}
	key, p := IdempotencyKey(c)
	if p != nil {
		WriteProblem(c, p)
		return "", false
	}
	return key, true
}

// Wait reads ?wait=N (seconds, 0 to MaxWait), answering the problem itself
// when it is invalid.
func Wait(c *gin.Context) (int, bool) {
	w := c.Query("wait")
	if w == "" {
		return 0, true
	}
	n, err := strconv.Atoi(w)
	if err != nil || n < 0 || n > MaxWait {
		WriteProblem(c, InvalidInput(FieldProblem{Field: "wait", Reason: fmt.Sprintf("must be a whole number of seconds from 0 to %d", MaxWait)}))
		return 0, false
	}
	return n, true
}
