package outbox_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/notify"
	"github.com/storsthlm/mottagning/internal/postgres"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// TestStaffMail_InvitationDeliveredOnceAndTokenForgotten: a staff e-mail
// queued in a rolled-back transaction never exists; a committed one is
// delivered by the relay and worker to a real SMTP server with the link,
// its deterministic Message-ID, exactly once, and afterwards the outbox
// row keeps neither the token nor the address. An expired one is dropped.
func TestStaffMail_InvitationDeliveredOnceAndTokenForgotten(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	staff := tenant.WithActing(context.Background(), tenant.Acting{Actor: tenant.ActorStaff, KommunID: uuid.New(), AccountID: uuid.New()})
	token := "tok_" + strings.ReplaceAll(uuid.NewString(), "-", "")
	m := notify.NewStaffInvite("ny.kurator@nacka.example", "sv", "Nacka kommun", "counsellor", token, time.Now().Add(7*24*time.Hour))
	boom := errors.New("the invitation failed")
	if err := h.db.InTx(staff, func(ctx context.Context, _ postgres.Querier) error {
		if err := h.db.QueueStaffMail(ctx, m); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("InTx: %v", err)
	}
	var n int
	_ = h.admin.QueryRow(context.Background(), `SELECT count(*) FROM app.notice_outbox`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d rows left by a rolled-back invitation", n)
	}
	if err := h.db.InTx(staff, func(ctx context.Context, _ postgres.Querier) error { return h.db.QueueStaffMail(ctx, m) }); err != nil {
		t.Fatal(err)
	}
	expired := notify.NewStaffInvite("gammal@nacka.example", "en", "Nacka kommun", "counsellor", "tok_old", time.Now().Add(-time.Minute))
	if err := h.db.QueueStaffMail(staff, expired); err != nil {
		t.Fatal(err)
	}
	// A youth cannot queue staff mail.
	youth := tenant.WithActing(context.Background(), tenant.Acting{Actor: tenant.ActorYouth, AccountID: uuid.New()})
	if err := h.db.QueueStaffMail(youth, notify.NewStaffInvite("x@example.se", "sv", "K", "counsellor", "t", time.Now().Add(time.Hour))); err == nil {
		t.Fatal("a youth queued staff mail")
	}
	h.run(t)
	h.settled(t, 15*time.Second)
	msgs := h.smtp.messages()
	if len(msgs) != 1 {
		t.Fatalf("%d e-mails sent; want 1", len(msgs))
	}
	got := msgs[0]
	body := strings.ReplaceAll(got.Data, "=\r\n", "")
	link := baseURL + "/personal/inbjudan/" + token
	if got.To != "ny.kurator@nacka.example" || !strings.Contains(body, link) || !strings.Contains(body, "Nacka kommun") ||
		!strings.Contains(got.Data, "<"+m.Notice.ID.String()+"@") {
		t.Fatalf("e-mail to %s:\n%s", got.To, got.Data)
	}
	var status, payload, to string
	if err := h.admin.QueryRow(context.Background(), `SELECT status, payload::text, coalesce(to_email, '') FROM app.notice_outbox WHERE id = $1`,
		m.Notice.ID).Scan(&status, &payload, &to); err != nil {
		t.Fatal(err)
	}
	if status != "sent" || payload != "{}" || to != "" {
		t.Fatalf("sent row keeps %s %q %q", status, payload, to)
	}
	if r := h.row(t, expired.Notice.ID); r.Status != "dropped" || r.Reason != notify.ReasonExpired {
		t.Fatalf("expired invitation: %+v", r)
	}
	_ = h.admin.QueryRow(context.Background(), `SELECT count(*) FROM app.notice_outbox WHERE payload::text LIKE '%tok_%' OR to_email IS NOT NULL`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d finished rows still hold a token or an address", n)
	}
}

func TestStaffMail_TextsNeutralInBothLanguages(t *testing.T) {
	t.Parallel()
	exp := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	for lang, want := range map[string][]string{
		"sv": {"Ungdomsmottagningen i Nacka kommun", "bortse från mejlet", "3 dec kl. 15:00", "kurator"},
		"en": {"Ungdomsmottagningen in Nacka kommun", "ignore this e-mail", "3 December 2026, 15:00", "counsellor"},
	} {
		m := notify.NewStaffInvite("a@b.se", lang, "Nacka kommun", "counsellor", "TOKEN", exp)
		msg, err := notify.Render(m.Notice, lang, baseURL+"/")
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range append(want, baseURL+"/personal/inbjudan/TOKEN") {
			if !strings.Contains(msg.Body, w) && !strings.Contains(msg.Subject, w) {
				t.Errorf("%s: %q missing from\n%s\n%s", lang, w, msg.Subject, msg.Body)
			}
		}
	}
}
