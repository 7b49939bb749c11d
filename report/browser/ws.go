package browser

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// The client side of RFC 6455, as much of it as the DevTools endpoint needs:
// no extensions, no subprotocols, text messages out, text or binary messages
// in. It is written for one reader goroutine and any number of writers.

// wsGUID is the fixed string of RFC 6455 §1.3 that the server appends to the
// client's key before hashing it into Sec-WebSocket-Accept.
const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// Opcodes, RFC 6455 §5.2.
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

// wsMaxMessage bounds one assembled message. A full-page screenshot of a
// long report arrives as one base64 text message of some megabytes; this is
// far above that and still keeps a confused peer from exhausting memory.
const wsMaxMessage = 512 << 20

// errWSClosed is returned by readMessage once the server has sent a close
// frame.
var errWSClosed = errors.New("websocket: closed by peer")

// wsConn is a client WebSocket connection.
type wsConn struct {
	conn net.Conn
	br   *bufio.Reader

	wmu    sync.Mutex // serialises frames written by callers and by the reader's pongs
	closed bool       // a close frame has been sent; guarded by wmu
}

// dialWS opens a WebSocket connection to a ws:// URL. ctx bounds the dial
// and the opening handshake only.
func dialWS(ctx context.Context, rawURL string) (*wsConn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("websocket: %w", err)
	}
	if u.Scheme != "ws" {
		return nil, fmt.Errorf("websocket: scheme %q not supported (ws only)", u.Scheme)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "80")
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, fmt.Errorf("websocket: %w", err)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(30 * time.Second)
	}
	conn.SetDeadline(deadline)
	// A cancelled ctx interrupts a handshake that is waiting on the peer.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	ws, err := handshake(conn, u)
	if !stop() || err != nil {
		conn.Close()
		if err == nil {
			err = ctx.Err()
		}
		return nil, err
	}
	conn.SetDeadline(time.Time{})
	return ws, nil
}

// handshake performs the opening handshake of RFC 6455 §4.1 on conn.
func handshake(conn net.Conn, u *url.URL) (*wsConn, error) {
	var nonce [16]byte
	rand.Read(nonce[:])
	key := base64.StdEncoding.EncodeToString(nonce[:])

	req := &http.Request{
		Method:     http.MethodGet,
		URL:        &url.URL{Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery},
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Host:       u.Host,
		Header: http.Header{
			"Upgrade":               {"websocket"},
			"Connection":            {"Upgrade"},
			"Sec-Websocket-Key":     {key},
			"Sec-Websocket-Version": {"13"},
		},
	}
	if req.URL.Path == "" {
		req.URL.Path = "/"
	}
	if err := req.Write(conn); err != nil {
		return nil, fmt.Errorf("websocket: handshake: %w", err)
	}
	br := bufio.NewReaderSize(conn, 64<<10)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return nil, fmt.Errorf("websocket: handshake: %w", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		return nil, fmt.Errorf("websocket: handshake: server answered %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	if !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") {
		return nil, fmt.Errorf("websocket: handshake: Upgrade header is %q", resp.Header.Get("Upgrade"))
	}
	if !headerHasToken(resp.Header, "Connection", "upgrade") {
		return nil, fmt.Errorf("websocket: handshake: Connection header is %q", resp.Header.Get("Connection"))
	}
	if got, want := resp.Header.Get("Sec-Websocket-Accept"), acceptKey(key); got != want {
		return nil, fmt.Errorf("websocket: handshake: Sec-WebSocket-Accept is %q, want %q", got, want)
	}
	if ext := resp.Header.Get("Sec-Websocket-Extensions"); ext != "" {
		return nil, fmt.Errorf("websocket: handshake: server chose extensions %q that were not offered", ext)
	}
	return &wsConn{conn: conn, br: br}, nil
}

// acceptKey is the Sec-WebSocket-Accept value for a Sec-WebSocket-Key,
// RFC 6455 §4.2.2.
func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + wsGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// writeText sends p as one text message in a single frame.
func (w *wsConn) writeText(p []byte) error {
	return w.writeFrame(opText, p)
}

// writeFrame sends one final frame. RFC 6455 §5.3: every frame from a
// client is masked with a fresh, unpredictable key.
func (w *wsConn) writeFrame(op byte, p []byte) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	if w.closed {
		return errors.New("websocket: write after close")
	}
	if op == opClose {
		w.closed = true
	}
	frame := make([]byte, 0, 14+len(p))
	frame = append(frame, 0x80|op)
	switch n := len(p); {
	case n <= 125:
		frame = append(frame, 0x80|byte(n))
	case n <= 0xFFFF:
		frame = append(frame, 0x80|126)
		frame = binary.BigEndian.AppendUint16(frame, uint16(n))
	default:
		frame = append(frame, 0x80|127)
		frame = binary.BigEndian.AppendUint64(frame, uint64(n))
	}
	var mask [4]byte
	rand.Read(mask[:])
	frame = append(frame, mask[:]...)
	start := len(frame)
	frame = append(frame, p...)
	for i := range p {
		frame[start+i] ^= mask[i&3]
	}
	_, err := w.conn.Write(frame)
	return err
}

// readMessage returns the next text or binary message, assembled from its
// fragments. It answers pings with pongs and skips pongs on the way. After
// the server's close frame it answers with a close frame and returns
// errWSClosed (wrapped, with the status code).
func (w *wsConn) readMessage() ([]byte, error) {
	var msg []byte
	var msgOp byte
	inMessage := false
	for {
		fin, op, payload, err := w.readFrame()
		if err != nil {
			return nil, err
		}
		switch op {
		case opPing:
			if err := w.writeFrame(opPong, payload); err != nil {
				return nil, err
			}
			continue
		case opPong:
			continue
		case opClose:
			code := 1005 // RFC 6455 §7.1.5: no status code was present
			if len(payload) >= 2 {
				code = int(binary.BigEndian.Uint16(payload))
			}
			w.writeFrame(opClose, payload[:min(len(payload), 2)])
			return nil, fmt.Errorf("%w (status %d)", errWSClosed, code)
		case opText, opBinary:
			if inMessage {
				return nil, errors.New("websocket: new message begun before the last one ended")
			}
			inMessage, msgOp, msg = true, op, payload
		case opContinuation:
			if !inMessage {
				return nil, errors.New("websocket: continuation frame outside a message")
			}
			if len(msg)+len(payload) > wsMaxMessage {
				return nil, fmt.Errorf("websocket: message longer than %d bytes", wsMaxMessage)
			}
			msg = append(msg, payload...)
		default:
			return nil, fmt.Errorf("websocket: unknown opcode %#x", op)
		}
		if fin {
			if msgOp == opText && !utf8.Valid(msg) {
				return nil, errors.New("websocket: text message is not valid UTF-8")
			}
			return msg, nil
		}
	}
}

// readFrame reads one frame and checks it against RFC 6455 §5.2 and §5.5.
func (w *wsConn) readFrame() (fin bool, op byte, payload []byte, err error) {
	var hdr [2]byte
	if _, err := io.ReadFull(w.br, hdr[:]); err != nil {
		return false, 0, nil, err
	}
	fin = hdr[0]&0x80 != 0
	if hdr[0]&0x70 != 0 {
		return false, 0, nil, errors.New("websocket: reserved bits set without an extension")
	}
	op = hdr[0] & 0x0F
	if hdr[1]&0x80 != 0 {
		// RFC 6455 §5.1: "A client MUST close a connection if it detects a
		// masked frame."
		return false, 0, nil, errors.New("websocket: server sent a masked frame")
	}
	n := uint64(hdr[1] & 0x7F)
	switch n {
	case 126:
		var ext [2]byte
		if _, err := io.ReadFull(w.br, ext[:]); err != nil {
			return false, 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(ext[:]))
	case 127:
		var ext [8]byte
		if _, err := io.ReadFull(w.br, ext[:]); err != nil {
			return false, 0, nil, err
		}
		n = binary.BigEndian.Uint64(ext[:])
		if n>>63 != 0 {
			return false, 0, nil, errors.New("websocket: 64-bit length with its top bit set")
		}
	}
	if op >= opClose && (n > 125 || !fin) {
		return false, 0, nil, errors.New("websocket: control frame fragmented or longer than 125 bytes")
	}
	if n > wsMaxMessage {
		return false, 0, nil, fmt.Errorf("websocket: frame of %d bytes is longer than %d", n, wsMaxMessage)
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(w.br, payload); err != nil {
		return false, 0, nil, err
	}
	return fin, op, payload, nil
}

// close sends a normal-closure frame, if none was sent yet, and closes the
// TCP connection without waiting for the server's answer: the DevTools
// endpoint goes away with the browser anyway.
func (w *wsConn) close() error {
	w.writeFrame(opClose, []byte{0x03, 0xE8}) // 1000, normal closure
	return w.conn.Close()
}
