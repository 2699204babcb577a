/**
 * The error catalog: every error Switchyard answers with has a stable code here, its HTTP
 * status and a default message. test/model/errors.test.ts keeps the catalog honest (codes
 * well-formed and unique, each used somewhere in src/).
 */
export const ErrorCatalog = {
  SWY_ERR_VALIDATION: { status: 400, message: 'The request is not valid' },
  SWY_ERR_WORKFLOW_UNKNOWN: { status: 400, message: 'No workflow of that name is registered' },
  SWY_ERR_WORKFLOW_FIELDS: { status: 400, message: 'The workflow fields are not valid' },
  SWY_ERR_WORKFLOW_PLAN: { status: 422, message: 'The workflow could not plan the job' },
  SWY_ERR_SITE_UNKNOWN: { status: 400, message: 'No site of that name exists' },
  SWY_ERR_JOB_NOT_FOUND: { status: 404, message: 'No job with that id' },
  SWY_ERR_SUBSCRIPTION_NOT_FOUND: { status: 404, message: 'No subscription with that id' },
  SWY_ERR_TASK_NOT_FOUND: { status: 404, message: 'No task with that id' },
  SWY_ERR_CHANGE_NOT_FOUND: { status: 404, message: 'No change with that id in the job' },
  SWY_ERR_QUEUE_NOT_FOUND: { status: 404, message: 'No queue of that name' },
  SWY_ERR_OPERATION_NOT_FOUND: { status: 404, message: 'No bulk operation with that id' },
  SWY_ERR_OPERATION_STATE: { status: 409, message: 'The bulk operation is not running' },
  SWY_ERR_SCHEDULE_NOT_FOUND: { status: 404, message: 'No schedule with that id' },
  SWY_ERR_SCHEDULE_EXISTS: { status: 409, message: 'A schedule of that name exists' },
  SWY_ERR_SCHEDULE_CODE_OWNED: { status: 409, message: 'The schedule is declared in code and can only be changed there' },
  SWY_ERR_SCHEDULE_INVALID: { status: 400, message: 'The schedule rule is not valid' },
  SWY_ERR_ENVELOPE_NOT_FOUND: { status: 404, message: 'No envelope with that id' },
  SWY_ERR_ENVELOPE_TYPE_UNKNOWN: { status: 400, message: 'No envelope type of that name is registered' },
  SWY_ERR_ENVELOPE_STATE: { status: 409, message: 'The envelope is not in a state that allows this' },
  SWY_ERR_ROLLBACK_REFUSED: { status: 409, message: 'The job cannot be rolled back now' },
  SWY_ERR_JOB_STATE: { status: 409, message: 'The job is not in a state that allows this' },
  SWY_ERR_RETRY_SUPERSEDED: { status: 409, message: 'A later job ran against the same resources' },
  SWY_ERR_IDEMPOTENCY_CONFLICT: { status: 409, message: 'The idempotency key was used for another submission' },
  SWY_ERR_CONTROL_UNSUPPORTED: { status: 409, message: 'The workflow does not support this control' },
  SWY_ERR_LEASE_LOST: { status: 409, message: 'The lease is no longer held by this worker' },
  SWY_ERR_ROUTE_NOT_FOUND: { status: 404, message: 'No such route' },
  SWY_ERR_AUTH_REQUIRED: { status: 401, message: 'Sign in or send a bearer token' },
  SWY_ERR_AUTH_CREDENTIALS: { status: 401, message: 'Wrong username or password' },
  SWY_ERR_AUTH_FORBIDDEN: { status: 403, message: 'Your role does not allow this' },
  SWY_ERR_AUTH_SITE: { status: 403, message: 'You have no access to that site' },
  SWY_ERR_AUTH_CSRF: { status: 403, message: 'Missing or wrong X-CSRF-Token header' },
  SWY_ERR_AUTH_THROTTLED: { status: 429, message: 'Too many failed sign-ins; wait before trying again' },
  SWY_ERR_BUSY: { status: 429, message: 'Too many requests of this kind under way at once; try again shortly' },
  SWY_ERR_AUTH_GRANT: { status: 403, message: 'You may not grant that role or those sites' },
  SWY_ERR_AUTH_PASSWORD: { status: 401, message: 'The current password is wrong' },
  SWY_ERR_PASSWORD_WEAK: { status: 400, message: 'The password is too weak' },
  SWY_ERR_USER_NOT_FOUND: { status: 404, message: 'No user of that name' },
  SWY_ERR_TOKEN_NOT_FOUND: { status: 404, message: 'No token with that id' },
  SWY_ERR_WORKER_OWNED: { status: 409, message: 'A worker of that id is registered by another credential' },
  SWY_ERR_USER_EXISTS: { status: 409, message: 'A user of that name exists' },
  SWY_ERR_TRANSFER_NOT_FOUND: { status: 404, message: 'The hub holds no complete transfer blob of that sha256 for that job' },
  SWY_ERR_TRANSFER_OFFSET: { status: 409, message: 'The upload does not start where the hub holds the blob to' },
  SWY_ERR_TRANSFER_BUSY: { status: 409, message: 'Another upload of this blob is under way; ask again shortly' },
  SWY_ERR_TRANSFER_CORRUPT: { status: 422, message: 'The uploaded bytes do not have the sha256 the blob is named by; they were discarded' },
  SWY_ERR_TRANSFER_RANGE: { status: 416, message: 'The requested range lies outside the blob' },
  SWY_ERR_PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large' },
  SWY_ERR_URL_TOO_LONG: { status: 414, message: 'A part of the URL is too long' },
  SWY_ERR_HEADERS_TOO_LARGE: { status: 431, message: 'The request line or headers are too large' },
  SWY_ERR_REQUEST_TIMEOUT: { status: 408, message: 'The request did not arrive in time' },
  SWY_ERR_STORE_UNAVAILABLE: { status: 503, message: 'The store is unavailable' },
  SWY_ERR_SCHEMA_NEWER: { status: 503, message: 'A newer Switchyard has migrated the database' },
  SWY_ERR_SHUTTING_DOWN: { status: 503, message: 'The hub is shutting down' },
  SWY_ERR_INTERNAL: { status: 500, message: 'Internal error' },
} as const;

export type ErrorCode = keyof typeof ErrorCatalog;

/** A field-level problem: `path` is the dotted path into the request (`fields.root`). */
export interface FieldProblem {
  path: string;
  message: string;
}

/** An error every layer may throw; the API turns it into `{ error: { code, message, fields? } }`. */
export class SwitchyardError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly fields?: FieldProblem[];
  constructor(code: ErrorCode, message?: string, fields?: FieldProblem[]) {
    super(message ?? ErrorCatalog[code].message);
    this.name = 'SwitchyardError';
    this.code = code;
    this.status = ErrorCatalog[code].status;
    if (fields && fields.length > 0) this.fields = fields;
  }
}
