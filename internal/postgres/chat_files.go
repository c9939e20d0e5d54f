package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/chat"
	"github.com/storsthlm/mottagning/internal/onboarding"
)

func init() {
	// P7, P18: files are kommun data of open conversations, like messages.
	registerKommunData(KommunData{Kind: "chat_files", Tables: []string{"chat_file"}, Export: exportChatFiles})
}

// exportChatFiles hands a leaving kommun what is known of the files of its
// open conversations: name, type and size. The bytes are not exported:
// they are a participant's picture or document shared for the
// conversation only.
func exportChatFiles(ctx context.Context, q Querier, kommunID uuid.UUID) ([]onboarding.File, error) {
	files, err := jsonRows(ctx, q, `SELECT conversation_id, id, name, content_type, size, at
		FROM app.chat_file WHERE kommun_id = $1 ORDER BY at, id`, kommunID)
	if err != nil {
		return nil, err
	}
	return []onboarding.File{{Name: "chat_files/files.json", Data: files}}, nil
}

// ChatFiles returns the chat store as chat.FileStore, for the HTTP layer.
func (db *DB) ChatFiles() chat.FileStore { return db.ChatStore() }

// AddFile stores a file of an open conversation and the message that
// refers to it, in one transaction (chat.FileStore).
func (s ChatStore) AddFile(ctx context.Context, id uuid.UUID, from chat.Sender, staffID uuid.UUID, f chat.File, now time.Time) (m chat.Message, err error) {
	defer apperr.Wrap(&err, "postgres.ChatAddFile")
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		kommunID, err := lockForWriting(ctx, q, id, from, staffID)
		if err != nil {
			return err
		}
		if _, err := q.Exec(ctx, `INSERT INTO app.chat_file (kommun_id, conversation_id, id, name, content_type, size, data, at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, kommunID, id, f.ID, f.Name, f.Type, f.Size, f.Data, now); err != nil {
			return err
		}
		info := f.FileInfo
		m = chat.Message{Sender: from, Body: f.Name, At: now, File: &info}
		m.ID, err = insertMessage(ctx, q, kommunID, id, from, staffID, f.Name, f.ID, now)
		return err
	})
	return m, err
}

// File returns a file of conversation id; for staff it logs the opening
// of the conversation as opening it does (P14) (chat.FileStore).
func (s ChatStore) File(ctx context.Context, id, fileID uuid.UUID, asStaff bool) (f chat.File, err error) {
	defer apperr.Wrap(&err, "postgres.ChatFile")
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		err := q.QueryRow(ctx, `SELECT id, name, content_type, size, data FROM app.chat_file WHERE conversation_id = $1 AND id = $2`, id, fileID).
			Scan(&f.ID, &f.Name, &f.Type, &f.Size, &f.Data)
		if err != nil {
			return notFoundAs(err, "chat.file.error.not_found")
		}
		if asStaff {
			_, err = s.openIn(ctx, q, id)
		}
		return err
	})
	return f, err
}

// purgeFiles deletes the files of a conversation; it runs after its
// messages (which refer to them) are deleted, in the same transaction.
func purgeFiles(ctx context.Context, q Querier, kommunID, id uuid.UUID) error {
	_, err := q.Exec(ctx, `DELETE FROM app.chat_file WHERE kommun_id = $1 AND conversation_id = $2`, kommunID, id)
	return err
}

// purgeEndedFilesSQL is the safety net's statement for files left of
// ended conversations ($1: the kommun, $2: how many at most); it runs after the one for
// messages.
const purgeEndedFilesSQL = `DELETE FROM app.chat_file WHERE kommun_id = $1 AND id = ANY (ARRAY(SELECT f.id FROM app.chat_file f
	WHERE f.kommun_id = $1 AND f.conversation_id NOT IN ` + openConversations + `
	AND NOT EXISTS (SELECT 1 FROM app.chat_message m WHERE m.kommun_id = f.kommun_id AND m.file_id = f.id) ORDER BY f.id LIMIT $2))`

// fileRef scans the file columns of a message, NULL when it has none.
type fileRef struct {
	ID         *uuid.UUID
	Name, Type *string
	Size       *int
}

func (f fileRef) info() *chat.FileInfo {
	if f.ID == nil || f.Name == nil || f.Type == nil || f.Size == nil {
		return nil
	}
	return &chat.FileInfo{ID: *f.ID, Name: *f.Name, Type: *f.Type, Size: *f.Size}
}
