/**
 * The statuses a generation and its credit reservation can have, spelled once. The database's CHECK
 * constraints (migration 0001, frozen) hold the same lists; test/db/status-checks.test.ts reads them back
 * from PostgreSQL so the two cannot drift apart.
 */
export const GENERATION_STATUSES = ['running', 'completed', 'failed', 'expired'] as const;
export type GenerationStatus = (typeof GENERATION_STATUSES)[number];

export const RESERVATION_STATUSES = ['held', 'captured', 'released', 'expired'] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];
