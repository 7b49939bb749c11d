package browser

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// synthetic is a w×h PNG: a horizontal gradient, with f applied to each
// pixel.
func synthetic(t *testing.T, w, h int, f func(x, y int, c color.NRGBA) color.NRGBA) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{uint8(x * 255 / w), 100, uint8(y * 255 / h), 255}
			if f != nil {
				c = f(x, y, c)
			}
			img.SetNRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestComparePNG(t *testing.T) {
	const w, h = 200, 100 // 20000 pixels: 0.5% is 100
	want := synthetic(t, w, h, nil)
	shift := func(d int) func(int, int, color.NRGBA) color.NRGBA {
		return func(_, _ int, c color.NRGBA) color.NRGBA {
			c.G = uint8(int(c.G) + d)
			return c
		}
	}
	// spots marks the first n pixels pure white.
	spots := func(n int) func(int, int, color.NRGBA) color.NRGBA {
		return func(x, y int, c color.NRGBA) color.NRGBA {
			if y*w+x < n {
				return color.NRGBA{255, 255, 255, 255}
			}
			return c
		}
	}
	for _, tc := range []struct {
		name       string
		got        []byte
		wantPixels int
		wantOK     bool
	}{
		{"identical", synthetic(t, w, h, nil), 0, true},
		{"every pixel off by 40", synthetic(t, w, h, shift(40)), 0, true},
		{"every pixel off by 41", synthetic(t, w, h, shift(41)), w * h, false},
		{"100 pixels very different", synthetic(t, w, h, spots(100)), 100, true},
		{"101 pixels very different", synthetic(t, w, h, spots(101)), 101, false},
		{"inverted", synthetic(t, w, h, func(_, _ int, c color.NRGBA) color.NRGBA {
			return color.NRGBA{255 - c.R, 255 - c.G, 255 - c.B, 255}
		}), -1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ComparePNG(tc.got, want, DefaultTolerance)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantPixels >= 0 && d.Pixels != tc.wantPixels || d.OK != tc.wantOK {
				t.Errorf("got %v, OK %v; want %d pixels, OK %v", d, d.OK, tc.wantPixels, tc.wantOK)
			}
			img, err := d.PNG()
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := png.DecodeConfig(bytes.NewReader(img))
			if err != nil || cfg.Width != w || cfg.Height != h {
				t.Fatalf("diff image %dx%d, %v; want %dx%d", cfg.Width, cfg.Height, err, w, h)
			}
		})
	}
}

func TestComparePNGErrors(t *testing.T) {
	want := synthetic(t, 20, 10, nil)
	if _, err := ComparePNG(synthetic(t, 21, 10, nil), want, DefaultTolerance); err == nil || !strings.Contains(err.Error(), "21x10, want 20x10") {
		t.Errorf("different sizes: %v", err)
	}
	if _, err := ComparePNG([]byte("not a png"), want, DefaultTolerance); err == nil {
		t.Error("a corrupt image compared")
	}
}

// recorder is a testing.TB that keeps what CheckGolden reports instead of
// failing the test that checks it.
type recorder struct {
	testing.TB
	errors, logs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Logf(format string, args ...any) {
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

func TestCheckGolden(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "golden", "page.png")
	gotPath, diffPath := filepath.Join(dir, "golden", "page.got.png"), filepath.Join(dir, "golden", "page.diff.png")
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	img := synthetic(t, 40, 30, nil)

	r := &recorder{TB: t}
	CheckGolden(r, path, img, DefaultTolerance, false)
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], "-update") || !exists(gotPath) {
		t.Fatalf("missing golden: errors %q, %s written %v", r.errors, gotPath, exists(gotPath))
	}

	r = &recorder{TB: t}
	CheckGolden(r, path, img, DefaultTolerance, true)
	if len(r.errors) != 0 || !exists(path) || exists(gotPath) {
		t.Fatalf("-update: errors %q, golden written %v, stale .got.png left %v", r.errors, exists(path), exists(gotPath))
	}

	r = &recorder{TB: t}
	CheckGolden(r, path, synthetic(t, 40, 30, func(x, y int, c color.NRGBA) color.NRGBA {
		c.R ^= 0x80
		return c
	}), DefaultTolerance, false)
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], diffPath) || !exists(gotPath) || !exists(diffPath) {
		t.Fatalf("mismatch: errors %q, .got.png %v, .diff.png %v", r.errors, exists(gotPath), exists(diffPath))
	}

	r = &recorder{TB: t}
	CheckGolden(r, path, img, DefaultTolerance, false)
	if len(r.errors) != 0 || exists(gotPath) || exists(diffPath) {
		t.Fatalf("match: errors %q, stale files left: %v %v", r.errors, exists(gotPath), exists(diffPath))
	}
}
