/**
 * A reason dev mode cannot start that the developer can fix (a port in use, another instance running):
 * printed as one line that says what to change, without a stack trace.
 */
export class DevStartError extends Error {}
