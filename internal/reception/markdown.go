package reception

import (
	"bytes"
	"html/template"
	"regexp"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
)

// markdown renders CommonMark without raw HTML (goldmark's default drops it).
var markdown = goldmark.New()

// sanitizer lets through text formatting, lists, headings and links;
// links get rel="nofollow noreferrer noopener"; images only from this
// site (a path starting with one slash); no script, style, event-handler
// attributes or remote resources.
var sanitizer = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "h2", "h3", "h4",
		"blockquote", "code", "pre", "hr")
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("https", "http", "mailto", "tel")
	p.AllowRelativeURLs(true)
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(false)
	p.AllowAttrs("alt").OnElements("img")
	p.AllowAttrs("src").Matching(sameOriginPath).OnElements("img")
	return p
}()

// sameOriginPath matches "/static/x.png" but not "//evil.example/x.png".
var sameOriginPath = regexp.MustCompile(`^/[A-Za-z0-9_\-.][A-Za-z0-9_\-./]*$`)

// headingShift makes "# Rubrik" an h2: the page has its own h1.
var headingShift = regexp.MustCompile(`(?m)^#(\s)`)

// RenderMarkdown returns the introduction as safe HTML. Images that are
// not from this site are removed altogether.
func RenderMarkdown(src string) template.HTML {
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(headingShift.ReplaceAllString(src, "##$1")), &buf); err != nil {
		return template.HTML(template.HTMLEscapeString(src))
	}
	out := sanitizer.SanitizeBytes(buf.Bytes())
	out = imgWithoutSrc.ReplaceAll(out, nil)
	out = bytes.ReplaceAll(out, []byte(`rel="nofollow noreferrer"`), []byte(`rel="nofollow noreferrer noopener"`))
	return template.HTML(out) //nolint:gosec // sanitised above
}

// imgWithoutSrc finds images whose source the sanitizer removed.
var imgWithoutSrc = regexp.MustCompile(`<img(?:\s+alt="[^"]*")?\s*/?>`)
