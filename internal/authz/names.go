// Package authz decides who may do what to which kind of data, with Casbin
// over the model and permission table embedded in policies/.
//
// The domain of every decision is the data controller (P7): PlatformDomain
// for Storsthlm's data, KommunDomain(slug) for one kommun's. policies/
// policy.csv says what each role may do; who holds which staff role in which
// domain comes from the database through a MembershipSource. A change of
// membership on one instance reaches the others through a Redis pub/sub
// Watcher, with a periodic reload as the safety net.
//
// Anonymous visitors and youth are enforced with the role name as subject
// (RoleAnonymous, RoleYouth); staff with StaffSubject(id). Whether a booking
// or an account is the actor's own is not decided here: the application and
// row-level security check ownership.
package authz

import "slices"

// The roles of policy.csv. Staff roles (counsellor, reception admin, platform
// admin) are held through memberships; anonymous and youth are subjects in
// their own right.
const (
	RoleAnonymous      = "anonymous"       // a visitor without an account (P1)
	RoleYouth          = "youth"           // a signed-in youth account
	RoleCounsellor     = "counsellor"      // kurator of one kommun
	RoleReceptionAdmin = "reception_admin" // administrator of one kommun's reception
	RolePlatformAdmin  = "platform_admin"  // Storsthlm staff; no role in any kommun (P20)
)

// Object types controlled by a kommun; used in KommunDomain domains.
const (
	ObjReceptionPage   = "reception_page"
	ObjStaff           = "staff"
	ObjSchedule        = "schedule"
	ObjAppointmentType = "appointment_type"
	ObjBooking         = "booking"
	ObjConversation    = "conversation"
	ObjQueue           = "queue"
	ObjStaffNote       = "staff_note"
	ObjAccessLog       = "access_log"
	ObjStatistics      = "statistics"
	ObjAdminLog        = "admin_log"
	ObjFeedback        = "feedback"
)

// Object types controlled by the platform; used in PlatformDomain.
const (
	ObjKommun            = "kommun"
	ObjAccount           = "account"
	ObjPrivacyRequest    = "privacy_request"
	ObjPolicyVersion     = "policy_version"
	ObjAccountSupport    = "account_support"
	ObjJob               = "job"
	ObjPlatformAccessLog = "platform_access_log"
)

// Actions. Which action applies to which object is fixed by the catalogue
// below; Allowed returns an error for a pair it does not know.
const (
	ActRead       = "read"
	ActCreate     = "create"
	ActEdit       = "edit"
	ActPublish    = "publish"
	ActInvite     = "invite"
	ActDeactivate = "deactivate"
	ActCancel     = "cancel"
	ActJoin       = "join"
	ActWrite      = "write"
	ActEnd        = "end"
	ActTransfer   = "transfer"
	ActBlock      = "block"
	ActSample     = "sample"
	ActOnboard    = "onboard"
	ActSuspend    = "suspend"
	ActOffboard   = "offboard"
	ActHandle     = "handle"
	ActFind       = "find"
	ActDelete     = "delete"
	ActRestrict   = "restrict"
	ActLift       = "lift"
	ActRun        = "run"
	ActExport     = "export"
)

// scope says which controller an object type or a role belongs to.
type scope int

const (
	scopeKommun scope = iota + 1
	scopePlatform
)

type objectSpec struct {
	scope   scope
	actions []string
}

// catalogue is every object type with the actions that exist for it. A p
// row, and a question to Allowed, must name a pair from here.
var catalogue = map[string]objectSpec{
	ObjReceptionPage:   {scopeKommun, []string{ActRead, ActEdit, ActPublish}},
	ObjStaff:           {scopeKommun, []string{ActRead, ActInvite, ActEdit, ActDeactivate}},
	ObjSchedule:        {scopeKommun, []string{ActRead, ActEdit}},
	ObjAppointmentType: {scopeKommun, []string{ActRead, ActEdit}},
	ObjBooking:         {scopeKommun, []string{ActRead, ActCreate, ActEdit, ActCancel}},
	ObjConversation:    {scopeKommun, []string{ActRead, ActCreate, ActJoin, ActWrite, ActEnd, ActTransfer, ActBlock}},
	ObjQueue:           {scopeKommun, []string{ActRead}},
	ObjStaffNote:       {scopeKommun, []string{ActRead, ActWrite}},
	ObjAccessLog:       {scopeKommun, []string{ActRead, ActSample}},
	ObjStatistics:      {scopeKommun, []string{ActRead}},
	ObjAdminLog:        {scopeKommun, []string{ActRead}},
	ObjFeedback:        {scopeKommun, []string{ActRead, ActCreate}},

	ObjKommun:            {scopePlatform, []string{ActRead, ActOnboard, ActSuspend, ActOffboard}},
	ObjAccount:           {scopePlatform, []string{ActRead, ActEdit, ActDelete, ActExport}},
	ObjPrivacyRequest:    {scopePlatform, []string{ActRead, ActCreate, ActHandle}},
	ObjPolicyVersion:     {scopePlatform, []string{ActRead, ActPublish}},
	ObjAccountSupport:    {scopePlatform, []string{ActFind, ActDelete, ActRestrict, ActLift}},
	ObjJob:               {scopePlatform, []string{ActRead, ActRun}},
	ObjPlatformAccessLog: {scopePlatform, []string{ActRead}},
}

// roleScopes says in which controllers' domains a role may be granted
// anything. platform_admin is platform only (P20); kommun staff are kommun
// only.
var roleScopes = map[string][]scope{
	RoleAnonymous:      {scopeKommun, scopePlatform},
	RoleYouth:          {scopeKommun, scopePlatform},
	RoleCounsellor:     {scopeKommun},
	RoleReceptionAdmin: {scopeKommun},
	RolePlatformAdmin:  {scopePlatform},
}

// staffRoles are the roles a membership can confer, with the one scope each
// may be held in. Anonymous and youth are never held through a membership.
var staffRoles = map[string]scope{
	RoleCounsellor:     scopeKommun,
	RoleReceptionAdmin: scopeKommun,
	RolePlatformAdmin:  scopePlatform,
}

func knownAction(obj, act string) bool {
	spec, ok := catalogue[obj]
	return ok && slices.Contains(spec.actions, act)
}

func roleMayHold(role string, s scope) bool { return slices.Contains(roleScopes[role], s) }
