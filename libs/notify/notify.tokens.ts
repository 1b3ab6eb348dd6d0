/** Injection tokens of the notify context (the use cases others inject are their own tokens). */
export const NOTIFY_RELAY = Symbol('NOTIFY_RELAY');
export const NOTIFY_TEMPLATES = Symbol('NOTIFY_TEMPLATES');
export const NOTIFY_GATE = Symbol('NOTIFY_GATE');
export const NOTIFY_USE_CASES = Symbol('NOTIFY_USE_CASES');
/** The send worker (SendWorker): tests replace it to leave accepted attempts queued. */
export const NOTIFY_WORKER = Symbol('NOTIFY_WORKER');
export const NOTIFY_RECONCILER = Symbol('NOTIFY_RECONCILER');
/** The status check's loop (StatusChecker). */
export const NOTIFY_STATUS_CHECKER = Symbol('NOTIFY_STATUS_CHECKER');
/** The providers behind their routes and circuit breakers (ProviderRouter). */
export const NOTIFY_ROUTER = Symbol('NOTIFY_ROUTER');
