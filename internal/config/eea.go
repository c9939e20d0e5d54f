package config

import "strings"

// eea lists the ISO 3166-1 alpha-2 codes of the EU and EEA member states,
// the only places promise P21 lets personal data be stored.
var eea = map[string]bool{
	"AT": true, "BE": true, "BG": true, "HR": true, "CY": true, "CZ": true, "DK": true,
	"EE": true, "FI": true, "FR": true, "DE": true, "GR": true, "HU": true, "IE": true,
	"IT": true, "LV": true, "LT": true, "LU": true, "MT": true, "NL": true, "PL": true,
	"PT": true, "RO": true, "SK": true, "SI": true, "ES": true, "SE": true,
	"IS": true, "LI": true, "NO": true,
}

// IsEEA reports whether code names an EU or EEA member state.
func IsEEA(code string) bool { return eea[strings.ToUpper(strings.TrimSpace(code))] }
