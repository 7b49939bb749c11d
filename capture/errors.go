package capture

import (
	"fmt"
	"strconv"
	"strings"
)

// FormatError reports a capture file that cannot be read further: a bad
// header, a truncated record or a block whose lengths contradict each other.
// Everything read before it was returned normally.
type FormatError struct {
	// File is the name the reader was given ("-" for standard input).
	File string
	// Record is the 1-based number of the packet record being read when the
	// damage was found: the packets returned so far plus one. In pcapng only
	// packet blocks count, so damage in another block carries the number of
	// the packet that would have followed it. It is 0 for damage in the file
	// header, before any record.
	Record int64
	// Offset is the byte offset in the file of the record or block (or
	// header) that is damaged. For gzip-compressed files it is an offset in
	// the decompressed stream.
	Offset int64
	// Msg says what is wrong, lowercase, without the location.
	Msg string
}

// Error returns one line, for example
// "capture.pcap: record 17 at byte 4096: truncated packet record (need 1514 bytes, have 300)".
func (e *FormatError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(": ")
	}
	if e.Record > 0 {
		b.WriteString("record ")
		b.WriteString(strconv.FormatInt(e.Record, 10))
		b.WriteByte(' ')
	}
	b.WriteString("at byte ")
	b.WriteString(strconv.FormatInt(e.Offset, 10))
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// formatErr builds a *FormatError for the reader's file at the given offset.
func (r *Reader) formatErr(record, offset int64, format string, args ...any) *FormatError {
	return &FormatError{File: r.name, Record: record, Offset: offset, Msg: fmt.Sprintf(format, args...)}
}
