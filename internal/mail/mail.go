// Package mail sends Keyturn's e-mail, such as one-time codes and enrolment
// codes, through an SMTP server.
package mail

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLS modes of an SMTP connection.
const (
	// TLSStartTLS upgrades the connection with STARTTLS and refuses a
	// server that does not offer it. It is the default.
	TLSStartTLS = "starttls"
	// TLSImplicit connects with TLS from the start, as on port 465.
	TLSImplicit = "tls"
	// TLSNone sends in the clear. Use it only towards a relay on the same
	// host or in tests.
	TLSNone = "none"
)

// Config describes an SMTP server.
type Config struct {
	// Addr is the server's host and port, such as smtp.example.com:587.
	Addr string
	// From is the sender address of every message.
	From string
	// Username and Password authenticate to the server; without a
	// username, no authentication is attempted.
	Username string
	Password string
	// TLS is TLSStartTLS (default), TLSImplicit or TLSNone.
	TLS string
	// Timeout bounds connecting and sending one message. Default: 30s.
	Timeout time.Duration
}

// Sender sends e-mail through one SMTP server.
type Sender struct {
	cfg  Config
	host string
	port int
}

// New checks the configuration and returns a sender. It does not connect.
func New(cfg Config) (*Sender, error) {
	host, portText, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("SMTP address %q must be host:port, such as smtp.example.com:587: %w", cfg.Addr, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 1 || port > 65535 {
		return nil, fmt.Errorf("SMTP address %q has an invalid port", cfg.Addr)
	}
	if cfg.From == "" {
		return nil, fmt.Errorf("an SMTP sender address (From) is required")
	}
	switch cfg.TLS {
	case "":
		cfg.TLS = TLSStartTLS
	case TLSStartTLS, TLSImplicit, TLSNone:
	default:
		return nil, fmt.Errorf("SMTP TLS mode %q is invalid: use starttls, tls or none", cfg.TLS)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	return &Sender{cfg: cfg, host: host, port: port}, nil
}

// SendEmail sends one plain-text message.
func (s *Sender) SendEmail(ctx context.Context, to, subject, body string) error {
	msg := gomail.NewMsg()
	if err := msg.From(s.cfg.From); err != nil {
		return fmt.Errorf("invalid sender address %q: %w", s.cfg.From, err)
	}
	if err := msg.To(to); err != nil {
		return fmt.Errorf("invalid recipient address %q: %w", to, err)
	}
	msg.Subject(subject)
	msg.SetBodyString(gomail.TypeTextPlain, body)

	opts := []gomail.Option{gomail.WithPort(s.port), gomail.WithTimeout(s.cfg.Timeout)}
	switch s.cfg.TLS {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if s.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	client, err := gomail.NewClient(s.host, opts...)
	if err != nil {
		return err
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("send e-mail through %s: %w", s.cfg.Addr, err)
	}
	return nil
}
