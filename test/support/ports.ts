// Dev mode's localstripe needs it too, so it lives in src/.
export { freePort } from '../../src/dev/ports';
