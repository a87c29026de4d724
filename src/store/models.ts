import { Schema, type Connection, type Model } from 'mongoose';

/**
 * Mongoose models. Field names are plain (no "." and no leading "$") so the
 * same documents work on MongoDB, FerretDB, DocumentDB and Cosmos DB; the
 * Enterprise User extension lives under `enterprise`. See docs/architecture.md.
 */

const opts = { versionKey: false, strict: true, minimize: true } as const;

const roleSchema = new Schema(
  { key: String, name: String, precedence: Number, permissions: [String] },
  { _id: false },
);

const organizationSchema = new Schema(
  {
    _id: String,
    name: { type: String, required: true },
    domains: [String],
    allowSubdomains: { type: Boolean, default: false },
    seatLimit: { type: Number, default: null },
    roleMode: { type: String, enum: ['single', 'multiple'], default: 'single' },
    roles: [roleSchema],
    defaultRole: String,
    companies: [String],
    retentionDays: Number,
    invitationTtlHours: Number,
    created: Date,
    lastModified: Date,
  },
  opts,
);

const tokenSchema = new Schema(
  {
    _id: String,
    orgId: { type: String, default: null },
    name: String,
    scopes: [String],
    /** SHA-256 of the secret part: the secret itself is never stored. */
    secretHash: String,
    created: Date,
    revokedAt: Date,
  },
  opts,
);
tokenSchema.index({ orgId: 1, created: 1 });

const multiValue = new Schema(
  { value: Schema.Types.Mixed, display: String, type: { type: String }, primary: Boolean },
  { _id: false },
);
const emailValue = new Schema(
  { value: String, valueKey: String, display: String, type: { type: String }, primary: Boolean },
  { _id: false },
);
const addressValue = new Schema(
  {
    formatted: String,
    streetAddress: String,
    locality: String,
    region: String,
    postalCode: String,
    country: String,
    type: { type: String },
    primary: Boolean,
  },
  { _id: false },
);

const userSchema = new Schema(
  {
    _id: String,
    orgId: { type: String, required: true },
    userName: { type: String, required: true },
    userNameKey: { type: String, required: true },
    emailKey: { type: String, required: true },
    externalId: String,
    name: {
      formatted: String,
      familyName: String,
      givenName: String,
      middleName: String,
      honorificPrefix: String,
      honorificSuffix: String,
    },
    displayName: String,
    displayNameKey: String,
    nickName: String,
    profileUrl: String,
    title: String,
    userType: String,
    preferredLanguage: String,
    locale: String,
    timezone: String,
    active: Boolean,
    status: { type: String, enum: ['invited', 'active', 'suspended', 'deleted'] },
    emails: [emailValue],
    phoneNumbers: [multiValue],
    ims: [multiValue],
    photos: [multiValue],
    addresses: [addressValue],
    entitlements: [multiValue],
    roles: [multiValue],
    x509Certificates: [multiValue],
    enterprise: {
      employeeNumber: String,
      costCenter: String,
      organization: String,
      division: String,
      department: String,
      manager: { value: String, displayName: String },
    },
    invitedAt: Date,
    onboardedAt: Date,
    deletedAt: Date,
    previousStatus: String,
    passwordHash: String,
    mustChangePassword: Boolean,
    accessEnded: { at: Date, reason: String },
    created: Date,
    lastModified: Date,
    version: Number,
    /** Events of changes not yet handed to the streams (docs/events.md); written with the change itself. */
    pendingEvents: [Schema.Types.Mixed],
  },
  opts,
);
// Uniqueness per organization, in any letter case (docs/behaviour.md "Rules"); deleted users hold
// `~deleted:<id>` keys, so their names are free again without a partial index (FerretDB has none).
userSchema.index({ orgId: 1, userNameKey: 1 }, { unique: true, name: 'org_userName_unique' });
userSchema.index({ orgId: 1, emailKey: 1 }, { unique: true, name: 'org_email_unique' });
// The identity providers' lookups and the lifecycle filters.
userSchema.index({ orgId: 1, externalId: 1 }, { name: 'org_externalId' });
userSchema.index({ orgId: 1, 'emails.valueKey': 1 }, { name: 'org_emails' });
userSchema.index({ orgId: 1, displayNameKey: 1 }, { name: 'org_displayName' });
userSchema.index({ orgId: 1, status: 1, lastModified: 1 }, { name: 'org_status_lastModified' });
userSchema.index({ orgId: 1, created: 1, _id: 1 }, { name: 'org_created' });
// The retention purge: every organization's recently deleted users in one pass, oldest first.
userSchema.index({ status: 1, deletedAt: 1, _id: 1 }, { name: 'status_deletedAt' });
// The admin screens' tabs (a status range) sorted by name, sign-in name or creation.
userSchema.index({ orgId: 1, status: 1, displayNameKey: 1, _id: 1 }, { name: 'org_status_displayName' });
userSchema.index({ orgId: 1, status: 1, userName: 1, _id: 1 }, { name: 'org_status_userName' });
userSchema.index({ orgId: 1, status: 1, created: 1, _id: 1 }, { name: 'org_status_created' });
// The event relay's recovery sweep (documents whose events were not yet handed on).
userSchema.index({ 'pendingEvents.id': 1 }, { name: 'pending_events' });

/**
 * A group holds no member array: members are documents of `memberships`, so that adding or removing
 * one is O(1) on a group of any size (docs/behaviour.md "Roles and groups": 100,000 members).
 */
const groupSchema = new Schema(
  {
    _id: String,
    orgId: { type: String, required: true },
    displayName: { type: String, required: true },
    displayNameKey: { type: String, required: true },
    externalId: String,
    /** The role this group grants (docs/behaviour.md "Roles and groups"), if bound. */
    roleKey: String,
    /** `roleKey`, or `~none:<id>` when unbound: unique with orgId, so a role has at most one group. */
    roleBinding: { type: String, required: true },
    created: Date,
    lastModified: Date,
    version: Number,
    /** Events of changes not yet handed to the streams (docs/events.md); written with the change itself. */
    pendingEvents: [Schema.Types.Mixed],
  },
  opts,
);
groupSchema.index({ orgId: 1, displayNameKey: 1 }, { unique: true, name: 'org_group_displayName_unique' });
groupSchema.index({ orgId: 1, roleBinding: 1 }, { unique: true, name: 'org_group_role_unique' });
groupSchema.index({ orgId: 1, externalId: 1 }, { name: 'org_group_externalId' });
groupSchema.index({ orgId: 1, created: 1, _id: 1 }, { name: 'org_group_created' });
groupSchema.index({ 'pendingEvents.id': 1 }, { name: 'pending_events' });

/**
 * One document per (group, user): `_id` is "<groupId>:<userId>", so adding is an idempotent insert and
 * removing a delete by _id, both atomic on every engine (FerretDB 1.x included) and O(1).
 */
const membershipSchema = new Schema(
  { _id: String, orgId: { type: String, required: true }, groupId: String, userId: String, created: Date },
  opts,
);
membershipSchema.index({ orgId: 1, groupId: 1, userId: 1 }, { name: 'org_group_user' });
membershipSchema.index({ orgId: 1, userId: 1 }, { name: 'org_user' });

const metaSchema = new Schema({ _id: String, value: Schema.Types.Mixed, created: Date }, opts);

/** One seat counter per organization (`_id` is the organization id); see seat.repository.ts. */
const seatSchema = new Schema({ _id: String, used: { type: Number, default: 0 }, lastModified: Date }, opts);

/** The audit trail (docs/behaviour.md "Audit"): append-only, never removed with the user it names. */
const auditSchema = new Schema(
  {
    _id: String,
    orgId: { type: String, required: true },
    at: Date,
    actor: { type: { type: String }, id: String, name: String },
    action: String,
    target: { type: { type: String }, id: String, userName: String },
    changes: [new Schema({ path: String, old: Schema.Types.Mixed, new: Schema.Types.Mixed }, { _id: false })],
    requestId: String,
  },
  opts,
);
auditSchema.index({ orgId: 1, at: 1 }, { name: 'org_at' });
auditSchema.index({ orgId: 1, 'target.id': 1, at: 1 }, { name: 'org_target_at' });
auditSchema.index({ orgId: 1, 'actor.id': 1, at: 1 }, { name: 'org_actor_at' });

/**
 * One invitation per invited user (`_id` is the user id). It outlives the user it names (cancel
 * removes the user; the invitation stays `cancelled`), so the onboarding KPIs count every invitation.
 */
const invitationSchema = new Schema(
  {
    _id: String,
    orgId: { type: String, required: true },
    email: String,
    state: { type: String, enum: ['pending', 'accepted', 'cancelled'] },
    tokenHash: String,
    invitedAt: Date,
    lastSentAt: Date,
    resendCount: Number,
    expiresAt: Date,
    acceptedAt: Date,
    cancelledAt: Date,
    /** The bulk import job and file row that sent it (import.repository.ts): how a resumed job knows its own work. */
    jobId: String,
    jobRow: Number,
  },
  opts,
);
invitationSchema.index({ orgId: 1, state: 1 }, { name: 'org_state' });
invitationSchema.index({ orgId: 1, jobId: 1, jobRow: 1 }, { name: 'org_job_row' });

/** Invitation links: `_id` is the SHA-256 of the secret (the secret itself is never stored). */
const invitationTokenSchema = new Schema(
  {
    _id: String,
    orgId: { type: String, required: true },
    userId: String,
    state: { type: String, enum: ['live', 'used', 'replaced', 'cancelled'] },
    expiresAt: Date,
    created: Date,
    endedAt: Date,
  },
  opts,
);
invitationTokenSchema.index({ orgId: 1, userId: 1 }, { name: 'org_user' });

/** Messages kept when no SMTP server is configured (docs/behaviour.md "Side API": the outbox). */
const outboxSchema = new Schema(
  { _id: String, orgId: { type: String, required: true }, kind: String, to: String, subject: String, text: String, link: String, created: Date },
  opts,
);
outboxSchema.index({ orgId: 1, created: -1, _id: -1 }, { name: 'org_created' });

/**
 * Sign-in sessions (docs/behaviour.md "Sign-in, sessions and password reset"). `_id` is the public session id; the secret is
 * stored only as SHA-256. Ended sessions are kept until a day after `expiresAt` (so that a check can
 * say "ended" rather than "unknown") and then removed lazily: FerretDB has no TTL indexes.
 */
const sessionSchema = new Schema(
  {
    _id: String,
    orgId: { type: String, required: true },
    userId: { type: String, required: true },
    secretHash: String,
    /** SHA-256 of the user's password hash at sign-in: a later password change invalidates the session. */
    passwordStamp: String,
    created: Date,
    lastUsedAt: Date,
    expiresAt: Date,
    endedAt: Date,
    endReason: String,
  },
  opts,
);
sessionSchema.index({ orgId: 1, userId: 1, created: -1 }, { name: 'org_user_created' });
sessionSchema.index({ orgId: 1, expiresAt: 1 }, { name: 'org_expires' });

/**
 * Failed sign-in counters per account: `_id` is "<orgId>:<SHA-256 of the lower-cased email>", so no
 * address (existing or not) is stored in clear. Removed on success and lazily once expired.
 */
const signinThrottleSchema = new Schema(
  { _id: String, orgId: { type: String, required: true }, failures: Number, windowStart: Date, lockedUntil: Date, expiresAt: Date },
  opts,
);
signinThrottleSchema.index({ orgId: 1, expiresAt: 1 }, { name: 'org_expires' });

/** Password reset links: `_id` is the SHA-256 of the secret (the secret itself is never stored). */
const passwordResetSchema = new Schema(
  {
    _id: String,
    orgId: { type: String, required: true },
    userId: { type: String, required: true },
    email: String,
    state: { type: String, enum: ['live', 'used', 'replaced', 'cancelled'] },
    requestedBy: { type: String, enum: ['admin', 'self'] },
    created: Date,
    expiresAt: Date,
    endedAt: Date,
  },
  opts,
);
passwordResetSchema.index({ orgId: 1, userId: 1, state: 1 }, { name: 'org_user_state' });

/**
 * Background jobs (bulk invitation imports). Counters and the checkpoint (`nextRow`) live here; the
 * per-row results and the uploaded file live in their own collections, so this document stays small.
 */
const jobSchema = new Schema(
  {
    _id: String,
    orgId: { type: String, required: true },
    kind: String,
    state: { type: String, enum: ['queued', 'running', 'completed', 'failed'] },
    format: String,
    fileName: String,
    fileBytes: Number,
    fileSha256: String,
    fileChunks: Number,
    total: Number,
    processed: Number,
    succeeded: Number,
    failed: Number,
    nextRow: Number,
    attempts: Number,
    leaseOwner: String,
    leaseUntil: Date,
    actor: { type: { type: String }, id: String, name: String },
    requestId: String,
    linkBase: String,
    scimBaseUrl: String,
    created: Date,
    started: Date,
    finished: Date,
    failureReason: String,
  },
  opts,
);
jobSchema.index({ orgId: 1, created: -1 }, { name: 'org_created' });
// The start-up sweep looks for unfinished jobs of every organization.
jobSchema.index({ state: 1 }, { name: 'state' });

/** An uploaded file in pieces (`_id` "<jobId>:<n>"), each far below the 16 MB document limit. */
const importChunkSchema = new Schema(
  { _id: String, orgId: { type: String, required: true }, jobId: String, n: Number, data: Buffer },
  opts,
);
importChunkSchema.index({ orgId: 1, jobId: 1 }, { name: 'org_job' });

/** One result per imported row (`_id` "<jobId>:<row>"), so a job's report never lives in memory. */
const importResultSchema = new Schema(
  {
    _id: String,
    orgId: { type: String, required: true },
    jobId: String,
    row: Number,
    email: String,
    outcome: { type: String, enum: ['invited', 'failed'] },
    userId: String,
    code: String,
    reason: String,
  },
  opts,
);
importResultSchema.index({ orgId: 1, jobId: 1, outcome: 1, row: 1 }, { name: 'org_job_outcome_row' });

/**
 * The rows of a running job that invited an address (`_id` "<jobId>:<lower-cased email>"): a later
 * row with the same address is "duplicate of row N", found by primary key on every engine.
 */
const importKeySchema = new Schema(
  { _id: String, orgId: { type: String, required: true }, jobId: String, row: Number, userId: String },
  opts,
);
importKeySchema.index({ orgId: 1, jobId: 1 }, { name: 'org_job' });

// Custom schema extensions an organization declares (README "Custom schema extensions"); _id is
// "<orgId>:<lower-cased URN>", so a URN is declared once per organization by an atomic insert.
const schemaExtensionSchema = new Schema(
  {
    _id: String,
    orgId: { type: String, required: true },
    key: String,
    urn: String,
    name: String,
    description: String,
    attributes: [Schema.Types.Mixed],
    created: Date,
    lastModified: Date,
    version: Number,
  },
  opts,
);
schemaExtensionSchema.index({ orgId: 1 }, { name: 'org' });
/** SSF event streams (docs/events.md). */
const eventStreamSchema = new Schema(
  {
    _id: String,
    orgId: { type: String, required: true },
    iss: String,
    aud: String,
    description: String,
    method: String,
    endpointUrl: String,
    authorizationHeaderEnc: String,
    eventsRequested: [String],
    eventsDelivered: [String],
    status: { type: String, enum: ['enabled', 'paused', 'disabled'] },
    statusReason: String,
    lastError: String,
    lastErrorAt: Date,
    delivered: Number,
    retried: Number,
    failed: Number,
    created: Date,
    updated: Date,
  },
  opts,
);
eventStreamSchema.index({ orgId: 1, created: 1 }, { name: 'org_created' });
eventStreamSchema.index({ method: 1, status: 1 }, { name: 'method_status' });

/** SETs owed to a stream (`_id` is the jti), in order; moved to `event_sent` once delivered. */
const eventQueueSchema = new Schema(
  {
    _id: String,
    orgId: { type: String, required: true },
    streamId: String,
    seq: Number,
    eventId: String,
    kid: String,
    set: String,
    state: { type: String, enum: ['pending', 'delivered', 'rejected'] },
    attempts: Number,
    nextAttemptAt: Date,
    firstAttemptAt: Date,
    deliveredAt: Date,
    lastError: String,
    created: Date,
  },
  opts,
);
eventQueueSchema.index({ streamId: 1, state: 1, seq: 1 }, { name: 'stream_state_seq' });
eventQueueSchema.index({ orgId: 1, state: 1, kid: 1 }, { name: 'org_state_kid' });

/**
 * SETs delivered (or rejected by the receiver), moved out of the queue so the queue holds only what
 * is owed; kept for ROSTER_EVENTS_RETENTION_DAYS so a relay that runs twice never sends one again.
 */
const eventSentSchema = new Schema(
  { _id: String, orgId: { type: String, required: true }, streamId: String, kid: String, state: String, at: Date, error: String },
  opts,
);
eventSentSchema.index({ at: 1 }, { name: 'at' });
eventSentSchema.index({ orgId: 1, kid: 1 }, { name: 'org_kid' });

/** Per-organization SET signing keys; the private key is encrypted (docs/events.md "Keys"). */
const eventKeySchema = new Schema(
  {
    _id: String,
    orgId: { type: String, required: true },
    alg: String,
    publicJwk: Schema.Types.Mixed,
    privateKeyEnc: String,
    state: { type: String, enum: ['active', 'retired'] },
    created: Date,
    retiredAt: Date,
  },
  opts,
);
eventKeySchema.index({ orgId: 1, state: 1 }, { name: 'org_state' });

/** Events of changes that remove their document, confirmed by its absence (docs/events.md). */
const eventPendingDeleteSchema = new Schema(
  { _id: String, orgId: { type: String, required: true }, resourceType: String, resourceId: String, event: Schema.Types.Mixed, created: Date },
  opts,
);
eventPendingDeleteSchema.index({ created: 1 }, { name: 'created' });

export function createModels(connection: Connection) {
  return {
    Organization: connection.model('Organization', organizationSchema, 'organizations'),
    Token: connection.model('Token', tokenSchema, 'tokens'),
    User: connection.model('User', userSchema, 'users'),
    Group: connection.model('Group', groupSchema, 'groups'),
    Membership: connection.model('Membership', membershipSchema, 'memberships'),
    Meta: connection.model('Meta', metaSchema, 'meta'),
    Seat: connection.model('Seat', seatSchema, 'seats'),
    Audit: connection.model('Audit', auditSchema, 'audit'),
    Invitation: connection.model('Invitation', invitationSchema, 'invitations'),
    InvitationToken: connection.model('InvitationToken', invitationTokenSchema, 'invitation_tokens'),
    Outbox: connection.model('Outbox', outboxSchema, 'outbox'),
    Job: connection.model('Job', jobSchema, 'jobs'),
    ImportChunk: connection.model('ImportChunk', importChunkSchema, 'import_chunks'),
    ImportResult: connection.model('ImportResult', importResultSchema, 'import_results'),
    ImportKey: connection.model('ImportKey', importKeySchema, 'import_keys'),
    Session: connection.model('Session', sessionSchema, 'sessions'),
    SigninThrottle: connection.model('SigninThrottle', signinThrottleSchema, 'signin_throttle'),
    PasswordReset: connection.model('PasswordReset', passwordResetSchema, 'password_resets'),
    SchemaExtension: connection.model('SchemaExtension', schemaExtensionSchema, 'schema_extensions'),
    EventStream: connection.model('EventStream', eventStreamSchema, 'event_streams'),
    EventQueue: connection.model('EventQueue', eventQueueSchema, 'event_queue'),
    EventKey: connection.model('EventKey', eventKeySchema, 'event_keys'),
    EventSent: connection.model('EventSent', eventSentSchema, 'event_sent'),
    EventPendingDelete: connection.model('EventPendingDelete', eventPendingDeleteSchema, 'event_pending_deletes'),
  };
}

export type Models = ReturnType<typeof createModels>;
export type AnyModel = Model<Record<string, unknown>>;
