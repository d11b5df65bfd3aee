import type { Db } from '../src/db/pool';
import { createCreditActivities } from './credits';

/** Every activity the worker registers, built over its dependencies. */
export function createActivities(deps: { db: Db }) {
  return { ...createCreditActivities(deps.db) };
}

export type Activities = ReturnType<typeof createActivities>;
