package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
)

// A DevTools connection: commands carry an id and are answered by a message
// with the same id; everything else is an event. With flattened sessions
// (Target.attachToTarget flatten=true) one connection carries the browser's
// commands and every page's, told apart by sessionId.

// cdpMessage is every message in either direction.
type cdpMessage struct {
	ID        int64           `json:"id,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *cdpError       `json:"error,omitempty"`
}

type cdpRequest struct {
	ID        int64  `json:"id"`
	SessionID string `json:"sessionId,omitempty"`
	Method    string `json:"method"`
	Params    any    `json:"params,omitempty"`
}

type cdpError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    string `json:"data,omitempty"`
}

// eventHandler receives one session's events on the reader goroutine; it
// must not block or call back into the connection.
type eventHandler func(method string, params json.RawMessage)

type cdpConn struct {
	ws *wsConn

	mu       sync.Mutex
	nextID   int64
	pending  map[int64]chan *cdpMessage
	handlers map[string]eventHandler // by sessionId; "" is the browser
	err      error                   // why the connection ended; set once

	done chan struct{} // closed when the reader stops
}

func newCDPConn(ws *wsConn) *cdpConn {
	c := &cdpConn{
		ws:       ws,
		pending:  make(map[int64]chan *cdpMessage),
		handlers: make(map[string]eventHandler),
		done:     make(chan struct{}),
	}
	go c.read()
	return c
}

func (c *cdpConn) read() {
	defer close(c.done)
	for {
		data, err := c.ws.readMessage()
		if err != nil {
			c.mu.Lock()
			if c.err == nil {
				c.err = fmt.Errorf("devtools connection lost: %w", err)
			}
			c.mu.Unlock()
			return
		}
		var m cdpMessage
		if err := json.Unmarshal(data, &m); err != nil {
			c.mu.Lock()
			c.err = fmt.Errorf("devtools sent a message that is not JSON: %w", err)
			c.mu.Unlock()
			c.ws.conn.Close()
			return
		}
		c.mu.Lock()
		if m.ID != 0 {
			ch := c.pending[m.ID]
			delete(c.pending, m.ID)
			c.mu.Unlock()
			if ch != nil {
				ch <- &m
			}
			continue
		}
		h := c.handlers[m.SessionID]
		c.mu.Unlock()
		if h != nil && m.Method != "" {
			h(m.Method, m.Params)
		}
	}
}

// handle routes the events of one session (or of the browser, for "") to h;
// a nil h stops them.
func (c *cdpConn) handle(sessionID string, h eventHandler) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h == nil {
		delete(c.handlers, sessionID)
		return
	}
	c.handlers[sessionID] = h
}

// call sends a command and decodes its result into result (unless nil). It
// returns when the answer arrives, the connection ends or ctx is done.
func (c *cdpConn) call(ctx context.Context, sessionID, method string, params, result any) error {
	ch := make(chan *cdpMessage, 1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return fmt.Errorf("%s: %w", method, err)
	}
	c.nextID++
	id := c.nextID
	c.pending[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
	}()

	req, err := json.Marshal(cdpRequest{ID: id, SessionID: sessionID, Method: method, Params: params})
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	if err := c.ws.writeText(req); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case m := <-ch:
		if m.Error != nil {
			msg := m.Error.Message
			if m.Error.Data != "" {
				msg += ": " + m.Error.Data
			}
			return fmt.Errorf("%s: %s (code %d)", method, msg, m.Error.Code)
		}
		if result != nil && len(m.Result) > 0 {
			if err := json.Unmarshal(m.Result, result); err != nil {
				return fmt.Errorf("%s: decoding the result: %w", method, err)
			}
		}
		return nil
	case <-c.done:
		c.mu.Lock()
		err := c.err
		c.mu.Unlock()
		return fmt.Errorf("%s: %w", method, err)
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// close ends the connection; calls still waiting return an error.
func (c *cdpConn) close() {
	c.mu.Lock()
	if c.err == nil {
		c.err = fmt.Errorf("devtools connection closed")
	}
	c.mu.Unlock()
	c.ws.close()
	<-c.done
}
