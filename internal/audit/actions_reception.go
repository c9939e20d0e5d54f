package audit

// Administrative actions of a kommun's reception admins, recorded in the
// kommun's admin log (app.admin_action: who, what, when) rather than the
// access log, since they touch no user's data.
const (
	ReceptionDraftSave Action = "reception.save_draft"
	ReceptionPublish   Action = "reception.publish"
	StaffInvite        Action = "staff.invite"
	StaffRoleChange    Action = "staff.change_role"
	StaffDeactivate    Action = "staff.deactivate"
)
