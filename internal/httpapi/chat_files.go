package httpapi

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"strconv"
	"strings"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/authz"
	"github.com/storsthlm/mottagning/internal/chat"
)

// Files in chat (issue 7): either participant sends an image or a PDF of at
// most chat.MaxFile; it becomes a message of the conversation that links to
// the file, which only the conversation's participants can download.

// chatFilesDB is what files need from the database (postgres.DB).
type chatFilesDB interface {
	ChatFiles() chat.FileStore
}

// chatFilesPerConv bounds uploads per conversation, on top of the message
// limit every upload also counts against.
var chatFilesPerConv = redis_rate.Limit{Rate: 10, Burst: 10, Period: 10 * time.Minute}

// chatFileRoutes registers the upload and download routes of both sides;
// in is the counsellors' guard chain of chatRoutes.
func (h *chatHandlers) chatFileRoutes(app *fiber.App, api fiber.Router, in func(act string, hs ...fiber.Handler) []fiber.Handler) {
	db, ok := h.accountDB.(chatFilesDB)
	if !ok {
		return
	}
	f := &chatFileHandlers{chatHandlers: h, files: &chat.Files{Store: db.ChatFiles(), Now: h.receptionNow}}
	app.Post("/:kommun/chatt/fil", h.resolveKommun, h.visitor(true), f.youthUpload)
	app.Get("/:kommun/chatt/fil/:file", h.resolveKommun, h.visitor(true), f.youthDownload)
	api.Post("/chat/:kommun/conversation/files", h.resolveKommun, h.visitor(true), f.apiYouthUpload)
	api.Get("/chat/:kommun/conversation/files/:file", h.resolveKommun, h.visitor(true), f.youthDownload)
	app.Post("/personal/:kommun/chatt/:id/fil", in(authz.ActWrite, f.staffUpload)...)
	app.Get("/personal/:kommun/chatt/:id/fil/:file", in(authz.ActRead, f.staffDownload)...)
	api.Post("/kommuner/:kommun/chat/conversations/:id/files", in(authz.ActWrite, f.apiStaffUpload)...)
	api.Get("/kommuner/:kommun/chat/conversations/:id/files/:file", in(authz.ActRead, f.staffDownload)...)
}

type chatFileHandlers struct {
	*chatHandlers
	files *chat.Files
}

// chatUploadBodyLimit is the largest request body an upload route reads: a
// file of chat.MaxFile and room for the multipart framing and CSRF field.
// Bodies between this and chat.MaxFile+1 still reach the handler, which
// refuses the file with the chat's own message.
const chatUploadBodyLimit = chat.MaxFile + 64<<10

// isChatUpload reports whether a request goes to one of the upload routes,
// the only ones whose body may exceed the configured BodyLimit.
func isChatUpload(method, path string) bool {
	if method != fiber.MethodPost {
		return false
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(parts) == 3: // /:kommun/chatt/fil
		return parts[1] == "chatt" && parts[2] == "fil"
	case len(parts) == 5 && parts[0] == "personal": // /personal/:kommun/chatt/:id/fil
		return parts[2] == "chatt" && parts[4] == "fil"
	case len(parts) == 6 && parts[0] == "api" && parts[2] == "chat": // /api/v1/chat/:kommun/conversation/files
		return parts[1] == "v1" && parts[4] == "conversation" && parts[5] == "files"
	case len(parts) == 7 && parts[0] == "api" && parts[2] == "kommuner": // /api/v1/kommuner/:kommun/chat/conversations/:id/files
		return parts[1] == "v1" && parts[4] == "chat" && parts[5] == "conversations" && parts[6] == "files"
	}
	return false
}

// fileAllowed counts an upload against its conversation, as a message and
// as a file.
func (f *chatFileHandlers) fileAllowed(c *fiber.Ctx, id uuid.UUID) error {
	if err := f.messageAllowed(c, id); err != nil {
		return err
	}
	res, err := f.limiter.Allow(c.UserContext(), f.prefix+"chat:file:"+id.String(), chatFilesPerConv)
	if err != nil {
		return err
	}
	if res.Allowed == 0 {
		return apperr.New(apperr.TooMany, "chat.file.error.too_many")
	}
	return nil
}

// readUpload reads the multipart field "file" of the request: its name
// and at most chat.MaxFile bytes. A longer file is refused as soon as its
// part runs past the limit, without keeping the rest; other fields are
// skipped.
func readUpload(c *fiber.Ctx) (string, []byte, error) {
	missing := apperr.InvalidFields(apperr.FieldError{Field: "file", Key: "chat.file.error.missing"})
	mt, params, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || mt != fiber.MIMEMultipartForm || params["boundary"] == "" {
		return "", nil, missing
	}
	r := multipart.NewReader(bytes.NewReader(c.Request().Body()), params["boundary"])
	for {
		p, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			return "", nil, missing
		}
		if err != nil {
			return "", nil, apperr.E(apperr.Invalid, "chat.file.error.form", err)
		}
		if p.FormName() != "file" {
			continue
		}
		name := p.FileName()
		data, err := io.ReadAll(io.LimitReader(p, chat.MaxFile+1))
		if err != nil {
			return "", nil, apperr.E(apperr.Invalid, "chat.file.error.form", err)
		}
		if name == "" && len(data) == 0 {
			return "", nil, missing // the form was sent without choosing a file
		}
		if len(data) > chat.MaxFile {
			return "", nil, chat.FileTooLarge()
		}
		return name, data, nil
	}
}

// upload reads, checks and stores the request's file in conversation id.
func (f *chatFileHandlers) upload(c *fiber.Ctx, id uuid.UUID, from chat.Sender) (chat.Message, error) {
	name, data, err := readUpload(c)
	if err != nil {
		return chat.Message{}, err
	}
	if err := f.fileAllowed(c, id); err != nil {
		return chat.Message{}, err
	}
	m, err := f.files.Send(c.UserContext(), id, from, name, data)
	if err != nil {
		return m, err
	}
	f.afterMessage(c.UserContext(), kommunFrom(c), id, from) // a file from staff may notice an away youth
	return m, nil
}

func (f *chatFileHandlers) youthUpload(c *fiber.Ctx) error {
	id, _ := chatConvFrom(c)
	if _, err := f.upload(c, id, chat.FromYouth); err != nil {
		if fm, ok := f.formFailure(c, err); ok {
			return f.renderYouth(c, fm, false)
		}
		return err
	}
	return c.Redirect("/"+kommunFrom(c).Slug+"/chatt#senaste", fiber.StatusSeeOther)
}

func (f *chatFileHandlers) apiYouthUpload(c *fiber.Ctx) error {
	id, _ := chatConvFrom(c)
	m, err := f.upload(c, id, chat.FromYouth)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(m)
}

func (f *chatFileHandlers) staffUpload(c *fiber.Ctx) error {
	id, err := convParam(c)
	if err != nil {
		return err
	}
	if _, err := f.upload(c, id, chat.FromStaff); err != nil {
		if fm, ok := f.formFailure(c, err); ok {
			return f.renderStaffConv(c, fm)
		}
		return err
	}
	return f.staffBack(c, id)
}

func (f *chatFileHandlers) apiStaffUpload(c *fiber.Ctx) error {
	id, err := convParam(c)
	if err != nil {
		return err
	}
	m, err := f.upload(c, id, chat.FromStaff)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(m)
}

func (f *chatFileHandlers) youthDownload(c *fiber.Ctx) error {
	id, _ := chatConvFrom(c)
	return f.download(c, id, false)
}

// staffDownload serves a file to a counsellor of the kommun; like opening
// the conversation, it writes an access-log entry (P14).
func (f *chatFileHandlers) staffDownload(c *fiber.Ctx) error {
	id, err := convParam(c)
	if err != nil {
		return err
	}
	return f.download(c, id, true)
}

// download sends a file as an attachment of its sniffed type, never
// sniffed again by the browser; like every response it is no-store
// (securityHeaders).
func (f *chatFileHandlers) download(c *fiber.Ctx, id uuid.UUID, asStaff bool) error {
	fileID, err := uuid.Parse(c.Params("file"))
	if err != nil {
		return apperr.New(apperr.NotFound, "chat.file.error.not_found")
	}
	file, err := f.files.Store.File(c.UserContext(), id, fileID, asStaff)
	if err != nil {
		return err
	}
	disp := mime.FormatMediaType("attachment", map[string]string{"filename": file.Name})
	if disp == "" {
		disp = "attachment"
	}
	c.Set(fiber.HeaderContentType, file.Type)
	c.Set(fiber.HeaderContentDisposition, disp)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'; sandbox")
	return c.Send(file.Data)
}

// chatFileView is a file message as a page shows it.
type chatFileView struct {
	Name, URL, Kind, Size string
}

// withFiles adds the file of each file message to its view; base is the
// page's download path, to which the file id is appended.
func (h *chatHandlers) withFiles(lang string, views []chatMessageView, msgs []chat.Message, base string) {
	for i, m := range msgs {
		if m.File == nil || i >= len(views) {
			continue
		}
		views[i].File = &chatFileView{Name: m.File.Name, URL: base + m.File.ID.String(),
			Kind: h.fileKind(lang, m.File.Type), Size: h.fileSize(lang, m.File.Size)}
	}
}

func (h *chatHandlers) fileKind(lang, contentType string) string {
	if contentType == "application/pdf" {
		return h.tr.T(lang, "chat.file.kind_pdf")
	}
	return h.tr.Tf(lang, "chat.file.kind_image", map[string]any{"Format": strings.ToUpper(strings.TrimPrefix(contentType, "image/"))})
}

// fileSize writes a size in kB or MB with one decimal, with the decimal
// comma in Swedish.
func (h *chatHandlers) fileSize(lang string, n int) string {
	key, v := "chat.file.size_kb", float64(n)/1000
	if n >= 1000*1000 {
		key, v = "chat.file.size_mb", float64(n)/(1000*1000)
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return h.tr.Tf(lang, key, map[string]any{"Size": s})
}
