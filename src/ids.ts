import { randomUUID } from 'node:crypto';

export type IdPrefix = 'org' | 'prj' | 'gen' | 'upd';

/** Public ids carry their kind, like the reference's `org_2481fa5c-…`, so a mixed-up id is obvious. */
export const newId = (prefix: IdPrefix): string => `${prefix}_${randomUUID()}`;
