// Package club runs J3, the customer club at the till: who is this
// customer (a typed phone number or a scanned personal QR code), is the
// customer a member of the club in NP Retail, and the check-in
// notification in the customer's app. Enrolment of non-members is a Login
// consent followed by the member's creation in NP Retail: it is the
// enrollment kind of package login (route /v1/enrollments). A payment for
// a member carries memberId (package payment). A check-in or phone lookup
// sent with an Idempotency-Key keeps its answer for a retry (keyed.go).
package club

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/connector/api"
	"github.com/bcvipps/bcvipps/connector/tenants"
	"github.com/bcvipps/bcvipps/connector/work"
	"github.com/bcvipps/bcvipps/mapping"
	"github.com/bcvipps/bcvipps/vipps"
)

// callTimeout bounds the Vipps and NP Retail calls of one request.
const callTimeout = 15 * time.Second

// Metrics are the club's series.
type Metrics struct {
	checkIns *prometheus.CounterVec
	upstream *prometheus.CounterVec
}

// NewMetrics makes the club series and registers them with reg; upstream
// is the shared counter of upstream calls.
func NewMetrics(reg prometheus.Registerer, upstream *prometheus.CounterVec) *Metrics {
	m := &Metrics{
		checkIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bcvipps_check_ins_total", Help: "Check-ins at the till by membership and whether the customer's app was notified.",
		}, []string{"member", "notified"}),
		upstream: upstream,
	}
	reg.MustRegister(m.checkIns)
	return m
}

// Club is J3 for every tenant.
type Club struct {
	tenants map[string]*tenants.Tenant
	log     *slog.Logger
	metrics *Metrics
	engine  *work.Engine
	clock   clockwork.Clock
}

// New returns the club endpoints of the tenants; the answers given under
// an Idempotency-Key are kept as jobs of e (KindAnswer).
func New(ts map[string]*tenants.Tenant, log *slog.Logger, m *Metrics, e *work.Engine, clock clockwork.Clock) *Club {
	k := &Club{tenants: ts, log: log, metrics: m, engine: e, clock: clock}
	e.Register(KindAnswer, answerKind{k})
	return k
}

// Routes registers the club endpoints on the authenticated /v1 group.
func (k *Club) Routes(v1 *gin.RouterGroup) {
	v1.POST("/phone-lookups", k.phoneLookup)
	v1.GET("/members", k.members)
	v1.POST("/check-ins", k.checkIn)
}

func (k *Club) observe(service, op string, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
		var ve *vipps.Error
		var be *bc.Error
		switch {
		case errors.As(err, &ve):
			outcome = fmt.Sprint(ve.Status)
		case errors.As(err, &be):
			outcome = fmt.Sprint(be.Status)
		}
	}
	if k.metrics.upstream != nil {
		k.metrics.upstream.WithLabelValues(service, op, outcome).Inc()
	}
}

type lookupBody struct {
	QRCode string `json:"qrCode"`
}

// phoneLookup answers POST /v1/phone-lookups {"qrCode"}: the phone number
// behind a scanned personal QR code.
func (k *Club) phoneLookup(c *gin.Context) {
	t := k.tenants[api.TenantOf(c)]
	var body lookupBody
	key, ok := api.BindCreate(c, &body)
	if !ok {
		return
	}
	body.QRCode = strings.TrimSpace(body.QRCode)
	if p := tenants.CheckQRInput(body.QRCode); p != nil {
		api.WriteProblem(c, api.InvalidInput(*p))
		return
	}
	k.keyed(c, t.ID, key, api.RequestHash("phone-lookup", body.QRCode), func(ctx context.Context, _ *attempt) (int, any) {
		ctx, cancel := context.WithTimeout(ctx, callTimeout)
		defer cancel()
		ph, p := k.exchange(ctx, t, t.DefaultMSN(), body.QRCode)
		if p != nil {
			return p.Status, p
		}
		return http.StatusOK, gin.H{"phoneNumber": ph.E164}
	})
}

func (k *Club) exchange(ctx context.Context, t *tenants.Tenant, msn, qr string) (mapping.Phone, *api.Problem) {
	ph, p, err := tenants.ExchangeQR(ctx, t.Vipps[msn], t.Config.Mapping.ImplicitPhonePrefix, qr)
	k.observe("vipps", "qr.exchange", err)
	return ph, p
}

// memberItem is one member as GET /v1/members lists it.
type memberItem struct {
	MemberID       string `json:"memberId"`
	FirstName      string `json:"firstName"`
	LastName       string `json:"lastName"`
	MembershipCode string `json:"membershipCode,omitempty"`
}

// members answers GET /v1/members?phoneNumber=: the NP Retail members with
// that phone number, however it was typed or stored.
func (k *Club) members(c *gin.Context) {
	t := k.tenants[api.TenantOf(c)]
	raw := strings.TrimSpace(c.Query("phoneNumber"))
	ph, prob := k.parsePhone(t, raw)
	if prob == nil && t.NP == nil {
		prob = notConfigured()
	}
	if prob != nil {
		api.WriteProblem(c, prob)
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), callTimeout)
	defer cancel()
	found, err := k.membersByPhone(ctx, t, ph)
	if err != nil {
		api.WriteProblem(c, tenants.NPProblem("Could not search the members in NP Retail", err))
		return
	}
	items := make([]memberItem, 0, len(found))
	for _, m := range found {
		items = append(items, memberItem{MemberID: m.ID, FirstName: m.FirstName, LastName: m.LastName})
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

func (k *Club) membersByPhone(ctx context.Context, t *tenants.Tenant, ph mapping.Phone) ([]bc.Member, error) {
	return tenants.MembersByPhone(ctx, t.NP, ph, t.Config.Mapping.ImplicitPhonePrefix, func(err error) { k.observe("npretail", "members.search", err) })
}

func (k *Club) parsePhone(t *tenants.Tenant, raw string) (mapping.Phone, *api.Problem) {
	if raw == "" {
		return mapping.Phone{}, api.InvalidInput(api.FieldProblem{Field: "phoneNumber", Reason: "is required"})
	}
	ph, p := tenants.ParsePhoneInput(raw, t.Config.Mapping.ImplicitPhonePrefix)
	if p != nil {
		return mapping.Phone{}, api.InvalidInput(*p)
	}
	return ph, nil
}

func notConfigured() *api.Problem {
	return &api.Problem{Type: api.ProblemNPRetailNotConfigured, Title: "NP Retail is not configured", Status: http.StatusUnprocessableEntity,
		Detail: "The customer club needs NP Retail (npRetail in the tenant's configuration)."}
}

type checkInBody struct {
	PhoneNumber string `json:"phoneNumber"`
	QRCode      string `json:"qrCode"`
	SalesUnit   string `json:"salesUnit"`
}

// checkInAnswer is the answer of POST /v1/check-ins.
type checkInAnswer struct {
	PhoneNumber string `json:"phoneNumber"`
	IsMember    bool   `json:"isMember"`
	MemberID    string `json:"memberId,omitempty"`
	Notified    bool   `json:"notified"`
	// Detail says why the app was not notified.
	Detail string `json:"detail,omitempty"`
}

// checkIn answers POST /v1/check-ins: is the customer a member, and the
// loyalty check-in notification in the app (with isMember). The Check-in
// API is Vipps-only and may be unavailable: that is reported in the answer
// (notified false), not an error of the call.
func (k *Club) checkIn(c *gin.Context) {
	t := k.tenants[api.TenantOf(c)]
	var body checkInBody
	key, ok := api.BindCreate(c, &body)
	if !ok {
		return
	}
	body.PhoneNumber, body.QRCode, body.SalesUnit = strings.TrimSpace(body.PhoneNumber), strings.TrimSpace(body.QRCode), strings.TrimSpace(body.SalesUnit)
	msn := body.SalesUnit
	if msn == "" {
		msn = t.DefaultMSN()
	}
	var errs []api.FieldProblem
	if t.Vipps[msn] == nil {
		errs = append(errs, api.FieldProblem{Field: "salesUnit", Reason: "is not a sales unit (MSN) of this tenant"})
	}
	ph, perrs := tenants.PhoneOrQR(body.PhoneNumber, body.QRCode, t.Config.Mapping.ImplicitPhonePrefix)
	errs = append(errs, perrs...)
	errs = append(api.EmptyFields(c, "phoneNumber", "qrCode", "salesUnit"), errs...)
	if len(errs) > 0 {
		api.WriteProblem(c, api.InvalidInput(errs...))
		return
	}
	if t.NP == nil {
		api.WriteProblem(c, notConfigured())
		return
	}
	k.keyed(c, t.ID, key, api.RequestHash("check-in", body.PhoneNumber, body.QRCode, msn), func(ctx context.Context, a *attempt) (int, any) {
		return k.checkInNow(ctx, t, msn, ph, body.QRCode, a)
	})
}

// checkInMark is the state a check-in under a key marks before it sends
// the notification.
type checkInMark struct {
	Sending bool `json:"checkInSending"`
}

// checkInNow looks the customer up and sends the check-in: the answer's
// status and body. Under a key the check-in is marked as being sent
// first, so an attempt after a process died once it was sent (or may have
// been) does not notify the customer again.
func (k *Club) checkInNow(ctx context.Context, t *tenants.Tenant, msn string, ph mapping.Phone, qr string, a *attempt) (int, any) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	if qr != "" {
		var p *api.Problem
		if ph, p = k.exchange(ctx, t, msn, qr); p != nil {
			return p.Status, p
		}
	}
	found, err := k.membersByPhone(ctx, t, ph)
	if err != nil {
		p := tenants.NPProblem("Could not look up the membership in NP Retail", err)
		return p.Status, p
	}
	// A blocked member is not greeted as one (NP Retail's search answers
	// blocked members too).
	active := slices.DeleteFunc(slices.Clone(found), func(m bc.Member) bool { return m.Blocked })
	out := checkInAnswer{PhoneNumber: ph.E164, IsMember: len(active) > 0}
	if out.IsMember {
		out.MemberID = active[0].ID
	}
	var prior checkInMark
	if raw := a.Prior(); len(raw) > 0 && json.Unmarshal(raw, &prior) == nil && prior.Sending {
		out.Detail = "The check-in was sent by an earlier attempt under this Idempotency-Key whose answer was lost; it is not sent again."
		return http.StatusOK, out
	}
	if err := a.Mark(ctx, checkInMark{Sending: true}); err != nil {
		k.log.Warn("check-in not marked; not sent", "tenant", t.ID, "err", err)
		return http.StatusServiceUnavailable, api.StoreUnavailable()
	}
	_, err = t.Vipps[msn].CheckIn.LoyaltyCheckIn(ctx, ph.MSISDN, out.IsMember)
	k.observe("vipps", "checkin", err)
	switch {
	case err == nil && out.IsMember:
		out.Notified = true
	case err == nil && len(found) > 0:
		out.Detail = "The customer's membership is blocked in NP Retail: Vipps MobilePay shows nothing in the app."
	case err == nil:
		// Vipps shows a non-member nothing (the check-in is sent with
		// isMember false all the same).
		out.Detail = "The customer is not a member: Vipps MobilePay shows nothing in the app; offer an enrolment."
	default:
		out.Detail = "The customer's app was not notified: " + tenants.VippsDetail(err)
		var ve *vipps.Error
		switch {
		case errors.Is(err, vipps.ErrInvalidRequest):
			out.Detail = "The customer's app was not notified: the Check-in API serves Norwegian (Vipps) numbers only."
		case errors.As(err, &ve) && (ve.Status == http.StatusNotFound || ve.Status == http.StatusForbidden):
			out.Detail = "The customer's app was not notified: the Check-in API is not available for this sales unit (it is Vipps-only)."
		}
		k.log.Info("check-in not notified", "tenant", t.ID, "msn", msn, "reason", tenants.VippsDetail(err))
	}
	k.metrics.checkIns.WithLabelValues(fmt.Sprint(out.IsMember), fmt.Sprint(out.Notified)).Inc()
	return http.StatusOK, out
}
