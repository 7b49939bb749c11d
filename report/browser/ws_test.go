package browser

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A WebSocket server small enough to script: the test's handler gets the
// hijacked connection after the handshake and writes frames byte by byte as
// it pleases, so that each framing case (16- and 64-bit lengths, fragments,
// an interleaved ping) is sent exactly as the test says.

type testServer struct {
	conn net.Conn
	br   *bufio.Reader
}

// serverFrame writes one unmasked frame, as a server does.
func (s *testServer) frame(fin bool, op byte, p []byte) error {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	hdr := []byte{b0}
	switch n := len(p); {
	case n <= 125:
		hdr = append(hdr, byte(n))
	case n <= 0xFFFF:
		hdr = append(hdr, 126)
		hdr = binary.BigEndian.AppendUint16(hdr, uint16(n))
	default:
		hdr = append(hdr, 127)
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	_, err := s.conn.Write(append(hdr, p...))
	return err
}

// read reads one client frame and fails unless it is masked.
func (s *testServer) read() (fin bool, op byte, p []byte, err error) {
	var hdr [2]byte
	if _, err := io.ReadFull(s.br, hdr[:]); err != nil {
		return false, 0, nil, err
	}
	if hdr[1]&0x80 == 0 {
		return false, 0, nil, errors.New("client frame not masked")
	}
	n := uint64(hdr[1] & 0x7F)
	switch n {
	case 126:
		var ext [2]byte
		io.ReadFull(s.br, ext[:])
		n = uint64(binary.BigEndian.Uint16(ext[:]))
	case 127:
		var ext [8]byte
		io.ReadFull(s.br, ext[:])
		n = binary.BigEndian.Uint64(ext[:])
	}
	var mask [4]byte
	if _, err := io.ReadFull(s.br, mask[:]); err != nil {
		return false, 0, nil, err
	}
	p = make([]byte, n)
	if _, err := io.ReadFull(s.br, p); err != nil {
		return false, 0, nil, err
	}
	for i := range p {
		p[i] ^= mask[i&3]
	}
	return hdr[0]&0x80 != 0, hdr[0] & 0x0F, p, nil
}

// newTestServer serves one WebSocket connection with script; accept, if not
// empty, replaces the correct Sec-WebSocket-Accept value.
func newTestServer(t *testing.T, accept string, script func(*testServer) error) (wsURL string, done <-chan error) {
	t.Helper()
	errc := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Sec-WebSocket-Version") != "13" || !headerHasToken(r.Header, "Connection", "upgrade") ||
			!strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			http.Error(w, "not a websocket upgrade", http.StatusBadRequest)
			errc <- errors.New("bad upgrade request")
			return
		}
		if accept == "" {
			accept = acceptKey(r.Header.Get("Sec-WebSocket-Key"))
		}
		conn, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			errc <- err
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(30 * time.Second))
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n")
		brw.Flush()
		errc <- script(&testServer{conn: conn, br: brw.Reader})
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/devtools/browser/x", errc
}

func dialTest(t *testing.T, wsURL string) *wsConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws, err := dialWS(ctx, wsURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.conn.Close() })
	return ws
}

func TestWebSocketLengths(t *testing.T) {
	sizes := []int{0, 1, 125, 126, 300, 0xFFFF, 0x10000, 3 << 20}
	wsURL, done := newTestServer(t, "", func(s *testServer) error {
		// Echo each client message back, which exercises the client's
		// masked writes and its reads of all three length forms.
		for range sizes {
			fin, op, p, err := s.read()
			if err != nil {
				return err
			}
			if !fin || op != opText {
				return errors.New("client message not one final text frame")
			}
			if err := s.frame(true, opText, p); err != nil {
				return err
			}
		}
		return nil
	})
	ws := dialTest(t, wsURL)
	for _, n := range sizes {
		msg := bytes.Repeat([]byte("0123456789abcdef"), n/16+1)[:n]
		if err := ws.writeText(msg); err != nil {
			t.Fatalf("write %d bytes: %v", n, err)
		}
		got, err := ws.readMessage()
		if err != nil {
			t.Fatalf("read %d bytes: %v", n, err)
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("echo of %d bytes came back as %d bytes, different", n, len(got))
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestWebSocketFragmentedWithPing(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 100<<10) // fragments of > 64 KiB each
	wsURL, done := newTestServer(t, "", func(s *testServer) error {
		s.frame(false, opText, []byte(`{"part":`))
		s.frame(false, opContinuation, big)
		s.frame(true, opPing, []byte("are you there"))
		s.frame(false, opContinuation, big)
		s.frame(true, opPong, []byte("unsolicited"))
		s.frame(true, opContinuation, []byte(`}`))
		// The client must answer the ping in the middle of the message.
		fin, op, p, err := s.read()
		if err != nil {
			return err
		}
		if !fin || op != opPong || string(p) != "are you there" {
			return errors.New("ping not answered by a pong with its payload")
		}
		s.frame(true, opText, []byte("after"))
		s.frame(true, opClose, []byte{0x03, 0xE9}) // 1001, going away
		_, op, _, err = s.read()
		if err != nil {
			return err
		}
		if op != opClose {
			return errors.New("close not answered by a close")
		}
		return nil
	})
	ws := dialTest(t, wsURL)
	got, err := ws.readMessage()
	if err != nil {
		t.Fatal(err)
	}
	want := string(`{"part":`) + string(big) + string(big) + "}"
	if string(got) != want {
		t.Fatalf("fragmented message: got %d bytes, want %d", len(got), len(want))
	}
	if got, err := ws.readMessage(); err != nil || string(got) != "after" {
		t.Fatalf("message after the fragments: %q, %v", got, err)
	}
	if _, err := ws.readMessage(); !errors.Is(err, errWSClosed) || !strings.Contains(err.Error(), "1001") {
		t.Fatalf("after the server's close: %v, want errWSClosed with status 1001", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := ws.writeText([]byte("late")); err == nil {
		t.Fatal("write after close succeeded")
	}
}

func TestWebSocketClientClose(t *testing.T) {
	wsURL, done := newTestServer(t, "", func(s *testServer) error {
		_, op, p, err := s.read()
		if err != nil {
			return err
		}
		if op != opClose || len(p) != 2 || binary.BigEndian.Uint16(p) != 1000 {
			return errors.New("client did not send close 1000")
		}
		return nil
	})
	ws := dialTest(t, wsURL)
	if err := ws.close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestWebSocketProtocolErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script func(*testServer) error
		want   string
	}{
		{"masked frame", func(s *testServer) error {
			_, err := s.conn.Write([]byte{0x81, 0x81, 1, 2, 3, 4, 'a' ^ 1})
			return err
		}, "masked"},
		{"continuation first", func(s *testServer) error {
			return s.frame(true, opContinuation, []byte("x"))
		}, "continuation"},
		{"long ping", func(s *testServer) error {
			return s.frame(true, opPing, make([]byte, 126))
		}, "control frame"},
		{"fragmented ping", func(s *testServer) error {
			return s.frame(false, opPing, nil)
		}, "control frame"},
		{"two messages at once", func(s *testServer) error {
			s.frame(false, opText, []byte("a"))
			return s.frame(true, opText, []byte("b"))
		}, "new message"},
		{"invalid utf-8", func(s *testServer) error {
			return s.frame(true, opText, []byte{0xff, 0xfe})
		}, "UTF-8"},
		{"reserved bits", func(s *testServer) error {
			_, err := s.conn.Write([]byte{0xC1, 0x00})
			return err
		}, "reserved"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wsURL, done := newTestServer(t, "", tc.script)
			ws := dialTest(t, wsURL)
			_, err := ws.readMessage()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error about %q", err, tc.want)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestWebSocketBadAccept(t *testing.T) {
	wsURL, _ := newTestServer(t, "dGhlIHNhbXBsZSBub25jZQ==", func(*testServer) error { return nil })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if ws, err := dialWS(ctx, wsURL); err == nil || !strings.Contains(err.Error(), "Sec-WebSocket-Accept") {
		if ws != nil {
			ws.conn.Close()
		}
		t.Fatalf("got %v, want an error about Sec-WebSocket-Accept", err)
	}
}

// TestAcceptKey checks the key derivation against the worked example of
// RFC 6455 §1.3.
func TestAcceptKey(t *testing.T) {
	if got, want := acceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="; got != want {
		t.Fatalf("acceptKey = %q, want %q", got, want)
	}
}
