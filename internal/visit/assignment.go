// Package visit carries out inspections on site (检查实施): the visits that
// random draws, monitoring alerts and other sources assign to inspectors,
// merged so that a business is visited once for many items (综合查一次,
// 进一次门、查多项事), recorded on a phone with evidence and published as
// results in the business's credit file.
package visit

import "time"

// Source says why a business is to be inspected.
type Source string

// The sources of assignments.
const (
	SourceDraw       Source = "draw"       // a 双随机 draw (internal/inspection)
	SourceMonitoring Source = "monitoring" // a monitoring rule's graded response (internal/monitoring)
	SourceManual     Source = "manual"     // a department's own decision (complaint, lead, follow-up)
)

// Assignment is one inspection item to be checked at one business by the
// named inspectors within a window. Other modules hand assignments to
// [Service.Assign]; the visit module decides how they are merged into visits.
type Assignment struct {
	Source  Source
	TaskRef string // the source's reference: draw task id, alert id, …; with ItemCode and USCC it identifies the assignment (assigning it again is a no-op)
	// ItemCode and ItemName name the inspection item (抽查事项) and
	// Checklist lists what is checked, snapshotted when assigned.
	ItemCode, ItemName string
	Checklist          []string
	LegalBasis         string
	Key                bool // a 重点 item
	DepartmentID       int64
	JointTaskRef       string // set when the item belongs to a cross-department joint task (跨部门联合抽查)
	USCC               string
	// InspectorUserIDs are the inspectors drawn or named (two for a draw).
	InspectorUserIDs []int64
	WindowFrom       time.Time
	WindowTo         time.Time
	Reason           string // why, in words (a monitoring alert's explanation, a lead), shown to the inspector
}
