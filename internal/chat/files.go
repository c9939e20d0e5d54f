package chat

import (
	"context"
	"net/http"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// Files in chat: either participant may send an image or a PDF in an open
// conversation. The type is sniffed from the content (never taken from the
// file name or the client's Content-Type), the size is bounded, and only
// a sanitized display name is kept. A file is stored with its conversation
// and deleted with it when the conversation ends (P18).

// MaxFile is the largest file accepted: 10 MiB.
const MaxFile = 10 << 20

// maxFileName is the longest display name kept, in characters.
const maxFileName = 100

// FileTypes are the accepted content types, with the extension a
// download of each gets. net/http.DetectContentType (the WHATWG MIME
// sniffing algorithm) recognises all of them from their first bytes.
var FileTypes = map[string]string{
	"image/jpeg":      ".jpg",
	"image/png":       ".png",
	"image/gif":       ".gif",
	"image/webp":      ".webp",
	"application/pdf": ".pdf",
}

// FileInfo describes a file of a conversation, without its bytes.
type FileInfo struct {
	ID   uuid.UUID `json:"id"`
	Name string    `json:"name"`
	Type string    `json:"type"`
	Size int       `json:"size"`
}

// File is a file with its bytes.
type File struct {
	FileInfo
	Data []byte
}

// FileStore is what files need from the database. Every call acts with the
// acting context of ctx; a conversation or file the actor may not see is
// NotFound.
type FileStore interface {
	// AddFile stores the file and a message of conversation id that refers
	// to it, in one transaction; Conflict (chat.error.ended) if the
	// conversation has ended, (chat.error.not_yours) if staffID is not its
	// counsellor.
	AddFile(ctx context.Context, id uuid.UUID, from Sender, staffID uuid.UUID, f File, now time.Time) (Message, error)
	// File returns a file of conversation id. For staff (asStaff) it writes
	// the access-log entry of opening the conversation (P14).
	File(ctx context.Context, id, fileID uuid.UUID, asStaff bool) (File, error)
}

// Files is the files' use cases.
type Files struct {
	Store FileStore
	Now   func() time.Time
}

// SniffFile returns the accepted content type of data, sniffed from its
// bytes; Unsupported (415) for anything else, whatever its name says.
func SniffFile(data []byte) (string, error) {
	ct := http.DetectContentType(data)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	if _, ok := FileTypes[ct]; !ok {
		return "", &apperr.Error{Kind: apperr.Unsupported, Key: "chat.file.error.type",
			Fields: []apperr.FieldError{{Field: "file", Key: "chat.file.error.type"}}}
	}
	return ct, nil
}

// CleanFileName returns the display name kept for a file: the last part of
// the name the client gave, without control or formatting characters or
// path separators, at most 100 characters, ending in the extension of the
// sniffed type (so a PDF named x.png is shown and saved as x.pdf).
func CleanFileName(name, contentType string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(name)
	var b strings.Builder
	for _, r := range name {
		switch {
		case unicode.IsSpace(r):
			b.WriteRune(' ')
		case r == utf8.RuneError, unicode.IsControl(r), unicode.Is(unicode.Cf, r), r == '/', r == '"':
		default:
			b.WriteRune(r)
		}
	}
	name = strings.Join(strings.Fields(b.String()), " ")
	ext := FileTypes[contentType]
	stem := strings.TrimSpace(strings.TrimSuffix(name, path.Ext(name)))
	stem = strings.Trim(stem, ". ")
	if stem == "" {
		stem = "fil"
	}
	if max := maxFileName - utf8.RuneCountInString(ext); utf8.RuneCountInString(stem) > max {
		stem = strings.TrimSpace(string([]rune(stem)[:max]))
	}
	return stem + ext
}

// FileTooLarge is the error of a file over MaxFile.
func FileTooLarge() error {
	args := map[string]any{"MaxMB": MaxFile >> 20}
	return &apperr.Error{Kind: apperr.TooLarge, Key: "chat.file.error.too_large", Args: args,
		Fields: []apperr.FieldError{{Field: "file", Key: "chat.file.error.too_large", Args: args}}}
}

// CheckFile validates an upload's bytes and returns the file to store:
// not empty, at most MaxFile, an accepted type by its content.
func CheckFile(name string, data []byte) (File, error) {
	if len(data) == 0 {
		return File{}, apperr.InvalidFields(apperr.FieldError{Field: "file", Key: "chat.file.error.empty"})
	}
	if len(data) > MaxFile {
		return File{}, FileTooLarge()
	}
	ct, err := SniffFile(data)
	if err != nil {
		return File{}, err
	}
	return File{FileInfo: FileInfo{ID: uuid.New(), Name: CleanFileName(name, ct), Type: ct, Size: len(data)}, Data: data}, nil
}

// Send stores a checked file in conversation id as a message from from.
// For staff, the staff member is the acting account of ctx.
func (s *Files) Send(ctx context.Context, id uuid.UUID, from Sender, name string, data []byte) (Message, error) {
	f, err := CheckFile(name, data)
	if err != nil {
		return Message{}, err
	}
	var staffID uuid.UUID
	if from == FromStaff {
		staffID = tenant.ActingFrom(ctx).AccountID
	}
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	return s.Store.AddFile(ctx, id, from, staffID, f, now)
}
