import { mulDivRound } from '../billing/rounding';
import { addDays, type LocalDay } from './days';

/**
 * The runway (seed 001's "forecasted spend panel"): how fast the wallet is spent and when, at that rate,
 * the settled balance falls below the floor (where ads pause).
 *
 * - The rate is the average daily spend + platform fee over the trailing 7 and 30 complete local days
 *   (today, still running, is left out so that the morning does not look cheap); a day without any bill
 *   counts as zero. The average is rounded to the cent with billing's one rule (halves up).
 * - Only settled money runs: pending top-ups may still fail.
 * - `daysUntilFloor` is how many whole days of spend the headroom (balance − floor) covers;
 *   `floorDate` is the day the balance would drop below the floor (today + daysUntilFloor). No spend:
 *   both null. At or below the floor already: 0 and today.
 * - `autoTopUpCovers`: auto-top-up is on and can keep up, i.e. a day's cap is at least a day's spend and
 *   what today's cap has left covers what today's spend would take below the floor.
 */

export const FORECAST_WINDOWS = [7, 30] as const;
export type ForecastWindow = (typeof FORECAST_WINDOWS)[number];

export interface DailyTotal {
  day: LocalDay;
  /** Spend + fee debited on that local day. */
  cents: number;
}

export interface ForecastInput {
  /** The org's local day now. */
  today: LocalDay;
  /** Per local day; days outside the 30 before today are ignored, days without bills may be absent. */
  dailyTotals: readonly DailyTotal[];
  balanceCents: number;
  floorCents: number;
  autoTopUp: {
    /** Enabled and not switched off by the breaker. */
    active: boolean;
    dailyCapCents: number;
    /** Auto top-ups already started today (pending and succeeded). */
    usedTodayCents: number;
  };
}

export interface Runway {
  windowDays: ForecastWindow;
  averageDailyCents: number;
  daysUntilFloor: number | null;
  floorDate: LocalDay | null;
  autoTopUpCovers: boolean;
}

export type Forecast = Record<`trailing${ForecastWindow}`, Runway>;

export function forecastRunway(input: ForecastInput): Forecast {
  return {
    trailing7: runway(input, 7),
    trailing30: runway(input, 30),
  };
}

function runway(input: ForecastInput, windowDays: ForecastWindow): Runway {
  const first = addDays(input.today, -windowDays);
  const total = input.dailyTotals
    .filter((d) => d.day >= first && d.day < input.today)
    .reduce((sum, d) => sum + d.cents, 0);
  const average = mulDivRound(total, 1, windowDays);
  const headroom = input.balanceCents - input.floorCents;
  const { active, dailyCapCents, usedTodayCents } = input.autoTopUp;
  const neededToday = Math.max(0, average - Math.max(0, headroom));
  const autoTopUpCovers =
    active && dailyCapCents >= average && Math.max(0, dailyCapCents - usedTodayCents) >= neededToday;
  if (average === 0) {
    return { windowDays, averageDailyCents: 0, daysUntilFloor: null, floorDate: null, autoTopUpCovers };
  }
  const days = headroom <= 0 ? 0 : Math.floor(headroom / average);
  return {
    windowDays,
    averageDailyCents: average,
    daysUntilFloor: days,
    floorDate: addDays(input.today, days),
    autoTopUpCovers,
  };
}
