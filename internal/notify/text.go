package notify

import (
	"regexp"

	"github.com/yingshang/yingshang/internal/pii"
)

// Identity numbers (18 characters, GB 11643) and mainland mobile numbers
// standing alone in a text. Longer digit runs, such as 19-digit hotline
// order numbers, are not matched.
var (
	idNumber     = regexp.MustCompile(`\b\d{17}[\dXx]\b`)
	mobileNumber = regexp.MustCompile(`\b1[3-9]\d{9}\b`)
)

// scrub masks identity and mobile numbers in s. Message texts are built
// from the events' payloads and from what staff wrote (a revocation reason,
// an extension decision); none of it should carry a personal number, and
// a text message must never do so.
func scrub(s string) string {
	s = idNumber.ReplaceAllStringFunc(s, pii.MaskID)
	return mobileNumber.ReplaceAllStringFunc(s, pii.MaskPhone)
}

// maxSMS bounds a text message, in characters; a gateway splits longer
// ones into several billed parts.
const maxSMS = 300

// SMSText returns the text a text message carries: its Chinese body,
// scrubbed of personal numbers and cut to maxSMS characters.
func SMSText(m Message) string {
	r := []rune(scrub(m.Body))
	if len(r) > maxSMS {
		r = append(r[:maxSMS-1], '…')
	}
	return string(r)
}
