package chat

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/tenant"
)

func TestChatTokenIs256BitsAndHashed(t *testing.T) {
	t.Parallel()
	a, ha := NewToken()
	b, _ := NewToken()
	if a == b || len(a) != 43 || len(ha) != 32 {
		t.Fatalf("tokens %q %q, hash %d bytes", a, b, len(ha))
	}
	if string(HashToken(a)) != string(ha) || strings.Contains(string(ha), a) {
		t.Error("the hash is not the stored form of the token")
	}
}

func TestChatCleanBodyRefusesBadInput(t *testing.T) {
	t.Parallel()
	for name, in := range map[string]string{"empty": "", "blank": " \r\n\t ", "overlong": strings.Repeat("a", MaxMessage+1),
		"control": "a\x07b", "invalid utf-8": "a\xffb"} {
		if _, err := CleanBody(in); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("%s: %v; want Invalid", name, err)
		}
	}
	if got, err := CleanBody("  hej\r\ndå\t "); err != nil || got != "hej\ndå" {
		t.Errorf("CleanBody = %q, %v", got, err)
	}
	if _, err := CleanBody(strings.Repeat("å", MaxMessage)); err != nil {
		t.Errorf("a message of exactly the limit: %v", err)
	}
}

func TestChatAnswersAreOptionalButFromTheLists(t *testing.T) {
	t.Parallel()
	if err := ValidateAnswers(Answers{}); err != nil {
		t.Errorf("no answers: %v", err)
	}
	if err := ValidateAnswers(Answers{AgeRange: "16-19", Topic: "sex"}); err != nil {
		t.Errorf("listed answers: %v", err)
	}
	err := ValidateAnswers(Answers{AgeRange: "17", Topic: "Anna Svensson"})
	if e := apperr.As(err); e == nil || len(e.Fields) != 2 {
		t.Errorf("free text answers: %v; want two field errors", err)
	}
}

// refusingStore fails the test if anything reaches the database.
type refusingStore struct {
	Store
	t *testing.T
}

func (s refusingStore) ConversationByToken(context.Context, uuid.UUID, []byte) (uuid.UUID, error) {
	s.t.Error("a malformed token reached the store")
	return uuid.Nil, apperr.New(apperr.NotFound, "")
}

func TestChatJoinRefusedWhenClosedOrForStaff(t *testing.T) {
	t.Parallel()
	s := &Service{Store: refusingStore{t: t}}
	anon := tenant.WithActing(context.Background(), tenant.Acting{Actor: tenant.ActorAnonymous})
	if _, _, _, err := s.Join(anon, uuid.New(), false, Answers{}); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("closed: %v; want Conflict", err)
	}
	staff := tenant.WithActing(context.Background(), tenant.Acting{Actor: tenant.ActorStaff, AccountID: uuid.New()})
	if _, _, _, err := s.Join(staff, uuid.New(), true, Answers{}); !apperr.Is(err, apperr.Forbidden) {
		t.Errorf("staff joining: %v; want Forbidden", err)
	}
	if _, _, err := s.Resume(anon, uuid.New(), "kort"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("a short token: %v; want NotFound", err)
	}
}
