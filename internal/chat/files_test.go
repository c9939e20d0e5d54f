package chat

import (
	"bytes"
	"strings"
	"testing"

	"github.com/storsthlm/mottagning/internal/apperr"
)

var pngMagic = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")

func TestSniffFileByContentOnly(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		data []byte
		want string
	}{
		"png":  {pngMagic, "image/png"},
		"jpeg": {[]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), "image/jpeg"},
		"gif":  {[]byte("GIF89a\x01\x00\x01\x00"), "image/gif"},
		"webp": {[]byte("RIFF\x24\x00\x00\x00WEBPVP8 "), "image/webp"},
		"pdf":  {[]byte("%PDF-1.4\n%âãÏÓ\n"), "application/pdf"},
		"html": {[]byte("<!DOCTYPE html><script>alert(1)</script>"), ""},
		"elf":  {[]byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00"), ""},
		"exe":  {[]byte("MZ\x90\x00\x03\x00\x00\x00"), ""},
		"svg":  {[]byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), ""},
		"text": {[]byte("hej hej"), ""},
	} {
		got, err := SniffFile(c.data)
		if c.want == "" {
			if !apperr.Is(err, apperr.Unsupported) {
				t.Errorf("%s: %q, %v; want Unsupported", name, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s: %q, %v; want %s", name, got, err, c.want)
		}
	}
}

func TestCleanFileNameKeepsASafeDisplayName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"semester.png":                "semester.png",
		`C:\Users\Kim\Bilder\mig.PNG`: "mig.png",
		"../../etc/passwd":            "passwd.png",
		"ond\u202egnp.exe":            "ondgnp.png",
		"  rad\nbrytning\t.png ":      "rad brytning.png",
		"":                            "fil.png",
		"...":                         "fil.png",
		"citat\".png":                 "citat.png",
		strings.Repeat("å", 300):      strings.Repeat("å", 96) + ".png",
	} {
		if got := CleanFileName(in, "image/png"); got != want {
			t.Errorf("CleanFileName(%q) = %q; want %q", in, got, want)
		}
	}
	if got := CleanFileName("intyg.png", "application/pdf"); got != "intyg.pdf" {
		t.Errorf("a PDF named .png: %q; want the extension of its real type", got)
	}
}

func TestCheckFileRefusesEmptyAndOversized(t *testing.T) {
	t.Parallel()
	if _, err := CheckFile("a.png", nil); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("empty: %v; want Invalid", err)
	}
	big := append(bytes.Clone(pngMagic), make([]byte, MaxFile+1-len(pngMagic))...)
	if _, err := CheckFile("a.png", big); !apperr.Is(err, apperr.TooLarge) {
		t.Errorf("MaxFile+1 bytes: %v; want TooLarge", err)
	}
	f, err := CheckFile("a.png", big[:MaxFile])
	if err != nil || f.Size != MaxFile || f.Type != "image/png" || f.Name != "a.png" {
		t.Errorf("MaxFile bytes: %+v, %v; want accepted", f.FileInfo, err)
	}
}
