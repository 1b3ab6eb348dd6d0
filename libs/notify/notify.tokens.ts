/** Injection tokens of the notify context. */
export const NOTIFY_SERVICE = Symbol('NOTIFY_SERVICE');
export const NOTIFY_RELAY = Symbol('NOTIFY_RELAY');
export const NOTIFY_TEMPLATES = Symbol('NOTIFY_TEMPLATES');
export const NOTIFY_GATE = Symbol('NOTIFY_GATE');
/** The send worker (SendWorker): tests replace it to leave accepted attempts queued. */
export const NOTIFY_WORKER = Symbol('NOTIFY_WORKER');
