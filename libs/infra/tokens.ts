/** Injection tokens of the shared infrastructure (provided by InfraModule). */
export const CONFIG = Symbol('CONFIG');
export const DB = Symbol('DB');
export const KAFKA = Symbol('KAFKA');
export const TOPIC_NAMER = Symbol('TOPIC_NAMER');
export const PUBLISHER = Symbol('PUBLISHER');
export const READINESS = Symbol('READINESS');
/** The Clock (libs/common/clock.ts) services read the time from. */
export const CLOCK = Symbol('CLOCK');
