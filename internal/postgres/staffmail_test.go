package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/notify"
	"github.com/storsthlm/mottagning/internal/tenant"
	"github.com/storsthlm/mottagning/internal/testenv"
)

// TestStaffMail_InvitationAndItsEmailCommitTogether: the invitation row
// and its e-mail in the outbox are one transaction: a failure after both
// are written leaves neither; success leaves exactly one of each.
func TestStaffMail_InvitationAndItsEmailCommitTogether(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	admin := testenv.Admin(t, w.dbinfo)
	ctx := tenant.WithActing(w.systemCtx, tenant.System().ForKommun(w.a.ID))
	invite := func(ctx context.Context) error {
		if _, err := w.db.CreateStaffInvitation(ctx, account.NewInvitation{TokenHash: bytes.Repeat([]byte{7}, 32),
			Email: "ny@nacka.example", KommunID: w.a.ID, Role: "counsellor", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			return err
		}
		return w.db.QueueStaffMail(ctx, notify.NewStaffInvite("ny@nacka.example", "sv", w.a.Name, "counsellor", "tok", time.Now().Add(time.Hour)))
	}
	count := func() (inv, mail int) {
		t.Helper()
		if err := admin.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM app.staff_invitation),
			(SELECT count(*) FROM app.notice_outbox WHERE kind = 'staff_invite' AND to_email = 'ny@nacka.example' AND account_id IS NULL)`).
			Scan(&inv, &mail); err != nil {
			t.Fatal(err)
		}
		return inv, mail
	}
	boom := errors.New("boom")
	if err := w.db.WithStaffMail(ctx, func(ctx context.Context) error {
		if err := invite(ctx); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("WithStaffMail: %v", err)
	}
	if inv, mail := count(); inv != 0 || mail != 0 {
		t.Fatalf("after a rollback: %d invitations, %d e-mails", inv, mail)
	}
	if err := w.db.WithStaffMail(ctx, invite); err != nil {
		t.Fatal(err)
	}
	if inv, mail := count(); inv != 1 || mail != 1 {
		t.Fatalf("after commit: %d invitations, %d e-mails; want 1 and 1", inv, mail)
	}
	// Only staff mail goes to an address, and only by e-mail.
	for _, bad := range []string{`'new_message', 'email'`, `'staff_invite', 'sms'`} {
		_, err := admin.Exec(context.Background(), `INSERT INTO app.notice_outbox (id, kind, channel, to_email)
			VALUES (gen_random_uuid(), `+bad+`, 'x@nacka.example')`)
		if err == nil || !strings.Contains(err.Error(), "notice_outbox_one_recipient") {
			t.Errorf("%s to an address: %v", bad, err)
		}
	}
}
