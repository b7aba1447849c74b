package main

// mutation is one named change of a rule: the exact text Old in File
// becomes New, and the tests named by Tests (a regular expression of test
// names) in Pkgs must then fail. Tests documents which test catches it;
// -full runs every test of the packages instead.
type mutation struct {
	Name  string
	Why   string // the rule the change breaks
	File  string
	Old   string
	New   string
	Pkgs  []string
	Tests string
}

const (
	hotline  = "./internal/hotline"
	casework = "./internal/casework"
	flowPkg  = "./internal/flow"
	idsPkg   = "./internal/ids"
	audit    = "./internal/audit"
	calendar = "./internal/calendar"
	pii      = "./internal/pii"
	credit   = "./internal/credit"
	catalog  = "./internal/catalog"
)

// mutations returns the named mutations. The first fifteen are those of
// issue 12 (each passed every test once); the others cover the rest of the
// rule packages. When the code a mutation names moves, the tool stops and
// says so: update the mutation with the code.
func mutations() []mutation {
	return []mutation{
		// Issue 12, "Tests that notice".
		{Name: "hotline-sendback-3h", Why: "退单 within 24 hours of dispatch",
			File: "internal/hotline/service.go", Old: "const sendBackWindow = 24 * time.Hour", New: "const sendBackWindow = 3 * time.Hour",
			Pkgs: []string{hotline}, Tests: "TestSendBackWindowIs24HoursOfDispatch|TestSendBackWhileHandlingWithin24Hours"},
		{Name: "hotline-sendback-not-handling", Why: "退单 also after sign-for, within the window",
			File: "internal/hotline/service.go", Old: "if err := wantStatus(StatusDispatched, StatusHandling)(o); err != nil {",
			New: "if err := wantStatus(StatusDispatched)(o); err != nil {", Pkgs: []string{hotline}, Tests: "TestSendBackWhileHandlingWithin24Hours"},
		{Name: "hotline-consult-5wd", Why: "consultations handled within 3 working days",
			File: "internal/hotline/workflow.go", Old: "TypeConsult: 3,", New: "TypeConsult: 5,",
			Pkgs: []string{hotline}, Tests: "TestConsultationLimitIs3WorkingDays"},
		{Name: "hotline-remind-share", Why: "提醒单 at 80% of the limit (hotline.json)",
			File: "internal/hotline/hotline.json", Old: `{"level": "remind", "share": 0.8, "on": "state"}`,
			New: `{"level": "remind", "share": 0.6, "on": "state"}`, Pkgs: []string{hotline}, Tests: "TestShippedEscalationLadder"},
		{Name: "hotline-timeboxed-days", Why: "限时督办单 1 working day overdue (hotline.json)",
			File: "internal/hotline/hotline.json", Old: `{"level": "timeboxed", "overdue_days": 1, "on": "state"}`,
			New: `{"level": "timeboxed", "overdue_days": 3, "on": "state"}`, Pkgs: []string{hotline}, Tests: "TestShippedEscalationLadder"},
		{Name: "hotline-handover-days", Why: "移交函 5 working days overdue (hotline.json)",
			File: "internal/hotline/hotline.json", Old: `{"level": "handover", "overdue_days": 5, "on": "state"}`,
			New: `{"level": "handover", "overdue_days": 10, "on": "state"}`, Pkgs: []string{hotline}, Tests: "TestShippedEscalationLadder"},
		{Name: "hotline-extension-cap", Why: "extensions of at most 15 working days (hotline.json)",
			File: "internal/hotline/hotline.json", Old: `"grant_roles": ["dispatcher"], "max_days": 15}`,
			New: `"grant_roles": ["dispatcher"], "max_days": 30}`, Pkgs: []string{hotline}, Tests: "TestShippedExtensionCapIs15WorkingDays"},
		{Name: "hotline-link-reasonable", Why: "the caller's link never judges a complaint reasonable",
			File: "internal/hotline/visit.go", Old: "\tin.Reasonable = false\n", New: "",
			Pkgs: []string{hotline}, Tests: "TestVisitLinkCannotJudgeReasonable"},
		{Name: "casework-shortfall-past-limit", Why: "容缺: the applicant's date no later than the item's published limit",
			File: "internal/casework/submit.go", Old: "m.supplyLimit(now, mt.SupplyDays()); due.After(limit)",
			New:  "m.supplyLimit(now, mt.SupplyDays()); due.After(limit.AddDate(0, 0, 60))",
			Pkgs: []string{casework}, Tests: "TestShortfallDueIsThePublishedLimit"},
		{Name: "casework-shortfall-window-date", Why: "容缺: the window's date no later than the item's published limit",
			File: "internal/casework/actions.go", Old: "m.supplyLimit(app.SubmittedAt, days); at.After(limit)",
			New:  "m.supplyLimit(app.SubmittedAt, days); at.After(limit.AddDate(0, 0, 60))",
			Pkgs: []string{casework}, Tests: "TestShortfallDueIsThePublishedLimit"},
		{Name: "casework-intake-limit", Why: "intake (受理) within 1 working day",
			File: "internal/casework/flows/application.json", Old: `"kind": "start", "limit": {"n": 1, "unit": "workdays"}`,
			New: `"kind": "start", "limit": {"n": 3, "unit": "workdays"}`, Pkgs: []string{casework}, Tests: "TestIntakeLimitIsOneWorkingDay"},
		{Name: "casework-correction-pause", Why: "补正 during review stops the clock",
			File: "internal/casework/flows/application.json", Old: `"name_en": "Awaiting correction", "clock": "pause"}`,
			New: `"name_en": "Awaiting correction"}`, Pkgs: []string{casework}, Tests: "TestReviewCorrectionPausesTheClock"},
		{Name: "casework-intake-correction-pause", Why: "补正 before intake stops the clock",
			File: "internal/casework/flows/application.json", Old: `"name_en": "Correction before intake", "clock": "pause"}`,
			New: `"name_en": "Correction before intake"}`, Pkgs: []string{casework}, Tests: "TestIntakeCorrectionPausesTheClock"},
		{Name: "casework-extension-cap", Why: "第四十二条: extensions up to the legal limit and 10 working days more",
			File: "internal/casework/definitions.go", Old: "return l.legal + ExtensionDays - l.promised", New: "return l.promised",
			Pkgs: []string{casework}, Tests: "TestExtensionFollowsArticle42"},
		{Name: "casework-extension-days", Why: "第四十二条: 10 working days more, not 15",
			File: "internal/casework/definitions.go", Old: "const ExtensionDays = 10", New: "const ExtensionDays = 15",
			Pkgs: []string{casework}, Tests: "TestExtensionFollowsArticle42"},
		{Name: "casework-extension-supervisor", Why: "第四十二条: the agency's head approves an extension, not a supervisor",
			File: "internal/casework/flows/application.json", Old: `"grant_roles": ["approver"]`, New: `"grant_roles": ["approver", "supervisor"]`,
			Pkgs: []string{casework}, Tests: "TestExtensionFollowsArticle42"},
		{Name: "casework-refusal-remedies", Why: "第三十八条: a refusal tells of 行政复议 within 60 days",
			File: "internal/notice/notice.go", Old: "return Remedies{ReviewDays: 60, LitigationMonths: 6}", New: "return Remedies{ReviewDays: 15, LitigationMonths: 6}",
			Pkgs: []string{casework}, Tests: "TestApplicantReceivesEachDocument"},
		{Name: "casework-correction-once", Why: "第三十二条: the 补正 notice lists every material at once",
			File: "internal/casework/notices.go", Old: "case '\\n', '\\r', '；', ';', '、':", New: "case '\\r':",
			Pkgs: []string{casework}, Tests: "TestApplicantReceivesEachDocument"},
		{Name: "casework-acceptance-5d", Why: "第三十二条: accepted from receipt when 5 working days pass without a decision on intake",
			File: "internal/casework/sweep.go", Old: "const AcceptanceDays = 5", New: "const AcceptanceDays = 6",
			Pkgs: []string{casework}, Tests: "TestAcceptanceDeemedAfterFiveWorkingDays"},
		{Name: "casework-correction-twice", Why: "第三十二条: 补正 is asked once per stage (一次性告知)",
			File: "internal/casework/actions.go", Old: "if asked > 1 {", New: "if asked > 2 {",
			Pkgs: []string{casework}, Tests: "TestCorrectionIsAskedOnce"},
		{Name: "casework-excluded-counted", Why: "第四十五条: the time of an excluded procedure is not counted",
			File: "internal/casework/flows/application.json", Old: `"name_en": "Excluded procedure (not counted)", "clock": "pause"}`,
			New: `"name_en": "Excluded procedure (not counted)"}`, Pkgs: []string{casework}, Tests: "TestExcludedPeriodSuspensionAndTermination"},
		{Name: "flow-recount-old-calendar", Why: "a provisional deadline is recounted on the year's entered holidays",
			File: "internal/flow/recount.go", Old: "return next.AddWorkingDays(eve, n).Add(-offset)", New: "return old.AddWorkingDays(eve, n).Add(-offset)",
			Pkgs: []string{flowPkg}, Tests: "TestRecountWhenTheYearIsEntered"},
		{Name: "ids-future-birth", Why: "GB 11643: no date of birth in the future",
			File: "internal/ids/ids.go", Old: " || birth.After(time.Now())", New: "",
			Pkgs: []string{idsPkg}, Tests: "TestCitizenIDBirthDateGB11643"},
		{Name: "audit-hash-without-prev", Why: "each entry's hash covers the previous hash",
			File: "internal/audit/audit.go", Old: "\tfield(h, r.PrevHash)\n", New: "",
			Pkgs: []string{audit}, Tests: "TestEntryHashChainsThePreviousHash"},
		{Name: "flow-supervise-hour-early", Why: "督办单 at the limit, not before",
			File: "internal/flow/clock.go", Old: "if share >= 1 {\n\t\treturn due\n", New: "if share >= 1 {\n\t\treturn due.Add(-time.Hour)\n",
			Pkgs: []string{flowPkg}, Tests: "TestLadderFiresOnItsMinute"},

		// More of casework's clocks.
		{Name: "casework-review-limit", Why: "review within the promised limit",
			File: "internal/casework/definitions.go", Old: "d.States[i].Limit = &flow.Limit{N: days, Unit: flow.WorkDays}",
			New: "d.States[i].Limit = &flow.Limit{N: days + 1, Unit: flow.WorkDays}", Pkgs: []string{casework}, Tests: "TestIntakeLimitIsOneWorkingDay"},
		{Name: "casework-overall-limit", Why: "the case is due in 1 + promised working days",
			File: "internal/casework/definitions.go", Old: "d.Limit = &flow.Limit{N: days + 1, Unit: flow.WorkDays}",
			New: "d.Limit = &flow.Limit{N: days + 2, Unit: flow.WorkDays}", Pkgs: []string{casework}, Tests: "TestIntakeLimitIsOneWorkingDay"},

		// Flow escalation.
		{Name: "flow-overdue-from-due", Why: "overdue days counted from the limit",
			File: "internal/flow/clock.go", Old: "at = cal.AddWorkingDays(due, r.OverdueDays)", New: "at = cal.AddWorkingDays(due, r.OverdueDays-1)",
			Pkgs: []string{flowPkg}, Tests: "TestLadderFiresOnItsMinute|TestEscalationLadder"},
		{Name: "flow-share-ceil", Why: "提醒单 after whole working days of the share (floor)",
			File: "internal/flow/clock.go", Old: "math.Floor(share*float64(l.N) + 1e-9)", New: "math.Ceil(share*float64(l.N) + 1e-9)",
			Pkgs: []string{flowPkg}, Tests: "TestLadderFiresOnItsMinute|TestEscalationLadder"},

		// Working-day calendar (calendar-cn.md).
		{Name: "calendar-count-event-day", Why: "受理之日起: counting starts the next day",
			File: "internal/calendar/calendar.go", Old: "\t\treturn endOfDay(d)\n\t}\n\td++\n", New: "\t\treturn endOfDay(d)\n\t}\n",
			Pkgs: []string{calendar}, Tests: "TestCalendarCountsFromTheNextDay"},
		{Name: "calendar-no-makeup-days", Why: "调休 make-up Saturdays are working days",
			File: "internal/calendar/calendar.go", Old: "yd.work[n-first] = d.Kind == Workday", New: "yd.work[n-first] = false",
			Pkgs: []string{calendar}, Tests: "TestCalendarCountsFromTheNextDay"},
		{Name: "calendar-saturday-works", Why: "Saturdays are off",
			File: "internal/calendar/calendar.go", Old: "return w != time.Saturday && w != time.Sunday", New: "return w != time.Sunday",
			Pkgs: []string{calendar}, Tests: "TestCalendarCountsFromTheNextDay"},
		{Name: "calendar-close-at-23h", Why: "a limit ends at the close of its last day",
			File: "internal/calendar/calendar.go", Old: "23, 59, 59, 999999000, CST", New: "23, 0, 0, 0, CST",
			Pkgs: []string{calendar}, Tests: "TestCalendarCountsFromTheNextDay"},
		{Name: "calendar-between-inclusive", Why: "working days between exclude the first day",
			File: "internal/calendar/calendar.go", Old: "return c.count(a+1, b)", New: "return c.count(a, b)",
			Pkgs: []string{calendar}, Tests: "TestCalendarCountsFromTheNextDay"},
		{Name: "calendar-period-month-end", Why: "民法典 第二百零二条: no such day → the month's last day",
			File: "internal/calendar/period.go", Old: "return NewDate(ty, tm, min(d.Day(), last))", New: "return NewDate(ty, tm, min(d.Day(), last+1))",
			Pkgs: []string{calendar}, Tests: "TestPeriodEnd"},
		{Name: "calendar-period-days-count-event", Why: "民法典 第二百零一条: the event's day is not counted",
			File: "internal/calendar/period.go", Old: "return from.AddDays(p.N)", New: "return from.AddDays(p.N - 1)",
			Pkgs: []string{calendar}, Tests: "TestPeriodEnd"},

		// Identifiers (GB 32100, GB 11643, GB/T 2260).
		{Name: "ids-birth-before-1900", Why: "GB 11643: born 1900 or later",
			File: "internal/ids/ids.go", Old: "birth.Year() < 1900", New: "birth.Year() < 1800",
			Pkgs: []string{idsPkg}, Tests: "TestCitizenIDBirthDateGB11643"},
		{Name: "ids-uscc-weight", Why: "GB 32100 weights",
			File: "internal/ids/ids.go", Old: "{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}",
			New: "{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 29}", Pkgs: []string{idsPkg}, Tests: "TestUSCCCheckCharacterGB32100"},
		{Name: "ids-uscc-zero-check", Why: "GB 32100: a check of 31 is written 0",
			File: "internal/ids/ids.go", Old: "\tif c == 31 {\n\t\tc = 0\n", New: "\tif c == 31 {\n\t\tc = 30\n",
			Pkgs: []string{idsPkg}, Tests: "TestUSCCCheckCharacterGB32100"},
		{Name: "ids-uscc-region-letter", Why: "GB 32100: positions 3–8 are a GB/T 2260 code (digits)",
			File: "internal/ids/ids.go", Old: "if i >= 2 && i < 8 && v > 9 {", New: "if i >= 2 && i < 8 && v > 30 {",
			Pkgs: []string{idsPkg}, Tests: "TestUSCCCheckCharacterGB32100"},
		{Name: "ids-id-weight", Why: "GB 11643 weights",
			File: "internal/ids/ids.go", Old: "{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}",
			New: "{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 2, 4}", Pkgs: []string{idsPkg}, Tests: "TestCitizenIDCheckGB11643"},
		{Name: "ids-id-check-table", Why: "GB 11643: ISO 7064 MOD 11-2 check characters",
			File: "internal/ids/ids.go", Old: `const idChecks = "10X98765432"`, New: `const idChecks = "10X98765423"`,
			Pkgs: []string{idsPkg}, Tests: "TestCitizenIDCheckGB11643"},
		{Name: "ids-region-contains-city", Why: "GB/T 2260: a city contains only its own districts",
			File: "internal/ids/ids.go", Old: "\tcase 2:\n\t\treturn outer[:4] == inner[:4]", New: "\tcase 2:\n\t\treturn outer[:2] == inner[:2]",
			Pkgs: []string{idsPkg}, Tests: "TestRegionContainsGBT2260"},
		{Name: "ids-region-zero", Why: "GB/T 2260: no code starts with 00",
			File: "internal/ids/ids.go", Old: "\tif s[:2] == \"00\" {\n\t\treturn ErrRegion", New: "\tif s[:2] == \"0-\" {\n\t\treturn ErrRegion",
			Pkgs: []string{idsPkg}, Tests: "TestRegionContainsGBT2260"},

		// Masking of personal data.
		{Name: "pii-mask-id-head", Why: "an ID shows its first 3 and last 4 characters",
			File: "internal/pii/pii.go", Old: "func MaskID(s string) string { return mask(s, 3, 4) }", New: "func MaskID(s string) string { return mask(s, 6, 4) }",
			Pkgs: []string{pii}, Tests: "TestMaskingRules"},
		{Name: "pii-mask-phone-tail", Why: "a phone shows its first 3 and last 4 digits",
			File: "internal/pii/pii.go", Old: "func MaskPhone(s string) string { return mask(s, 3, 4) }", New: "func MaskPhone(s string) string { return mask(s, 3, 6) }",
			Pkgs: []string{pii}, Tests: "TestMaskingRules"},
		{Name: "pii-mobile-199", Why: "mobile numbers 13x–19x are masked in free text",
			File: "internal/pii/text.go", Old: "(1[3-9]\\d[ -]?\\d{4}[ -]?\\d{4})", New: "(1[3-8]\\d[ -]?\\d{4}[ -]?\\d{4})",
			Pkgs: []string{pii}, Tests: "TestMaskingRules"},
		{Name: "pii-card-without-luhn", Why: "only Luhn-valid digit runs are card numbers",
			File: "internal/pii/text.go", Old: "len(d) >= 16 && luhn(d) && !orderNumber(d)", New: "len(d) >= 16 && !orderNumber(d)",
			Pkgs: []string{pii}, Tests: "TestMaskingRules"},
		{Name: "pii-order-number-masked", Why: "12345 order numbers stay readable",
			File: "internal/pii/text.go", Old: "len(d) >= 16 && luhn(d) && !orderNumber(d)", New: "len(d) >= 16 && luhn(d)",
			Pkgs: []string{pii}, Tests: "TestMaskingRules"},

		// Item codes (catalog/code.go).
		{Name: "catalog-code-type-letters", Why: "an item code carries its type's letters",
			File: "internal/catalog/validate.go", Old: "if c.Letters != d.Type.Letters() {",
			New: "if c.Letters == \"\" {", Pkgs: []string{catalog}, Tests: "TestItemCodeParts|TestNewItemCodeCarriesTypeLetters"},
		{Name: "catalog-create-letters", Why: "a new item's code is checked for its type's letters",
			File: "internal/catalog/service.go", Old: "\tif err := checkCodeLetters(&d); err != nil {\n\t\treturn nil, err\n\t}\n\tif d.Rule != nil {\n\t\td.Rule.Version = 1",
			New: "\tif d.Rule != nil {\n\t\td.Rule.Version = 1", Pkgs: []string{catalog}, Tests: "TestNewItemCodeCarriesTypeLetters"},
		{Name: "catalog-draft-letters", Why: "a draft's code is checked again when edited",
			File: "internal/catalog/service.go", Old: "if old.Version == 0 {\n\t\tif err := checkCodeLetters(&d)",
			New: "if old.Version < 0 {\n\t\tif err := checkCodeLetters(&d)", Pkgs: []string{catalog}, Tests: "TestNewItemCodeCarriesTypeLetters"},
		{Name: "catalog-code-region", Why: "an item code's region is a GB/T 2260 code",
			File: "internal/catalog/code.go", Old: "if err := ids.ValidateRegionCode(c.Region); err != nil {",
			New: "if err := ids.ValidateRegionCode(\"990100\"); err != nil {", Pkgs: []string{catalog}, Tests: "TestItemCodeParts"},

		// Credit publication periods (rules.json).
		{Name: "credit-short-term", Why: "通报批评 or a low fine shown 3 months",
			File: "internal/credit/rules.json", Old: `"short_term": {"n": 3, "unit": "months"}`, New: `"short_term": {"n": 6, "unit": "months"}`,
			Pkgs: []string{credit}, Tests: "TestPenaltyTerms|TestPublishBy"},
		{Name: "credit-long-term", Why: "other penalties shown 3 years",
			File: "internal/credit/rules.json", Old: `"long_term": {"n": 3, "unit": "years"}`, New: `"long_term": {"n": 5, "unit": "years"}`,
			Pkgs: []string{credit}, Tests: "TestPenaltyTerms|TestPublishBy"},
		{Name: "credit-repair-after", Why: "repair after 6 months of publication",
			File: "internal/credit/rules.json", Old: `"repair_after": {"n": 6, "unit": "months"}`, New: `"repair_after": {"n": 3, "unit": "months"}`,
			Pkgs: []string{credit}, Tests: "TestPenaltyTerms|TestPublishBy"},
		{Name: "credit-strict-repair", Why: "food, drugs, special equipment: repair after 1 year",
			File: "internal/credit/rules.json", Old: `"strict_repair_after": {"n": 1, "unit": "years"}`, New: `"strict_repair_after": {"n": 6, "unit": "months"}`,
			Pkgs: []string{credit}, Tests: "TestPenaltyTerms|TestPublishBy"},
		{Name: "credit-low-fine-inclusive", Why: "以下 includes the amount (民法典 第一千二百五十九条)",
			File: "internal/credit/rules.go", Old: "return p.FineYuan <= limit", New: "return p.FineYuan < limit",
			Pkgs: []string{credit}, Tests: "TestPenaltyTerms|TestPublishBy"},
		{Name: "credit-publish-within", Why: "published within 7 working days of the decision",
			File: "internal/credit/rules.json", Old: `"publish_within_working_days": 7,`, New: `"publish_within_working_days": 10,`,
			Pkgs: []string{credit}, Tests: "TestPenaltyTerms|TestPublishBy"},
	}
}
