package browser

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// Tolerance says how far a screenshot may stray from its golden file:
// antialiasing and font rasterisation move from one Chromium build to the
// next, a layout change does not hide within these.
type Tolerance struct {
	// Channel is the largest difference of any of R, G, B or A (0–255)
	// by which a pixel still counts as the same.
	Channel uint8
	// Fraction is the share of pixels (0–1) that may differ.
	Fraction float64
}

// DefaultTolerance lets 0.5% of the pixels differ by more than 40/255 in
// some channel.
var DefaultTolerance = Tolerance{Channel: 40, Fraction: 0.005}

// Diff is the outcome of ComparePNG.
type Diff struct {
	Width, Height int
	// Pixels is how many pixels differ beyond the tolerance's Channel, and
	// Fraction that count over Width×Height.
	Pixels   int
	Fraction float64
	// MaxDelta is the largest channel difference of any pixel.
	MaxDelta uint8
	// OK is whether Fraction is within the tolerance.
	OK bool

	got, want *image.NRGBA
	same      []byte // both images, when they were the same file (not decoded)
	tol       Tolerance
}

// String is a one-line account, such as "1234 of 1024000 pixels (0.12%)
// differ by more than 40/255; largest difference 255".
func (d Diff) String() string {
	return fmt.Sprintf("%d of %d pixels (%.2f%%) differ by more than %d/255; largest difference %d",
		d.Pixels, d.Width*d.Height, 100*d.Fraction, d.tol.Channel, d.MaxDelta)
}

// ComparePNG compares two PNG images pixel by pixel, colours
// non-premultiplied. Images of different sizes are an error, not a Diff.
func ComparePNG(got, want []byte, tol Tolerance) (Diff, error) {
	if bytes.Equal(got, want) {
		// The same file: nothing to decode (the browser draws the same
		// page the same way, byte for byte, on the same machine).
		cfg, err := png.DecodeConfig(bytes.NewReader(got))
		if err != nil {
			return Diff{}, fmt.Errorf("decoding the image got: %w", err)
		}
		return Diff{Width: cfg.Width, Height: cfg.Height, OK: true, tol: tol, same: got}, nil
	}
	g, err := decodeNRGBA(got)
	if err != nil {
		return Diff{}, fmt.Errorf("decoding the image got: %w", err)
	}
	w, err := decodeNRGBA(want)
	if err != nil {
		return Diff{}, fmt.Errorf("decoding the image wanted: %w", err)
	}
	gs, ws := g.Bounds().Size(), w.Bounds().Size()
	if gs != ws {
		return Diff{}, fmt.Errorf("image is %dx%d, want %dx%d", gs.X, gs.Y, ws.X, ws.Y)
	}
	d := Diff{Width: gs.X, Height: gs.Y, got: g, want: w, tol: tol}
	for i := 0; i < len(g.Pix); i += 4 {
		var worst uint8
		for c := range 4 {
			a, b := g.Pix[i+c], w.Pix[i+c]
			worst = max(worst, max(a, b)-min(a, b))
		}
		d.MaxDelta = max(d.MaxDelta, worst)
		if worst > tol.Channel {
			d.Pixels++
		}
	}
	if n := gs.X * gs.Y; n > 0 {
		d.Fraction = float64(d.Pixels) / float64(n)
	}
	d.OK = d.Fraction <= tol.Fraction
	return d, nil
}

// decodeNRGBA decodes a PNG into an NRGBA image whose origin is (0, 0).
func decodeNRGBA(b []byte) (*image.NRGBA, error) {
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	r := img.Bounds()
	// Screenshots decode as NRGBA (with alpha) or RGBA (without, so
	// opaque, where the two are the same): take their pixels as they are,
	// which is much faster than draw's conversion under the race detector.
	switch m := img.(type) {
	case *image.NRGBA:
		if r.Min == (image.Point{}) {
			return m, nil
		}
	case *image.RGBA:
		if r.Min == (image.Point{}) && m.Opaque() {
			return &image.NRGBA{Pix: m.Pix, Stride: m.Stride, Rect: m.Rect}, nil
		}
	}
	out := image.NewNRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(out, out.Bounds(), img, r.Min, draw.Src)
	return out, nil
}

// PNG draws the differences for a person to look at: the wanted image
// faded to grey, with each pixel that differs beyond the tolerance in
// solid magenta.
func (d Diff) PNG() ([]byte, error) {
	if d.got == nil && d.same != nil {
		m, err := decodeNRGBA(d.same)
		if err != nil {
			return nil, err
		}
		d.got, d.want = m, m
	}
	if d.got == nil {
		return nil, errors.New("no images compared")
	}
	out := image.NewNRGBA(d.want.Bounds())
	for i := 0; i < len(out.Pix); i += 4 {
		var worst uint8
		for c := range 4 {
			a, b := d.got.Pix[i+c], d.want.Pix[i+c]
			worst = max(worst, max(a, b)-min(a, b))
		}
		px := color.NRGBA{255, 0, 255, 255}
		if worst <= d.tol.Channel {
			r, g, b := int(d.want.Pix[i]), int(d.want.Pix[i+1]), int(d.want.Pix[i+2])
			y := uint8((299*r + 587*g + 114*b) / 1000)
			y = 192 + y/4 // faded: light grey, so that magenta stands out
			px = color.NRGBA{y, y, y, 255}
		}
		out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = px.R, px.G, px.B, px.A
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, out); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// CheckGolden compares a screenshot with the golden PNG at path. With
// update (the calling package's -update flag) it writes path instead. On a
// mismatch it fails the test and leaves path's stem + ".got.png" (the
// screenshot) and ".diff.png" (Diff.PNG) beside it, and says so; on a match
// it removes any such files a failed run left.
func CheckGolden(t testing.TB, path string, got []byte, tol Tolerance, update bool) {
	t.Helper()
	base := path[:len(path)-len(filepath.Ext(path))]
	gotPath, diffPath := base+".got.png", base+".diff.png"
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Remove(gotPath)
		os.Remove(diffPath)
		t.Logf("wrote %s", path)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		writeFor(t, gotPath, got)
		t.Errorf("golden screenshot: %v (run with -update to write it; this run's is %s)", err, gotPath)
		return
	}
	d, err := ComparePNG(got, want, tol)
	if err != nil {
		writeFor(t, gotPath, got)
		os.Remove(diffPath)
		t.Errorf("golden screenshot %s: %v; this run's is %s", path, err, gotPath)
		return
	}
	if d.OK {
		os.Remove(gotPath)
		os.Remove(diffPath)
		return
	}
	writeFor(t, gotPath, got)
	if b, err := d.PNG(); err == nil {
		writeFor(t, diffPath, b)
	}
	t.Errorf("golden screenshot %s: %v, more than the %.2f%% allowed; this run's is %s, the differences in magenta in %s (-update to accept)",
		path, d, 100*tol.Fraction, gotPath, diffPath)
}

func writeFor(t testing.TB, path string, b []byte) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Errorf("writing %s: %v", path, err)
	}
}
