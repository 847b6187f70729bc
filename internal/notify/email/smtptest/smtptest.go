// Package smtptest is a small SMTP server for tests (RFC 5321, no TLS): it
// speaks EHLO/HELO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, VRFY and
// QUIT, records every accepted message with its MIME parts decoded, and
// can be told to answer any command with a given code or never at all.
package smtptest

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// Options configure a Server.
type Options struct {
	// Hostname is announced in the greeting; default "smtptest.invalid".
	Hostname string
	// Username and Password, when Username is set, make the server
	// advertise AUTH PLAIN and refuse MAIL before a successful AUTH.
	Username, Password string
}

// Message is one accepted message.
type Message struct {
	From string   // reverse-path, without brackets
	To   []string // forward-paths, without brackets
	// Data is the message as received after DATA, dot-unstuffed, with
	// CRLF line ends.
	Data []byte
	// AuthUser is who authenticated for this message, if anyone.
	AuthUser string

	// Parsed from Data. ParseErr says what could not be parsed.
	Header   mail.Header
	Subject  string // RFC 2047 decoded
	Text     string // first text/plain part, transfer-decoded
	HTML     string // first text/html part, transfer-decoded
	ParseErr error
}

type override struct {
	code int
	text string
	hang bool
}

// Server is a running fake SMTP server; safe for concurrent use.
type Server struct {
	// Addr is "127.0.0.1:port"; Host and Port are its parts.
	Addr string
	Host string
	Port int

	opts Options
	ln   net.Listener
	wg   sync.WaitGroup
	once sync.Once

	mu        sync.Mutex
	closed    bool
	overrides map[string]override
	conns     map[net.Conn]struct{}
	msgs      []Message
	commands  []string
	arrived   chan struct{}
}

// New starts a server on 127.0.0.1, closed when t ends.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.Hostname == "" {
		opts.Hostname = "smtptest.invalid"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	a := ln.Addr().(*net.TCPAddr)
	s := &Server{
		Addr: a.String(), Host: a.IP.String(), Port: a.Port,
		opts: opts, ln: ln,
		overrides: map[string]override{},
		conns:     map[net.Conn]struct{}{},
		arrived:   make(chan struct{}),
	}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.Close)
	return s
}

// Close stops listening, drops every connection and waits for them.
func (s *Server) Close() {
	s.once.Do(func() {
		_ = s.ln.Close()
		s.mu.Lock()
		s.closed = true
		for c := range s.conns {
			_ = c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
}

// Respond makes the server answer cmd with code and text instead of
// handling it, until ClearResponses. cmd is a verb (EHLO, HELO, AUTH,
// MAIL, RCPT, DATA, RSET, NOOP, QUIT), GREETING for the connection
// banner, or MESSAGE for the answer after the message data. Meant for
// failure codes (4xx, 5xx): the command has no other effect.
func (s *Server) Respond(cmd string, code int, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.overrides[strings.ToUpper(cmd)] = override{code: code, text: text}
}

// Hang makes the server never answer cmd (same names as Respond), keeping
// the connection open until the client or Close drops it.
func (s *Server) Hang(cmd string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.overrides[strings.ToUpper(cmd)] = override{hang: true}
}

// ClearResponses undoes Respond and Hang.
func (s *Server) ClearResponses() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.overrides = map[string]override{}
}

// Messages returns a copy of the accepted messages.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Commands returns every command line received, in order, with AUTH
// credentials elided.
func (s *Server) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.commands...)
}

// WaitFor waits until at least n messages were accepted, or errors after
// timeout.
func (s *Server) WaitFor(n int, timeout time.Duration) ([]Message, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if len(s.msgs) >= n {
			out := append([]Message(nil), s.msgs...)
			s.mu.Unlock()
			return out, nil
		}
		ch, got := s.arrived, len(s.msgs)
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			return nil, fmt.Errorf("smtptest: %d of %d messages arrived within %s", got, n, timeout)
		}
	}
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer func() {
				_ = c.Close()
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
			}()
			(&session{srv: s, conn: c, r: textproto.NewReader(bufio.NewReader(c)), w: bufio.NewWriter(c)}).run()
		}()
	}
}

func (s *Server) override(cmd string) (override, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.overrides[cmd]
	return o, ok
}

func (s *Server) logCommand(line string) {
	if verb, _, _ := strings.Cut(line, " "); strings.EqualFold(verb, "AUTH") {
		line = "AUTH …"
	}
	s.mu.Lock()
	s.commands = append(s.commands, line)
	s.mu.Unlock()
}

// session is one SMTP connection.
type session struct {
	srv  *Server
	conn net.Conn
	r    *textproto.Reader
	w    *bufio.Writer

	greeted  bool
	authUser string
	from     *string
	rcpts    []string
}

// reply writes a reply; several lines make a multi-line reply
// ("250-a", "250 b") as RFC 5321 section 4.2.1 has it.
func (ss *session) reply(code int, lines ...string) error {
	for i, l := range lines {
		sep := "-"
		if i == len(lines)-1 {
			sep = " "
		}
		fmt.Fprintf(ss.w, "%03d%s%s\r\n", code, sep, l)
	}
	return ss.w.Flush()
}

// hang waits for the peer (or Close) to drop the connection.
func (ss *session) hang() { _, _ = io.Copy(io.Discard, ss.conn) }

// overridden answers cmd as scripted; true means the caller is done with
// the command (and, with stop, with the connection).
func (ss *session) overridden(cmd string) (handled, stop bool) {
	o, ok := ss.srv.override(cmd)
	if !ok {
		return false, false
	}
	if o.hang {
		ss.hang()
		return true, true
	}
	return true, ss.reply(o.code, o.text) != nil
}

func (ss *session) resetTx() { ss.from, ss.rcpts = nil, nil }

func (ss *session) run() {
	if handled, _ := ss.overridden("GREETING"); handled {
		return // a refused greeting ends the session (RFC 5321 3.1)
	}
	if ss.reply(220, ss.srv.opts.Hostname+" ESMTP smtptest") != nil {
		return
	}
	for {
		line, err := ss.r.ReadLine()
		if err != nil {
			return
		}
		ss.srv.logCommand(line)
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		if handled, stop := ss.overridden(verb); handled {
			if stop {
				return
			}
			continue
		}
		if ss.handle(verb, arg) != nil {
			return
		}
		if verb == "QUIT" {
			return
		}
	}
}

func (ss *session) handle(verb, arg string) error {
	host := ss.srv.opts.Hostname
	switch verb {
	case "EHLO", "HELO":
		if strings.TrimSpace(arg) == "" {
			return ss.reply(501, "5.5.4 Syntax: "+verb+" hostname")
		}
		ss.greeted = true
		ss.resetTx()
		if verb == "HELO" {
			return ss.reply(250, host)
		}
		lines := []string{host + " greets " + arg, "8BITMIME", "ENHANCEDSTATUSCODES", "SIZE 10485760"}
		if ss.srv.opts.Username != "" {
			lines = append(lines, "AUTH PLAIN")
		}
		return ss.reply(250, lines...)
	case "AUTH":
		return ss.auth(arg)
	case "MAIL":
		switch {
		case !ss.greeted:
			return ss.reply(503, "5.5.1 Send EHLO or HELO first")
		case ss.from != nil:
			return ss.reply(503, "5.5.1 Nested MAIL command")
		case ss.srv.opts.Username != "" && ss.authUser == "":
			return ss.reply(530, "5.7.0 Authentication required")
		}
		addr, ok := path(arg, "FROM:")
		if !ok {
			return ss.reply(501, "5.5.4 Syntax: MAIL FROM:<address>")
		}
		ss.from = &addr
		return ss.reply(250, "2.1.0 Ok")
	case "RCPT":
		if ss.from == nil {
			return ss.reply(503, "5.5.1 Need MAIL before RCPT")
		}
		addr, ok := path(arg, "TO:")
		if !ok || addr == "" {
			return ss.reply(501, "5.5.4 Syntax: RCPT TO:<address>")
		}
		if len(ss.rcpts) >= 100 {
			return ss.reply(452, "4.5.3 Too many recipients")
		}
		ss.rcpts = append(ss.rcpts, addr)
		return ss.reply(250, "2.1.5 Ok")
	case "DATA":
		if arg != "" {
			return ss.reply(501, "5.5.4 DATA takes no argument")
		}
		if len(ss.rcpts) == 0 {
			return ss.reply(503, "5.5.1 Need RCPT before DATA")
		}
		return ss.data()
	case "RSET":
		ss.resetTx()
		return ss.reply(250, "2.0.0 Ok")
	case "NOOP":
		return ss.reply(250, "2.0.0 Ok")
	case "VRFY":
		return ss.reply(252, "2.5.2 Cannot VRFY user")
	case "QUIT":
		return ss.reply(221, "2.0.0 Bye")
	case "STARTTLS":
		return ss.reply(454, "4.7.0 TLS not available")
	}
	return ss.reply(500, "5.5.2 Command not recognized")
}

// auth handles AUTH PLAIN (RFC 4954, RFC 4616), with or without an
// initial response.
func (ss *session) auth(arg string) error {
	o := ss.srv.opts
	mech, resp, _ := strings.Cut(arg, " ")
	switch {
	case o.Username == "":
		return ss.reply(502, "5.5.1 AUTH not available")
	case !ss.greeted:
		return ss.reply(503, "5.5.1 Send EHLO first")
	case ss.authUser != "":
		return ss.reply(503, "5.5.1 Already authenticated")
	case ss.from != nil:
		return ss.reply(503, "5.5.1 AUTH not allowed during a mail transaction")
	case !strings.EqualFold(mech, "PLAIN"):
		return ss.reply(504, "5.5.4 Unrecognized authentication type")
	}
	if resp == "" {
		if err := ss.reply(334, ""); err != nil {
			return err
		}
		line, err := ss.r.ReadLine()
		if err != nil {
			return err
		}
		resp = line
	}
	if resp == "*" {
		return ss.reply(501, "5.0.0 Authentication cancelled")
	}
	raw, err := base64.StdEncoding.DecodeString(resp)
	if err != nil {
		return ss.reply(501, "5.5.2 Cannot decode response")
	}
	parts := strings.Split(string(raw), "\x00")
	if len(parts) != 3 || parts[1] != o.Username || parts[2] != o.Password {
		return ss.reply(535, "5.7.8 Authentication credentials invalid")
	}
	ss.authUser = parts[1]
	return ss.reply(235, "2.7.0 Authentication successful")
}

// data reads the message up to the lone "." line, removing the leading
// dot that the client added to lines starting with one (RFC 5321 4.5.2).
func (ss *session) data() error {
	if err := ss.reply(354, "End data with <CR><LF>.<CR><LF>"); err != nil {
		return err
	}
	var buf bytes.Buffer
	for {
		line, err := ss.r.ReadLine()
		if err != nil {
			return err
		}
		if line == "." {
			break
		}
		buf.WriteString(strings.TrimPrefix(line, "."))
		buf.WriteString("\r\n")
	}
	defer ss.resetTx()
	if handled, stop := ss.overridden("MESSAGE"); handled {
		if stop {
			return io.EOF
		}
		return nil
	}
	m := Message{From: *ss.from, To: ss.rcpts, Data: buf.Bytes(), AuthUser: ss.authUser}
	parse(&m)
	s := ss.srv
	s.mu.Lock()
	s.msgs = append(s.msgs, m)
	n := len(s.msgs)
	close(s.arrived)
	s.arrived = make(chan struct{})
	s.mu.Unlock()
	return ss.reply(250, fmt.Sprintf("2.0.0 Ok: queued as %d", n))
}

// path reads "FROM:<addr> [params]" (prefix case-insensitive); "<>" is
// the null reverse-path.
func path(arg, prefix string) (string, bool) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", false
	}
	rest := strings.TrimLeft(arg[len(prefix):], " ")
	if !strings.HasPrefix(rest, "<") {
		return "", false
	}
	end := strings.IndexByte(rest, '>')
	if end < 0 {
		return "", false
	}
	return rest[1:end], true
}

// parse fills the parsed fields of m from m.Data.
func parse(m *Message) {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		m.ParseErr = err
		return
	}
	m.Header = msg.Header
	dec := new(mime.WordDecoder)
	if m.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		m.ParseErr = err
		return
	}
	m.ParseErr = walk(m, textproto.MIMEHeader(msg.Header), msg.Body)
}

// walk descends into multipart bodies and keeps the first text/plain and
// text/html leaves.
func walk(m *Message, h textproto.MIMEHeader, body io.Reader) error {
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "text/plain"
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return err
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart() // decodes quoted-printable itself
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walk(m, p.Header, p); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	switch {
	case mt == "text/plain" && m.Text == "":
		m.Text = string(b)
	case mt == "text/html" && m.HTML == "":
		m.HTML = string(b)
	}
	return nil
}
