package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-oss/vigil/internal/app"
	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/netguard"
	"github.com/vigil-oss/vigil/internal/seal"
	"github.com/vigil-oss/vigil/internal/store"
)

// dbFlags are the database flags shared by serve and the offline admin
// commands.
type dbFlags struct {
	dataDir       string
	databaseURL   string
	secretKeyFile string
}

func (f *dbFlags) register(cmd *cobra.Command, e *env) {
	cmd.Flags().StringVar(&f.dataDir, "data-dir", envOr(e, "VIGIL_DATA_DIR", "vigil-data"), "directory of the embedded SQLite database (env VIGIL_DATA_DIR)")
	// The URL may hold a password, so the environment's value is read
	// when the command runs (keys), not shown as the flag's default in
	// --help.
	cmd.Flags().StringVar(&f.databaseURL, "database-url", "", "PostgreSQL URL, postgres://...; replaces SQLite (env VIGIL_DATABASE_URL)")
	cmd.Flags().StringVar(&f.secretKeyFile, "secret-key-file", e.getenv("VIGIL_SECRET_KEY_FILE"),
		"file of base64 keys that encrypt secrets in the database, current key first; default <data-dir>/"+secretKeyFileName+
			" for SQLite (made if missing); required for PostgreSQL unless VIGIL_SECRET_KEY is set (env VIGIL_SECRET_KEY_FILE)")
}

// secretKeyFileName is the key file vigil makes next to a SQLite database.
const secretKeyFileName = "secret.key"

// keys returns the key ring for secrets at rest: VIGIL_SECRET_KEY (keys
// separated by commas, current first), else --secret-key-file, else, on
// SQLite, a key file in the data directory, made (mode 0600) the first
// time so that vigil serve needs no setup. PostgreSQL has no such default:
// every replica must hold the same key, so a key made by one would lock
// the others out. Making the key file is logged (to log, or without one
// to stderr).
func (f *dbFlags) keys(e *env, log *slog.Logger) (*seal.Keys, error) {
	if f.databaseURL == "" {
		f.databaseURL = e.getenv("VIGIL_DATABASE_URL")
	}
	if v := e.getenv("VIGIL_SECRET_KEY"); v != "" {
		k, err := seal.Parse(v)
		if err != nil {
			return nil, fmt.Errorf("VIGIL_SECRET_KEY: %w", err)
		}
		return k, nil
	}
	path := f.secretKeyFile
	if path == "" {
		if f.databaseURL != "" {
			return nil, fmt.Errorf("--secret-key-file or VIGIL_SECRET_KEY is required with --database-url: secrets in PostgreSQL are encrypted, " +
				"and every replica needs the same key (make one with: head -c 32 /dev/urandom | base64)")
		}
		path = filepath.Join(f.dataDir, secretKeyFileName)
	} else if f.databaseURL != "" {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("--secret-key-file: %w", err)
		}
	}
	k, created, err := seal.LoadOrCreate(path)
	if err != nil {
		return nil, fmt.Errorf("--secret-key-file: %w", err)
	}
	if created {
		const msg = "made a new key for secrets at rest; back it up apart from the database"
		if log != nil {
			log.Warn(msg, "file", path, "mode", "0600")
		} else {
			fmt.Fprintf(e.stderr, "vigil: %s: %s (mode 0600)\n", msg, path)
		}
	}
	return k, nil
}

// open opens the store for an offline admin command.
func (f *dbFlags) open(cmd *cobra.Command, e *env) (*store.DB, error) {
	k, err := f.keys(e, nil)
	if err != nil {
		return nil, err
	}
	return store.Open(cmd.Context(), store.Config{URL: f.databaseURL, DataDir: f.dataDir, Secrets: k})
}

// minEngineLease keeps a lease longer than one send (the engine gives a
// send 10 seconds), so a live replica never loses a message it is sending.
const minEngineLease = 15 * time.Second

func newServeCmd(e *env) *cobra.Command {
	var (
		db        dbFlags
		addr      string
		publicURL string
		logLevel  string
		logFormat string
		rateLimit string
		resolveTO string
		retention string
		lease     string
		linkTTL   string
		tlsCert   string
		tlsKey    string
		proxies   string
		sso       oidcFlags
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Vigil server (API, web UI, ingest)",
		Long: `Run the Vigil server. With no flags it keeps its data in an embedded
SQLite database in ./vigil-data and needs nothing else installed.
Use --database-url to keep it in PostgreSQL instead; several servers may
share one PostgreSQL database.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger, err := newLogger(e, logLevel, logFormat)
			if err != nil {
				return err
			}
			limit, err := strconv.ParseFloat(rateLimit, 64)
			if err != nil || limit < 0 {
				return fmt.Errorf("--ingest-rate-limit: want a number of requests per second (0 for no limit), not %q", rateLimit)
			}
			resolveTimeout, err := time.ParseDuration(resolveTO)
			if err != nil || resolveTimeout <= 0 {
				return fmt.Errorf("--resolve-timeout: want a positive duration like 5m, not %q", resolveTO)
			}
			keep, err := parseAgo(strings.TrimSpace(retention))
			if err != nil || keep <= 0 {
				return fmt.Errorf("--ingest-request-retention: want a duration like 7d or 36h, not %q", retention)
			}
			engineLease, err := time.ParseDuration(lease)
			if err != nil || engineLease < minEngineLease {
				return fmt.Errorf("--engine-lease: want a duration of at least %s (longer than one send), not %q", minEngineLease, lease)
			}
			actionTTL, err := time.ParseDuration(linkTTL)
			if err != nil || actionTTL < time.Minute {
				return fmt.Errorf("--action-link-ttl: want a duration of at least 1m like 24h, not %q", linkTTL)
			}
			if (tlsCert == "") != (tlsKey == "") {
				return fmt.Errorf("--tls-cert and --tls-key go together: give both or neither")
			}
			trusted, err := auth.ParseProxies(proxies)
			if err != nil {
				return fmt.Errorf("--trusted-proxies: %w", err)
			}
			channels, err := channelsFromEnv(e)
			if err != nil {
				return err
			}
			// Settings are checked before the key file or the database is made.
			ssoConfig, err := sso.config(e)
			if err != nil {
				return err
			}
			keys, err := db.keys(e, logger)
			if err != nil {
				return err
			}
			logger.Info("secrets at rest are encrypted", "key_id", keys.Current(), "keys", len(keys.IDs()))
			a, err := app.New(cmd.Context(), app.Config{
				OIDC:                   ssoConfig,
				TLSCert:                tlsCert,
				TLSKey:                 tlsKey,
				TrustedProxies:         trusted,
				Channels:               channels,
				Addr:                   addr,
				DataDir:                db.dataDir,
				DatabaseURL:            db.databaseURL,
				SecretKeys:             keys,
				AdminToken:             e.getenv("VIGIL_ADMIN_TOKEN"),
				PublicURL:              publicURL,
				IngestRateLimit:        limit,
				ResolveTimeout:         resolveTimeout,
				IngestRequestRetention: keep,
				EngineLease:            engineLease,
				ActionLinkTTL:          actionTTL,
				Logger:                 logger,
				Out:                    e.stdout,
			})
			if err != nil {
				return err
			}
			return a.Run(cmd.Context())
		},
	}
	db.register(cmd, e)
	sso.register(cmd, e)
	cmd.Flags().StringVar(&addr, "addr", envOr(e, "VIGIL_ADDR", "127.0.0.1:8080"), "listen address (env VIGIL_ADDR)")
	cmd.Flags().StringVar(&publicURL, "public-url", e.getenv("VIGIL_PUBLIC_URL"), "URL users reach this server at, for links (env VIGIL_PUBLIC_URL)")
	cmd.Flags().StringVar(&rateLimit, "ingest-rate-limit", envOr(e, "VIGIL_INGEST_RATE_LIMIT", "1000"),
		"requests per second each integration key may send, in bursts of two seconds' worth; 0 for no limit (env VIGIL_INGEST_RATE_LIMIT)")
	cmd.Flags().StringVar(&resolveTO, "resolve-timeout", envOr(e, "VIGIL_RESOLVE_TIMEOUT", "5m"),
		"how long an alert posted to the Alertmanager API without endsAt fires unless re-sent (env VIGIL_RESOLVE_TIMEOUT)")
	cmd.Flags().StringVar(&retention, "ingest-request-retention", envOr(e, "VIGIL_INGEST_REQUEST_RETENTION", "7d"),
		"how long the outcomes of Opsgenie requests (GET /v2/alerts/requests/{id}) are kept (env VIGIL_INGEST_REQUEST_RETENTION)")
	cmd.Flags().StringVar(&lease, "engine-lease", envOr(e, "VIGIL_ENGINE_LEASE", "1m"),
		"how long a replica holds a message it is sending; if it dies, another sends the message after this (env VIGIL_ENGINE_LEASE)")
	cmd.Flags().StringVar(&linkTTL, "action-link-ttl", envOr(e, "VIGIL_ACTION_LINK_TTL", "24h"),
		"how long the acknowledge/resolve links in messages work (env VIGIL_ACTION_LINK_TTL)")
	cmd.Flags().StringVar(&tlsCert, "tls-cert", e.getenv("VIGIL_TLS_CERT"), "PEM certificate file: serve HTTPS (with --tls-key; env VIGIL_TLS_CERT)")
	cmd.Flags().StringVar(&tlsKey, "tls-key", e.getenv("VIGIL_TLS_KEY"), "PEM private key file of --tls-cert (env VIGIL_TLS_KEY)")
	cmd.Flags().StringVar(&proxies, "trusted-proxies", e.getenv("VIGIL_TRUSTED_PROXIES"),
		"comma-separated addresses or CIDR prefixes of reverse proxies whose X-Forwarded-For/-Proto are believed; none by default (env VIGIL_TRUSTED_PROXIES)")
	cmd.Flags().StringVar(&logLevel, "log-level", envOr(e, "VIGIL_LOG_LEVEL", "info"), "debug, info, warn or error (env VIGIL_LOG_LEVEL)")
	cmd.Flags().StringVar(&logFormat, "log-format", envOr(e, "VIGIL_LOG_FORMAT", "text"), "text or json (env VIGIL_LOG_FORMAT)")
	return cmd
}

func newLogger(e *env, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(e.stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(e.stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: must be text or json, not %q", format)
}

func envOr(e *env, key, def string) string {
	if v := e.getenv(key); v != "" {
		return v
	}
	return def
}

// channelsFromEnv reads the notification channels' settings. Secrets come
// only from the environment (or a file named by KEY_FILE), never from
// flags, which other users of the machine can read in the process list.
func channelsFromEnv(e *env) (app.Channels, error) {
	c := app.Channels{
		SlackBaseURL:     e.getenv("VIGIL_SLACK_API_URL"),
		TwilioAccountSID: e.getenv("VIGIL_TWILIO_ACCOUNT_SID"),
		TwilioFrom:       e.getenv("VIGIL_TWILIO_FROM"),
		TwilioBaseURL:    e.getenv("VIGIL_TWILIO_API_URL"),
		SMTPHost:         e.getenv("VIGIL_SMTP_HOST"),
		SMTPUsername:     e.getenv("VIGIL_SMTP_USERNAME"),
		SMTPFrom:         e.getenv("VIGIL_SMTP_FROM"),
		SMTPTLS:          e.getenv("VIGIL_SMTP_TLS"),
		SMSGatewayURL:    e.getenv("VIGIL_SMS_GATEWAY_URL"),
		SMSGatewayBody:   e.getenv("VIGIL_SMS_GATEWAY_BODY"),
	}
	if v := e.getenv("VIGIL_OUTBOUND_ALLOW"); v != "" {
		allow, err := netguard.ParseAllow(v)
		if err != nil {
			return c, fmt.Errorf("VIGIL_OUTBOUND_ALLOW: %w", err)
		}
		c.OutboundAllow = allow
	}
	if p := e.getenv("VIGIL_SMTP_PORT"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return c, fmt.Errorf("VIGIL_SMTP_PORT: want a port number, not %q", p)
		}
		c.SMTPPort = n
	}
	for _, s := range []struct {
		key string
		dst *string
	}{
		{"VIGIL_WEBHOOK_SECRET", &c.WebhookSecret},
		{"VIGIL_SLACK_TOKEN", &c.SlackToken},
		{"VIGIL_SLACK_SIGNING_SECRET", &c.SlackSigningSecret},
		{"VIGIL_TWILIO_AUTH_TOKEN", &c.TwilioAuthToken},
		{"VIGIL_SMTP_PASSWORD", &c.SMTPPassword},
	} {
		v, err := secretEnv(e, s.key)
		if err != nil {
			return c, err
		}
		*s.dst = v
	}
	return c, nil
}

// secretEnv reads KEY, or the file named by KEY_FILE (a mounted secret).
func secretEnv(e *env, key string) (string, error) {
	if v := e.getenv(key); v != "" {
		return v, nil
	}
	path := e.getenv(key + "_FILE")
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s_FILE: %w", key, err)
	}
	return strings.TrimSpace(string(b)), nil
}
