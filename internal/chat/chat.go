// Package chat is the drop-in chat (issue 7): an anonymous or signed-in
// youth joins a kommun's queue during its chat hours (P1), a counsellor of
// that kommun picks the conversation up, they write, and either side ends
// it; ending deletes every message and pre-chat answer in the same
// transaction that marks it ended (P18).
//
// An anonymous visitor holds only an unguessable 256-bit token; the server
// stores its SHA-256 hash and, once a presented token's hash matched, acts
// with that one conversation in the acting context (tenant.Acting
// ConversationID), which row-level security reads.
//
// # Real time
//
// A change (a message, a pick-up, an acknowledgement, the end) is committed
// to PostgreSQL first and only then announced on Redis pub/sub on the
// conversation's channel. An announcement carries no content: every server
// process holds one subscriber (internal/httpapi chatHub) that wakes its
// local sockets of that conversation, and each socket reads what is new
// from the database after the last message id its client has seen. A lost
// announcement (a Redis restart) costs only delay: after reconnecting, the
// hub wakes every local socket, and a periodic catch-up read runs anyway.
//
// The websocket protocol (GET .../conversation/ws for the youth and
// .../conversations/{id}/ws for counsellors, ?after=<last seen id>):
//
//   - the server sends frames {"status", "position", "messages": [...],
//     "typing", "delivered", "read"}: the state, messages after the
//     client's resume point, whether the other side typed within the last
//     TypingFor, and the highest ids of the client's own messages that the
//     other side's client has received (delivered) and shown (read);
//   - the client sends at most one small JSON object per frame:
//     {"typing": true} (throttled by the client; kept in Redis for TypingFor,
//     never in PostgreSQL), {"ack": id} (received up to message id) and
//     {"read": id} (shown up to message id). An acknowledgement counts only
//     for an existing message of the other side beyond what was recorded,
//     from the conversation's own counsellor on the staff side; anything
//     else is ignored without writing. Unknown fields are ignored; a frame
//     that is not JSON or longer than the read limit closes the socket.
//
// # Feedback
//
// After a conversation with a signed-in youth ends, the youth's view asks
// the Service's FeedbackAskers, in order, whether to offer a feedback step
// (FeedbackAsker). The later feedback feature implements one; with none
// registered, nothing is asked.
//
// # Booked chats
//
// A booking whose appointment type has mode chat gives the signed-in youth
// a conversation with the booked counsellor: it is created (active, assigned
// to that counsellor, linked to the booking) when either of them opens it
// within BookedWindowBefore the start and BookedWindowAfter the end, and is
// then an ordinary conversation: the same purge on end (P18) and idle end.
//
// The package is pure domain: the Store interface is implemented by
// internal/postgres.
package chat

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// Status is where a conversation stands.
type Status string

// The statuses.
const (
	Waiting Status = "waiting" // in the queue
	Active  Status = "active"  // picked up by a counsellor
	Ended   Status = "ended"   // over; its messages and answers are gone
)

// Sender says who wrote a message.
type Sender string

// The senders.
const (
	FromYouth Sender = "youth"
	FromStaff Sender = "staff"
)

// EndedBy says why a conversation ended.
type EndedBy string

// The reasons.
const (
	ByYouth          EndedBy = "youth"
	ByStaff          EndedBy = "staff"
	ByIdle           EndedBy = "idle"
	ByAccountDeleted EndedBy = "account_deleted"
)

// Limits.
const (
	MaxMessage    = 2000            // characters in one message
	IdleAnonymous = 2 * time.Hour   // an anonymous conversation idle this long ends
	IdleAccount   = 24 * time.Hour  // a signed-in youth's conversation idle this long ends
	MaxPoll       = 200             // messages one read returns at most
	TypingFor     = 5 * time.Second // "typing" lasts this long after the last keystroke signal
	// BookedWindowBefore and BookedWindowAfter bound when a booked chat can
	// be opened: from this long before the start to this long after the end.
	BookedWindowBefore = 15 * time.Minute
	BookedWindowAfter  = 30 * time.Minute
	tokenBytes         = 32 // 256 bits
)

// AgeRanges and Topics are the choices of the optional pre-chat form.
var (
	AgeRanges = []string{"12-15", "16-19", "20-25"}
	Topics    = []string{"body", "feelings", "relations", "sex", "drugs", "other"}
)

// Answers are the optional pre-chat answers; empty means not answered.
type Answers struct {
	AgeRange string `json:"age_range"`
	Topic    string `json:"topic"`
}

// Conversation is one chat as its participants see it.
type Conversation struct {
	ID           uuid.UUID `json:"id"`
	KommunID     uuid.UUID `json:"-"`
	AccountID    uuid.UUID `json:"-"`
	Anonymous    bool      `json:"anonymous"`
	Username     string    `json:"-"` // the youth's username when signed in (staff views only)
	Status       Status    `json:"status"`
	CounsellorID uuid.UUID `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
	PickedUpAt   time.Time `json:"picked_up_at,omitzero"`
	EndedAt      time.Time `json:"ended_at,omitzero"`
	EndedBy      EndedBy   `json:"ended_by,omitempty"`
	Answers      Answers   `json:"answers"`
	BookingID    uuid.UUID `json:"booking_id,omitzero"`
	// Seen is how far each side's client has received and shown the
	// other side's messages.
	Seen Seen `json:"-"`
}

// Seen holds the delivered and read marks of both sides: YouthRead is the
// highest staff message id the youth's client has shown, and so on.
type Seen struct {
	YouthDelivered, YouthRead, StaffDelivered, StaffRead int64
}

// Of returns what side has received and shown of the other side's messages.
func (s Seen) Of(side Sender) (delivered, read int64) {
	if side == FromYouth {
		return s.YouthDelivered, s.YouthRead
	}
	return s.StaffDelivered, s.StaffRead
}

// Other returns the other side.
func (s Sender) Other() Sender {
	if s == FromYouth {
		return FromStaff
	}
	return FromYouth
}

// Mark is one acknowledgement: side's client has received (Read false) or
// shown (Read true) the other side's messages up to ID.
type Mark struct {
	Side Sender
	ID   int64
	Read bool
}

// FeedbackPrompt is a feedback step offered after a conversation ended:
// an i18n key for the invitation and the link to follow.
type FeedbackPrompt struct {
	Key string
	URL string
}

// FeedbackAsker is the seam for the feedback feature: after a signed-in
// youth's conversation ended, it may offer a feedback step. It must not
// read anything of the conversation's content (there is none left).
type FeedbackAsker interface {
	AskAfter(ctx context.Context, c Conversation) (FeedbackPrompt, bool)
}

// Message is one message of a conversation; ids grow within a kommun.
type Message struct {
	ID     int64     `json:"id"`
	Sender Sender    `json:"sender"`
	Body   string    `json:"body"`
	At     time.Time `json:"at"`
	File   *FileInfo `json:"file,omitempty"` // a message that carries a file (its body is the file's name)
}

// Store is what the chat needs from the database. Every call acts with the
// acting context of ctx; a conversation the actor may not see is NotFound.
type Store interface {
	// CreateConversation stores a new waiting conversation with its answers;
	// Conflict (chat.error.already_open) if it is a signed-in youth's and
	// they already have an open one in the kommun.
	CreateConversation(ctx context.Context, c Conversation, tokenHash []byte) error
	// ConversationByToken returns the id of the open conversation of the
	// kommun whose token hashes to tokenHash; NotFound otherwise.
	ConversationByToken(ctx context.Context, kommunID uuid.UUID, tokenHash []byte) (uuid.UUID, error)
	Conversation(ctx context.Context, id uuid.UUID) (Conversation, error)
	// QueuePosition returns the 1-based place of a waiting conversation.
	QueuePosition(ctx context.Context, id uuid.UUID) (int, error)
	// Queue lists the waiting conversations of the kommun, oldest first.
	Queue(ctx context.Context) ([]Conversation, error)
	// Assigned lists the open conversations of the kommun assigned to staffID.
	Assigned(ctx context.Context, staffID uuid.UUID) ([]Conversation, error)
	// PickUp assigns the waiting conversation id (uuid.Nil: the oldest) to
	// staffID and writes the access-log entry of opening it (P14).
	PickUp(ctx context.Context, id, staffID uuid.UUID, now time.Time) (Conversation, error)
	// Open returns the conversation for a counsellor and writes the
	// access-log entry of opening it (P14).
	Open(ctx context.Context, id uuid.UUID) (Conversation, error)
	// Transfer assigns the active conversation to another staff member of
	// the kommun; NotFound if toStaff is not one.
	Transfer(ctx context.Context, id, toStaff uuid.UUID, now time.Time) error
	// AddMessage stores a message of an open conversation; Conflict
	// (chat.error.ended) if it has ended.
	AddMessage(ctx context.Context, id uuid.UUID, from Sender, staffID uuid.UUID, body string, now time.Time) (Message, error)
	// Messages returns up to limit messages after the id after.
	Messages(ctx context.Context, id uuid.UUID, after int64, limit int) ([]Message, error)
	// Since returns the conversation and up to limit of its messages
	// after the id after, read together (one transaction, one round trip:
	// what a websocket reads on each wake-up).
	Since(ctx context.Context, id uuid.UUID, after int64, limit int) (Conversation, []Message, error)
	// End marks the conversation ended and deletes its messages and
	// answers in the same transaction; Conflict (chat.error.ended) if it
	// already ended.
	End(ctx context.Context, id uuid.UUID, by EndedBy, now time.Time) error
	// Mark records an acknowledgement if m.ID is a message of the other
	// side in the open conversation id beyond the recorded mark; it
	// reports whether anything changed and writes nothing otherwise.
	Mark(ctx context.Context, id uuid.UUID, m Mark) (bool, error)
	// Booked returns the conversation of the chat booking bookingID,
	// creating it (active, assigned to the booked counsellor) if it does
	// not exist yet. NotFound if the actor may not see the booking or it
	// is not a booked chat appointment; Conflict (chat.error.booked_window)
	// outside the window around its time.
	// With tokenHash, the conversation's token becomes the one hashed
	// (the youth's browser reaches it as a drop-in one).
	Booked(ctx context.Context, bookingID uuid.UUID, now time.Time, tokenHash []byte) (Conversation, error)
	// BookedChats lists the staff member's booked chat appointments whose
	// window is open at now, with their conversation if it exists.
	BookedChats(ctx context.Context, staffID uuid.UUID, now time.Time) ([]BookedChat, error)
	// OpenOfAccount lists the acting signed-in youth's open (waiting or
	// active) conversations in every kommun, newest first; row-level
	// security shows a youth only their own, anyone else none.
	OpenOfAccount(ctx context.Context) ([]Conversation, error)
}

// InBookedWindow reports whether a booked chat appointment from start to
// end can be opened at now (BookedWindowBefore/After).
func InBookedWindow(start, end, now time.Time) bool {
	return !now.Before(start.Add(-BookedWindowBefore)) && !now.After(end.Add(BookedWindowAfter))
}

// BookedChat is a booked chat appointment as a counsellor's list shows it.
type BookedChat struct {
	BookingID    uuid.UUID
	Start, End   time.Time
	Conversation uuid.UUID // uuid.Nil until opened
}

// Service is the chat's use cases.
type Service struct {
	Store Store
	Now   func() time.Time
	// FeedbackAskers are asked, in order, after a signed-in youth's
	// conversation ended; none asks nothing.
	FeedbackAskers []FeedbackAsker
}

// Feedback returns the first feedback step an asker offers for the ended
// conversation c of a signed-in youth; none for anonymous ones.
func (s *Service) Feedback(ctx context.Context, c Conversation) (FeedbackPrompt, bool) {
	if c.Status != Ended || c.AccountID == uuid.Nil {
		return FeedbackPrompt{}, false
	}
	for _, a := range s.FeedbackAskers {
		if p, ok := a.AskAfter(ctx, c); ok {
			return p, true
		}
	}
	return FeedbackPrompt{}, false
}

// Acknowledge records that side's client received (read false) or showed
// (read true) the other side's messages up to id. Ids that are not
// positive are ignored; the store ignores the rest that do not count.
func (s *Service) Acknowledge(ctx context.Context, conv uuid.UUID, side Sender, id int64, read bool) (bool, error) {
	if id <= 0 || (side != FromYouth && side != FromStaff) {
		return false, nil
	}
	return s.Store.Mark(ctx, conv, Mark{Side: side, ID: id, Read: read})
}

// OpenBooked opens the conversation of a chat booking for its counsellor
// (token "") or its signed-in youth, whose browser then holds the returned
// token.
func (s *Service) OpenBooked(ctx context.Context, bookingID uuid.UUID, forYouth bool) (Conversation, string, error) {
	var token string
	var hash []byte
	if forYouth {
		token, hash = NewToken()
	}
	c, err := s.Store.Booked(ctx, bookingID, s.now(), hash)
	return c, token, err
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// NewToken returns a fresh conversation token and its hash.
func NewToken() (token string, hash []byte) {
	b := make([]byte, tokenBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken returns the stored form of a token.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// ValidateAnswers checks the optional answers against the lists.
func ValidateAnswers(a Answers) error {
	var fs []apperr.FieldError
	if a.AgeRange != "" && !contains(AgeRanges, a.AgeRange) {
		fs = append(fs, apperr.FieldError{Field: "age_range", Key: "chat.error.answer"})
	}
	if a.Topic != "" && !contains(Topics, a.Topic) {
		fs = append(fs, apperr.FieldError{Field: "topic", Key: "chat.error.answer"})
	}
	if len(fs) > 0 {
		return apperr.InvalidFields(fs...)
	}
	return nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Join puts a new conversation in the queue of kommunID, if its chat is
// open now. The acting context of ctx is an anonymous visitor (no account,
// no personal data: P1) or a signed-in youth. It returns the context to
// continue in, the conversation and the token the browser keeps.
func (s *Service) Join(ctx context.Context, kommunID uuid.UUID, open bool, a Answers) (context.Context, Conversation, string, error) {
	if !open {
		return ctx, Conversation{}, "", apperr.New(apperr.Conflict, "chat.error.closed")
	}
	if err := ValidateAnswers(a); err != nil {
		return ctx, Conversation{}, "", err
	}
	acting := tenant.ActingFrom(ctx)
	c := Conversation{ID: uuid.New(), KommunID: kommunID, Status: Waiting, CreatedAt: s.now(), Answers: a}
	// Every conversation has a token: a signed-in youth's browser reaches
	// it the same way, through exactly that one conversation.
	token, hash := NewToken()
	switch acting.Actor {
	case tenant.ActorAnonymous:
		c.Anonymous = true
		acting.ConversationID = c.ID
	case tenant.ActorYouth:
		c.AccountID = acting.AccountID
	default:
		return ctx, Conversation{}, "", apperr.New(apperr.Forbidden, "error.forbidden")
	}
	acting.KommunID = kommunID
	ctx = tenant.WithActing(ctx, acting)
	if err := s.Store.CreateConversation(ctx, c, hash); err != nil {
		return ctx, Conversation{}, "", err
	}
	return ctx, c, token, nil
}

// Resume returns a context acting for the conversation whose token is
// presented, after its hash matched an open conversation of the kommun.
// A forged, ended or foreign token is NotFound.
func (s *Service) Resume(ctx context.Context, kommunID uuid.UUID, token string) (context.Context, uuid.UUID, error) {
	if len(token) != base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return ctx, uuid.Nil, apperr.New(apperr.NotFound, "chat.error.no_conversation")
	}
	acting := tenant.Acting{Actor: tenant.ActorAnonymous, KommunID: kommunID}
	ctx = tenant.WithActing(ctx, acting)
	id, err := s.Store.ConversationByToken(ctx, kommunID, HashToken(token))
	if apperr.Is(err, apperr.NotFound) {
		return ctx, uuid.Nil, apperr.E(apperr.NotFound, "chat.error.no_conversation", err)
	}
	if err != nil {
		return ctx, uuid.Nil, err
	}
	acting.ConversationID = id
	return tenant.WithActing(ctx, acting), id, nil
}

// OpenOfYouth lists the signed-in youth's open conversations (newest
// first); nothing for anyone else.
func (s *Service) OpenOfYouth(ctx context.Context) ([]Conversation, error) {
	if tenant.ActingFrom(ctx).Actor != tenant.ActorYouth {
		return nil, nil
	}
	return s.Store.OpenOfAccount(ctx)
}

// ResumeOwn is Resume for a signed-in youth who presents no token (another
// device, a lost cookie): it finds the youth's open conversation of the
// kommun by the acting account (the newest, should a booked chat run
// beside a drop-in one) and returns the context Resume would give for it.
// Anonymous visitors and youth without one get NotFound.
func (s *Service) ResumeOwn(ctx context.Context, kommunID uuid.UUID) (context.Context, uuid.UUID, error) {
	convs, err := s.OpenOfYouth(ctx)
	if err != nil {
		return ctx, uuid.Nil, err
	}
	for _, c := range convs {
		if c.KommunID == kommunID {
			acting := tenant.Acting{Actor: tenant.ActorAnonymous, KommunID: kommunID, ConversationID: c.ID}
			return tenant.WithActing(ctx, acting), c.ID, nil
		}
	}
	return ctx, uuid.Nil, apperr.New(apperr.NotFound, "chat.error.no_conversation")
}

// CleanBody trims a message and checks it: not empty, not too long, no
// control characters but line breaks and tabs.
func CleanBody(body string) (string, error) {
	body = strings.TrimSpace(strings.ReplaceAll(body, "\r\n", "\n"))
	if body == "" {
		return "", apperr.InvalidFields(apperr.FieldError{Field: "body", Key: "chat.error.empty"})
	}
	if utf8.RuneCountInString(body) > MaxMessage || !utf8.ValidString(body) {
		return "", apperr.InvalidFields(apperr.FieldError{Field: "body", Key: "chat.error.too_long", Args: map[string]any{"Max": MaxMessage}})
	}
	for _, r := range body {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return "", apperr.InvalidFields(apperr.FieldError{Field: "body", Key: "chat.error.control"})
		}
	}
	return body, nil
}

// Send writes a message to conversation id as from. For staff, the staff
// member is the acting account of ctx.
func (s *Service) Send(ctx context.Context, id uuid.UUID, from Sender, body string) (Message, error) {
	body, err := CleanBody(body)
	if err != nil {
		return Message{}, err
	}
	var staffID uuid.UUID
	if from == FromStaff {
		staffID = tenant.ActingFrom(ctx).AccountID
	}
	return s.Store.AddMessage(ctx, id, from, staffID, body, s.now())
}

// Messages returns the messages after the id after (0: from the start).
func (s *Service) Messages(ctx context.Context, id uuid.UUID, after int64) ([]Message, error) {
	if after < 0 {
		after = 0
	}
	return s.Store.Messages(ctx, id, after, MaxPoll)
}

// Since returns the conversation id and its messages after the id after.
func (s *Service) Since(ctx context.Context, id uuid.UUID, after int64) (Conversation, []Message, error) {
	if after < 0 {
		after = 0
	}
	return s.Store.Since(ctx, id, after, MaxPoll)
}

// End ends the conversation id on behalf of by; its messages and answers
// are deleted in the same transaction (P18).
func (s *Service) End(ctx context.Context, id uuid.UUID, by EndedBy) error {
	return s.Store.End(ctx, id, by, s.now())
}

// PickUp takes conversation id (uuid.Nil: the one waiting longest) for the
// acting staff member.
func (s *Service) PickUp(ctx context.Context, id uuid.UUID) (Conversation, error) {
	return s.Store.PickUp(ctx, id, tenant.ActingFrom(ctx).AccountID, s.now())
}

// Transfer passes conversation id to a colleague of the same kommun.
func (s *Service) Transfer(ctx context.Context, id, to uuid.UUID) error {
	if to == uuid.Nil || to == tenant.ActingFrom(ctx).AccountID {
		return apperr.InvalidFields(apperr.FieldError{Field: "to", Key: "chat.error.transfer_to"})
	}
	return s.Store.Transfer(ctx, id, to, s.now())
}
