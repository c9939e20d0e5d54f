package notify

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// KindStaffInvite is the e-mail that carries a staff invitation's
// one-time link to an address. It is a service message the invitee
// expects, not a notice to a youth: it goes to an address, not an account,
// and needs no consent. It is not in Kinds (it is never an SMS).
const KindStaffInvite Kind = "staff_invite"

// StaffMail is a staff e-mail to queue: the notice and the address.
type StaffMail struct {
	To     string
	Notice Notice
}

// NewStaffInvite returns the invitation e-mail to address to: the kommun
// that invites, the role offered, the link's token and when it expires,
// written in lang ("en", or Swedish for anything else).
func NewStaffInvite(to, lang, kommun, role, token string, expires time.Time) StaffMail {
	if lang != "en" {
		lang = "sv"
	}
	return StaffMail{To: to, Notice: Notice{ID: uuid.New(), Kind: KindStaffInvite, Channel: Email,
		Payload: Payload{At: expires, Token: token, Kommun: kommun, Role: role, Lang: lang}}}
}

// StaffRecipient is what the worker knows about a staff e-mail's address
// at send time: it exists and needs no consent or verification.
func StaffRecipient(address string, p Payload) Recipient {
	return Recipient{Exists: true, Language: p.Lang, Address: address, Verified: true, Consent: true}
}

// decideStaffMail drops an invitation e-mail whose link has expired or
// that lost its token.
func decideStaffMail(n Notice, now time.Time) string {
	if n.Payload.Token == "" || !now.Before(n.Payload.At) {
		return ReasonExpired
	}
	return ""
}

// StaffInviteLink is the one-time link of an invitation token.
func StaffInviteLink(baseURL, token string) string {
	return strings.TrimRight(baseURL, "/") + "/personal/inbjudan/" + token
}

var staffRoles = map[string]map[string]string{
	"sv": {"counsellor": "kurator", "reception_admin": "mottagningsadministratör", "platform_admin": "plattformsadministratör"},
	"en": {"counsellor": "counsellor", "reception_admin": "reception administrator", "platform_admin": "platform administrator"},
}

// staffInviteTexts: %[1]s the kommun, %[2]s the role, %[3]s the link,
// %[4]s the expiry.
var staffInviteTexts = map[string][2]string{
	"sv": {"Inbjudan från Ungdomsmottagningen i %[1]s",
		"Hej!\n\n" +
			"Ungdomsmottagningen i %[1]s bjuder in dig att arbeta i Mottagning, Stockholms läns digitala ungdomsmottagning, som %[2]s.\n\n" +
			"Öppna länken för att tacka ja:\n%[3]s\n\n" +
			"Länken fungerar en gång och gäller till %[4]s.\n\n" +
			"Väntade du dig inte den här inbjudan kan du bortse från mejlet. Inget händer om du inte öppnar länken.\n\n" +
			"Ungdomsmottagningen i %[1]s\n"},
	"en": {"Invitation from Ungdomsmottagningen in %[1]s",
		"Hello,\n\n" +
			"Ungdomsmottagningen in %[1]s invites you to work in Mottagning, the digital youth clinic of Stockholm County, as %[2]s.\n\n" +
			"Open the link to accept:\n%[3]s\n\n" +
			"The link works once and is valid until %[4]s.\n\n" +
			"If you did not expect this invitation, you can ignore this e-mail. Nothing happens unless you open the link.\n\n" +
			"Ungdomsmottagningen in %[1]s\n"},
}

func renderStaffInvite(n Notice, baseURL string) Message {
	p := n.Payload
	lang := p.Lang
	if lang != "en" {
		lang = "sv"
	}
	role := staffRoles[lang][p.Role]
	if role == "" {
		role = staffRoles[lang]["counsellor"]
	}
	kommun := p.Kommun
	if kommun == "" {
		kommun = "Stockholms län"
	}
	t := staffInviteTexts[lang]
	when := formatTime(p.At, lang)
	if lang == "en" {
		when = p.At.In(stockholm).Format("2 January 2006, 15:04")
	}
	link := StaffInviteLink(baseURL, p.Token)
	return Message{Subject: fmt.Sprintf(t[0], kommun), Body: fmt.Sprintf(t[1], kommun, role, link, when)}
}
