package httpapi

import "github.com/gofiber/fiber/v2"

// kommunField is one field of the onboarding form as the template shows
// it, with its label, hint and error already translated.
type kommunField struct {
	Name, ID, Type, Autocomplete string
	Label, Hint, Value, Error    string
	Required                     bool
	Max                          int
}

type onboardPageData struct {
	form
	Fields []kommunField
}

// kommunFieldSpecs are the onboarding form's fields in order: form name,
// element id, input type, autocomplete, required, maximum length.
var kommunFieldSpecs = []struct {
	name, id, typ, auto string
	required            bool
	max                 int
}{
	{"name", "name", "text", "organization", true, 100},
	{"slug", "slug", "text", "off", true, 40},
	{"code", "code", "text", "off", true, 4},
	{"contact.phone", "contact-phone", "tel", "tel", true, 40},
	{"contact.email", "contact-email", "email", "email", true, 254},
	{"contact.address", "contact-address", "text", "street-address", true, 200},
	{"contact.website", "contact-website", "url", "url", false, 500},
	{"privacy_policy_url", "privacy-policy-url", "url", "url", true, 500},
	{"admin_email", "admin-email", "email", "off", true, 254},
}

// onboardPage data: the form's values and errors laid out field by field.
func (h *platformKommun) onboardData(c *fiber.Ctx, f form) onboardPageData {
	lang := langOf(c)
	d := onboardPageData{form: f}
	for _, sp := range kommunFieldSpecs {
		d.Fields = append(d.Fields, kommunField{Name: sp.name, ID: sp.id, Type: sp.typ, Autocomplete: sp.auto,
			Label: h.tr.T(lang, "platform_kommun.field."+sp.name), Hint: h.tr.T(lang, "platform_kommun.hint."+sp.name),
			Value: f.Values[sp.name], Error: f.Errors[sp.name], Required: sp.required, Max: sp.max})
	}
	return d
}
