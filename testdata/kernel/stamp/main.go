// Command stamp copies the NDJSON a live tcpflow-fsm writes on its
// standard output, read on its standard input, to its standard output, and
// adds to each record, as its first field, when stamp read it:
// "arrived", Unix seconds with microseconds. gen.sh's drills (../README.md,
// "Drills") pipe the tool through it, so that how long a finding took to
// come out is measured where an engineer would watch it, on the tool's
// output. A line that is not a JSON object is kept as the string "line" of
// an object of its own.
//
// Standard library only; the go tool ignores testdata, so build it with
// go build -o stamp ./testdata/kernel/stamp.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

func main() {
	r := bufio.NewReaderSize(os.Stdin, 1<<20)
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	var out []byte
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			now := time.Now()
			out = stamped(out[:0], now, bytes.TrimRight(line, "\r\n"))
			w.Write(out)
		}
		// Out at once unless more is waiting: gen.sh watches the file.
		if r.Buffered() == 0 || err != nil {
			if werr := w.Flush(); werr != nil {
				os.Exit(1)
			}
		}
		if err == io.EOF {
			return
		}
		if err != nil {
			os.Exit(1)
		}
	}
}

// stamped appends line with "arrived" (t) added, and a newline.
func stamped(b []byte, t time.Time, line []byte) []byte {
	us := t.UnixMicro()
	b = append(b, `{"arrived":`...)
	b = strconv.AppendInt(b, us/1e6, 10)
	b = append(b, '.')
	b = append(b, fmt.Sprintf("%06d", us%1e6)...)
	obj := bytes.TrimSpace(line)
	switch {
	case bytes.Equal(obj, []byte("{}")):
	case len(obj) > 2 && obj[0] == '{' && json.Valid(obj):
		b = append(b, ',')
		b = append(b, obj[1:len(obj)-1]...)
	default:
		q, _ := json.Marshal(string(line))
		b = append(b, `,"line":`...)
		b = append(b, q...)
	}
	return append(b, "}\n"...)
}
