import { Type } from 'typebox';
import { closed, dateTime } from '../schemas';

// ---- requests ----

/** An API key is at most 8 + 16 + 1 + 43 characters; anything longer cannot be one. */
export const signInBody = closed({
  apiKey: Type.String({ minLength: 1, maxLength: 200, description: 'An API key with the dashboard scope.' }),
});

// ---- responses ----

export const dashboardSessionSchema = closed({
  orgId: Type.String(),
  orgName: Type.String(),
  csrfToken: Type.String({
    description:
      'Send it as the x-csrf-token header with every change (any method but GET) the session makes.',
  }),
  expiresAt: dateTime(),
});

export const sessionCookieHeader = {
  'Set-Cookie': {
    description:
      'lb_session=<opaque token>; HttpOnly; SameSite=Strict; Path=/; Expires=<expiresAt> (and Secure over https).',
    schema: Type.String(),
  },
};
