package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/spf13/cobra"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/config"
	"github.com/bcvipps/bcvipps/connector"
	"github.com/bcvipps/bcvipps/connector/payment"
	"github.com/bcvipps/bcvipps/connector/tenants"
	"github.com/bcvipps/bcvipps/vipps"
)

// doctorCheckTimeout bounds each check's upstream calls.
const doctorCheckTimeout = 30 * time.Second

// doctorProbeEmail is what the NP Retail check searches members by: a
// reserved domain, so the search returns no one.
const doctorProbeEmail = "bcvipps-doctor@example.invalid"

func newDoctorCmd() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check every configured service with the real credentials",
		Long: `Connect to every configured service with the configured credentials and print
one line per check, "ok" or what failed and what to do: per tenant and sales
unit a Vipps access token and the Webhooks API (and whether a webhook is
registered for server.publicBaseURL); an Entra token for Business Central and
a read of the company and its customers; the NP Retail API key. The exit code
is non-zero when any check fails. Nothing is written.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(path, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			failed, total, err := runDoctor(cmd.Context(), cfg, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			if failed > 0 {
				return fmt.Errorf("doctor: %d of %d checks failed", failed, total)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "all %d checks passed\n", total)
			return nil
		},
	}
	cmd.Flags().StringVarP(&path, "config", "c", defaultConfigPath(), "configuration file (default $"+configEnv+" or config.yaml)")
	return cmd
}

// doctorReport prints the check lines and counts them.
type doctorReport struct {
	w             io.Writer
	total, failed int
}

func (r *doctorReport) ok(what, detail string) {
	r.total++
	if detail != "" {
		what += ": " + detail
	}
	fmt.Fprintf(r.w, "ok    %s\n", what)
}

func (r *doctorReport) fail(what string, err error, todo string) {
	r.total++
	r.failed++
	fmt.Fprintf(r.w, "FAIL  %s: %v; %s\n", what, err, todo)
}

func (r *doctorReport) skip(what, why string) {
	fmt.Fprintf(r.w, "skip  %s: %s\n", what, why)
}

// runDoctor runs every check of cfg and returns how many failed of how many.
func runDoctor(ctx context.Context, cfg *config.Config, w io.Writer) (failed, total int, err error) {
	if ctx == nil {
		ctx = context.Background()
	}
	hc, err := connector.UpstreamClient(cfg.Upstream)
	if err != nil {
		return 0, 0, err
	}
	defer hc.CloseIdleConnections()
	ts, err := tenants.Build(cfg, tenants.Deps{HTTP: hc, Clock: clockwork.NewRealClock(),
		Log: slog.New(slog.DiscardHandler), NoRetry: true})
	if err != nil {
		return 0, 0, err
	}
	r := &doctorReport{w: w}
	for i, tc := range cfg.Tenants {
		t := ts[tc.ID]
		p := fmt.Sprintf("tenants[%d]", i)
		for j, su := range tc.Vipps.SalesUnits {
			doctorVipps(ctx, r, cfg, t, fmt.Sprintf("%s.vipps.salesUnits[%d]", p, j), su.MSN)
		}
		doctorBC(ctx, r, t, p+".businessCentral")
		doctorNP(ctx, r, t, p+".npRetail")
	}
	return r.failed, r.total, nil
}

func doctorVipps(ctx context.Context, r *doctorReport, cfg *config.Config, t *tenants.Tenant, key, msn string) {
	ctx, cancel := context.WithTimeout(ctx, doctorCheckTimeout)
	defer cancel()
	name := fmt.Sprintf("tenant %s: vipps sales unit %s", t.ID, msn)
	hooks, err := t.Vipps[msn].Webhooks.List(ctx)
	if err != nil && vippsTokenError(err) {
		r.fail(name+" access token", err, fmt.Sprintf(
			"check clientId, clientSecret and subscriptionKey at %s: the keys of this MSN for environment %q "+
				"(portal.vippsmobilepay.com → For developers); test and production keys differ",
			key, t.Config.Vipps.Environment))
		r.skip(name+" webhooks", "no access token")
		return
	}
	r.ok(name+" access token", "")
	if err != nil {
		r.fail(name+" webhooks", err, "the sales unit's keys must have access to the Webhooks API; "+
			"check the subscription key and that the sales unit is active")
		return
	}
	if cfg.Server.PublicBaseURL == "" {
		r.ok(name+" webhooks", "API reachable; no server.publicBaseURL, so no webhook is used (payments are polled)")
		return
	}
	want := payment.WebhookURL(cfg.Server.PublicBaseURL, t.ID, msn)
	for _, h := range hooks {
		if h.URL == want {
			r.ok(name+" webhooks", "registered for "+want)
			return
		}
	}
	r.ok(name+" webhooks", fmt.Sprintf("API reachable; not registered yet for %s (serve registers it at start; "+
		"that URL must be reachable from the internet over HTTPS)", want))
}

// vippsTokenError reports an error of the access-token call, which every
// Vipps call makes first.
func vippsTokenError(err error) bool {
	const op = "vipps access token"
	var ve *vipps.Error
	if errors.As(err, &ve) {
		return ve.Op == op
	}
	var ne *vipps.NetworkError
	if errors.As(err, &ne) {
		return ne.Op == op
	}
	return strings.HasPrefix(err.Error(), op)
}

func doctorBC(ctx context.Context, r *doctorReport, t *tenants.Tenant, key string) {
	ctx, cancel := context.WithTimeout(ctx, doctorCheckTimeout)
	defer cancel()
	name := fmt.Sprintf("tenant %s: business central", t.ID)
	b := t.Config.BusinessCentral
	companies, err := t.BC.Companies(ctx)
	var authErr *bc.AuthError
	if b.Auth.Method != config.AuthBasic {
		if errors.As(err, &authErr) {
			r.fail(name+" entra token", err, fmt.Sprintf(
				"check %s.tenantId, %s.auth.clientId and the app's %s (Entra ID → App registrations → "+
					"Certificates & secrets; secrets expire) and that admin consent is granted for API.ReadWrite.All",
				key, key, b.Auth.Method))
			r.skip(name+" company", "no Entra token")
			return
		}
		r.ok(name+" entra token", "")
	}
	if err != nil {
		r.fail(name+" company", err, bcTodo(err, key))
		return
	}
	var company *bc.Company
	for i := range companies {
		if strings.EqualFold(companies[i].ID, b.CompanyID) {
			company = &companies[i]
		}
	}
	if company == nil {
		var names []string
		for _, c := range companies {
			names = append(names, fmt.Sprintf("%s (%s)", c.Name, c.ID))
		}
		r.fail(name+" company", fmt.Errorf("company %s is not in environment %s", b.CompanyID, b.Environment),
			fmt.Sprintf("set %s.companyId to one of: %s", key, strings.Join(names, ", ")))
		return
	}
	for _, err := range t.BC.Customers.List(ctx, bc.ListOptions{Top: 1, Select: []string{"id"}}) {
		if err != nil {
			r.fail(name+" company "+company.Name, fmt.Errorf("read customers: %w", err), bcTodo(err, key))
			return
		}
		break
	}
	r.ok(name+" company", fmt.Sprintf("%s (%s), customers readable", company.Name, b.Environment))
}

// bcTodo says what to do about a failed BC API call.
func bcTodo(err error, key string) string {
	var be *bc.Error
	if errors.As(err, &be) {
		switch be.Status {
		case http.StatusUnauthorized, http.StatusForbidden:
			return "in BC open Microsoft Entra Applications, add the client id with State Enabled and assign " +
				"the connector's permission sets (customers; NP Retail's for members), in this environment"
		case http.StatusNotFound:
			return fmt.Sprintf("check %s.environment, %s.tenantId and %s.baseURL (the environment must exist)", key, key, key)
		}
	}
	return fmt.Sprintf("check %s.baseURL and that Business Central is reachable from here", key)
}

func doctorNP(ctx context.Context, r *doctorReport, t *tenants.Tenant, key string) {
	name := fmt.Sprintf("tenant %s: np retail", t.ID)
	if t.NP == nil {
		r.skip(name, "not configured")
		return
	}
	ctx, cancel := context.WithTimeout(ctx, doctorCheckTimeout)
	defer cancel()
	_, err := t.NP.Members.Search(ctx, bc.MemberQuery{Email: doctorProbeEmail})
	if err == nil {
		r.ok(name+" api key", "member search answered")
		return
	}
	todo := fmt.Sprintf("check %s.baseURL (the NaviPartner API URL page) and that NP Retail is reachable", key)
	var be *bc.Error
	if errors.As(err, &be) && (be.Status == http.StatusUnauthorized || be.Status == http.StatusForbidden) {
		todo = fmt.Sprintf("check %s.apiKey: the key on the NaviPartner API Keys page, its permission sets "+
			"and the Entra app it is linked to", key)
	}
	r.fail(name+" api key", err, todo)
}
