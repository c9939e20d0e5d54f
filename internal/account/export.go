package account

import (
	"bytes"
	"encoding/json"
	"time"
)

// PlatformController is the controller (personuppgiftsansvarig) of
// everything the platform holds about an account (P7).
const PlatformController = "Storsthlm"

// ExportFormat names the version of the download's layout.
const ExportFormat = "mottagning-export/1"

// ExportData is everything the platform holds about one account, read in
// one transaction: the raw material of the download (P23).
type ExportData struct {
	Account          Account
	Contact          ContactRecord
	RestrictedAt     *time.Time
	DeletionWarnedAt *time.Time
	Consents         []ConsentRecord
	Sessions         []SessionRecord
	Requests         []RequestRecord
	PolicyAcks       []PolicyAckRecord
	AccessLog        []AccessRecord
	Notices          []NoticeRecord
	Verifications    []VerificationRecord
}

// NoticeRecord is one SMS or e-mail notice queued for the account: what
// kind, by which channel, and what became of it. Never its text.
type NoticeRecord struct {
	Kind      string     `json:"kind"`
	Channel   string     `json:"channel"`
	Status    string     `json:"status"`
	Reason    string     `json:"reason,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	DueAt     time.Time  `json:"due_at"`
	SentAt    *time.Time `json:"sent_at"`
}

// VerificationRecord is a code sent to confirm a contact detail and not
// yet used (only a hash of the code is kept).
type VerificationRecord struct {
	Channel   string    `json:"channel"`
	Address   string    `json:"address"`
	SentAt    time.Time `json:"sent_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// ContactRecord is the contact details with their verification and
// delivery state.
type ContactRecord struct {
	Phone                string     `json:"phone"`
	PhoneVerifiedAt      *time.Time `json:"phone_verified_at"`
	PhoneUndeliverableAt *time.Time `json:"phone_undeliverable_at"`
	Email                string     `json:"email"`
	EmailVerifiedAt      *time.Time `json:"email_verified_at"`
	EmailUndeliverableAt *time.Time `json:"email_undeliverable_at"`
	NoticeLanguage       string     `json:"notice_language"`
}

// ConsentRecord is one consent to notices, open or withdrawn.
type ConsentRecord struct {
	Channel       Channel    `json:"channel"`
	PolicyVersion string     `json:"policy_version"`
	GivenAt       time.Time  `json:"given_at"`
	WithdrawnAt   *time.Time `json:"withdrawn_at"`
}

// SessionRecord is one signed-in browser, with nothing about the device.
type SessionRecord struct {
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// RequestRecord is one restriction or objection request (P22, P27).
type RequestRecord struct {
	Kind      string    `json:"kind"`
	KindText  string    `json:"kind_text"`
	Reason    string    `json:"reason"`
	Status    string    `json:"status"`
	StatusTxt string    `json:"status_text"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Answer    string    `json:"answer"`
}

// PolicyAckRecord is one acknowledged privacy-policy version (P29).
type PolicyAckRecord struct {
	Version        string    `json:"version"`
	AcknowledgedAt time.Time `json:"acknowledged_at"`
}

// AccessRecord is one access-log entry about the account's username (P14):
// in which kommun, in what role and what was done, when. Who the staff
// member was is not part of it.
type AccessRecord struct {
	At          time.Time `json:"at"`
	Kommun      string    `json:"kommun"`
	Role        string    `json:"role"`
	RoleText    string    `json:"role_text"`
	Action      string    `json:"action"`
	Description string    `json:"description"`
}

// Export is the download of P23: a top-level note and the parts, each with
// its controller, a plain-Swedish explanation and purpose, and the data.
type Export struct {
	Format      string      `json:"format"`
	GeneratedAt time.Time   `json:"generated_at"`
	Note        string      `json:"note"`
	Parts       ExportParts `json:"parts"`
}

// ExportParts is written as one JSON object keyed by part id, in order, so
// a reader can look a part up by name: {"account": {...}, "sessions": {...}}.
type ExportParts []ExportPart

// MarshalJSON writes the parts as an object keyed by Part, in order.
func (ps ExportParts) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(p.Part)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(p)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Part returns the part with id part, and whether there is one.
func (ps ExportParts) Part(part string) (ExportPart, bool) {
	for _, p := range ps {
		if p.Part == part {
			return p, true
		}
	}
	return ExportPart{}, false
}

// ExportPart is one part of the download. Controller is "Storsthlm" for
// platform data and the kommun's name for data a kommun holds (bookings,
// conversations: added by those features through BuildExport's extra).
// Part is its unique id, the key in the download's "parts" object; a
// kommun's part should carry the kommun in it ("bookings:nacka").
type ExportPart struct {
	Part        string `json:"-"`
	Title       string `json:"title"`
	Controller  string `json:"controller"`
	Explanation string `json:"explanation"`
	Purpose     string `json:"purpose"`
	Data        any    `json:"data"`
}

// KommunPart returns a part of the download held by a kommun (P7): the
// kommun's name is its controller.
func KommunPart(kommun, part, title, explanation, purpose string, data any) ExportPart {
	return ExportPart{Part: part, Title: title, Controller: kommun, Explanation: explanation, Purpose: purpose, Data: data}
}

const exportNote = "Här är allt som finns sparat om ditt konto i Ungdomsmottagningar Sthlms län när filen skapades. " +
	"Varje del berättar vem som ansvarar för uppgifterna (”controller”, på svenska personuppgiftsansvarig), " +
	"vad uppgifterna är (”explanation”) och varför de finns (”purpose”). Storsthlm ansvarar för ditt konto, " +
	"inloggningen och notiserna. Uppgifter som en kommuns mottagning ansvarar för, till exempel bokningar och samtal, " +
	"står med kommunens namn. Ditt lösenord finns inte med: vi sparar aldrig själva lösenordet, bara en kod som inte " +
	"går att räkna tillbaka. Vill du ändra något kan du göra det på Min profil. Har du frågor kan du kontakta " +
	"Storsthlm, se sidan Integritet i tjänsten."

// BuildExport turns d into the download, generated at now. extra parts
// (from later features, such as a kommun's bookings) follow the platform's.
// Times are in UTC; empty lists are empty, never missing.
func BuildExport(d ExportData, now time.Time, extra ...ExportPart) Export {
	a := d.Account
	platform := func(part, title, explanation, purpose string, data any) ExportPart {
		return ExportPart{Part: part, Title: title, Controller: PlatformController,
			Explanation: explanation, Purpose: purpose, Data: data}
	}
	parts := []ExportPart{
		platform("account", "Ditt konto",
			"Ditt användarnamn, vilket språk du vill ha notiser på, när kontot skapades och när du senast loggade in. "+
				"Om behandlingen av ditt konto är begränsad står det när det började. Om vi har varnat dig för att "+
				"kontot snart tas bort för att du inte har loggat in på länge står det också.",
			"Så att du kan logga in och använda tjänsten. Kontot tas bort automatiskt om du inte har loggat in på 365 dagar "+
				"och inte har något pågående ärende.",
			struct {
				Username         string     `json:"username"`
				Language         string     `json:"language"`
				CreatedAt        time.Time  `json:"created_at"`
				LastLoginAt      time.Time  `json:"last_login_at"`
				RestrictedAt     *time.Time `json:"restricted_at"`
				DeletionWarnedAt *time.Time `json:"deletion_warning_sent_at"`
			}{a.Username, a.Language, a.CreatedAt.UTC(), a.LastLoginAt.UTC(), utcPtr(d.RestrictedAt), utcPtr(d.DeletionWarnedAt)}),
		platform("contact_details", "Dina kontaktuppgifter",
			"Mobilnumret och e-postadressen du har skrivit in på Min profil, om du har gjort det. Det står också om "+
				"uppgiften är bekräftad och om ett meddelande inte har gått fram.",
			"Bara för att skicka notiser som du själv har slagit på, till exempel en påminnelse om en bokning. "+
				"Du kan ändra eller ta bort uppgifterna när du vill.",
			contactUTC(d.Contact)),
		platform("notice_consents", "Dina val om notiser",
			"Varje gång du har slagit på notiser med sms eller e-post, vilken version av integritetspolicyn som gällde då, "+
				"och när du slog av dem igen.",
			"För att visa att du själv har valt att få notiser, och att vi slutar skicka dem så fort du slår av dem.",
			consentsUTC(d.Consents)),
		platform("sessions", "Dina inloggningar",
			"Dina inloggningar som finns sparade just nu: när de började, när de senast användes och när de slutar gälla. "+
				"Vi sparar inget om din telefon, dator eller webbläsare.",
			"Så att du förblir inloggad medan du använder tjänsten, och så att inloggningen tar slut av sig själv.",
			sessionsUTC(d.Sessions)),
		platform("privacy_requests", "Dina begäranden",
			"De begäranden om begränsning eller invändning som du har skickat till Storsthlm, med ditt skäl, hur långt "+
				"de har kommit och svaret.",
			"För att kunna ta hand om det du har begärt och visa vad som har hänt med det.",
			requestsText(d.Requests)),
		platform("policy_acknowledgements", "Integritetspolicyer du har sett",
			"Vilka versioner av integritetspolicyn du har bekräftat att du har sett, och när.",
			"För att visa att du har fått veta om ändringar i hur vi behandlar dina uppgifter.",
			acksUTC(d.PolicyAcks)),
		platform("access_log", "Vem som har tittat på dina uppgifter",
			"Varje gång någon i personalen har läst eller ändrat uppgifter om dig: i vilken kommun, i vilken roll, "+
				"vad som gjordes och när. Loggen innehåller bara ditt användarnamn, inget annat om dig.",
			"För att kunna kontrollera att ingen har tittat på dina uppgifter utan att behöva det. Loggen sparas i "+
				"upp till 5 år och finns kvar även om du tar bort ditt konto.",
			accessText(d.AccessLog)),
		platform("notices", "Dina notiser",
			"Sms och e-post som tjänsten har lagt i kö för dig eller skickat: vilken sorts notis, hur, när och vad som "+
				"hände med den. Texten sparas bara tills notisen är skickad, och notiserna tas bort efter 30 dagar.",
			"För att skicka de notiser du har slagit på, en gång var, och bara om du fortfarande vill ha dem när de skickas.",
			noticesUTC(d.Notices)),
		platform("verification_codes", "Koder för att bekräfta kontaktuppgifter",
			"Om du nyss har lagt till ett mobilnummer eller en e-postadress: vart koden skickades och när den slutar gälla. "+
				"Själva koden sparas inte, bara ett kontrollvärde.",
			"För att vara säkra på att numret eller adressen är din innan vi skickar notiser dit.",
			verificationsUTC(d.Verifications)),
	}
	return Export{Format: ExportFormat, GeneratedAt: now.UTC(), Note: exportNote, Parts: append(parts, extra...)}
}

var (
	kindText   = map[string]string{"restriction": "begränsning", "objection": "invändning"}
	statusText = map[string]string{"received": "mottagen", "in_progress": "behandlas", "granted": "beviljad",
		"rejected": "avslagen", "closed": "avslutad"}
	roleText = map[string]string{"counsellor": "kurator", "reception_admin": "administratör på mottagningen",
		"platform_admin": "administratör hos Storsthlm", "system": "automatisk funktion i tjänsten"}
	actionText = map[string]string{
		"booking.read": "tittade på en bokning", "booking.change": "ändrade en bokning",
		"booking.cancel": "avbokade en bokning", "conversation.read": "läste ett samtal",
		"conversation.end": "avslutade ett samtal", "account.find": "sökte fram ditt konto",
		"account.delete": "tog bort ditt konto", "account.restrict": "begränsade behandlingen av ditt konto",
		"account.lift": "tog bort begränsningen av ditt konto",
	}
)

func requestsText(rs []RequestRecord) []RequestRecord {
	out := make([]RequestRecord, 0, len(rs))
	for _, r := range rs {
		r.KindText, r.StatusTxt = kindText[r.Kind], statusText[r.Status]
		r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
		out = append(out, r)
	}
	return out
}

func accessText(es []AccessRecord) []AccessRecord {
	out := make([]AccessRecord, 0, len(es))
	for _, e := range es {
		e.At, e.RoleText, e.Description = e.At.UTC(), roleText[e.Role], actionText[e.Action]
		if e.Kommun == "" { // platform staff act for no kommun
			e.Kommun = PlatformController
		}
		if e.Description == "" {
			e.Description = e.Action
		}
		out = append(out, e)
	}
	return out
}

func contactUTC(c ContactRecord) ContactRecord {
	c.PhoneVerifiedAt, c.PhoneUndeliverableAt = utcPtr(c.PhoneVerifiedAt), utcPtr(c.PhoneUndeliverableAt)
	c.EmailVerifiedAt, c.EmailUndeliverableAt = utcPtr(c.EmailVerifiedAt), utcPtr(c.EmailUndeliverableAt)
	return c
}

func consentsUTC(cs []ConsentRecord) []ConsentRecord {
	out := make([]ConsentRecord, 0, len(cs))
	for _, c := range cs {
		c.GivenAt, c.WithdrawnAt = c.GivenAt.UTC(), utcPtr(c.WithdrawnAt)
		out = append(out, c)
	}
	return out
}

func sessionsUTC(ss []SessionRecord) []SessionRecord {
	out := make([]SessionRecord, 0, len(ss))
	for _, s := range ss {
		out = append(out, SessionRecord{CreatedAt: s.CreatedAt.UTC(), LastSeenAt: s.LastSeenAt.UTC(), ExpiresAt: s.ExpiresAt.UTC()})
	}
	return out
}

func acksUTC(as []PolicyAckRecord) []PolicyAckRecord {
	out := make([]PolicyAckRecord, 0, len(as))
	for _, a := range as {
		out = append(out, PolicyAckRecord{Version: a.Version, AcknowledgedAt: a.AcknowledgedAt.UTC()})
	}
	return out
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func noticesUTC(ns []NoticeRecord) []NoticeRecord {
	out := make([]NoticeRecord, len(ns))
	for i, n := range ns {
		n.CreatedAt, n.DueAt, n.SentAt = n.CreatedAt.UTC(), n.DueAt.UTC(), utcPtr(n.SentAt)
		out[i] = n
	}
	return out
}

func verificationsUTC(vs []VerificationRecord) []VerificationRecord {
	out := make([]VerificationRecord, len(vs))
	for i, v := range vs {
		v.SentAt, v.ExpiresAt = v.SentAt.UTC(), v.ExpiresAt.UTC()
		out[i] = v
	}
	return out
}
